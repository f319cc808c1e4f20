"""`edge-deeplab export-android MODEL [--app android_demo]`."""
from __future__ import annotations

import click

from edge_deeplab.options import example


@click.command("export-android", epilog=example("edge-deeplab export-android preset:person"))
@click.argument("model", default="preset:person", type=click.Path())
@click.option("--app", default="android_demo", show_default=True, type=click.Path(),
              help="The Android demo folder (holds app/src/main/AndroidManifest.xml).")
def export_android(model, app):
    """Check MODEL (a .tflite with its edge-deeplab contract, batch 1; default: the shipped person
    preset's int8 model) and install it in the Android demo's assets as model.tflite, with
    contract.json beside it."""
    from edge_deeplab import presets
    from edge_deeplab.deploy.android import export_android as install, summary_rows

    installed = install(presets.resolve(model, "int8"), app)
    rows = summary_rows(installed)
    width = max(len(key) for key, _ in rows)
    click.echo("installed for the Android demo:")
    for key, value in rows:
        click.echo(f"  {key:<{width}}  {value}")
    click.echo("next: build and run the app (android_demo/README.md), e.g. ./gradlew installDebug")

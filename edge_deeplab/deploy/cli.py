"""`edge-deeplab export-android [GPU_MODEL [CPU_MODEL]] [--app android_demo]`."""

from __future__ import annotations

import click

from edge_deeplab.options import example


@click.command(
    "export-android",
    short_help="Install a model pair in the Android demo.",
    epilog=example("edge-deeplab export-android runs/export/best_fp16.tflite runs/export/best_int8.tflite"),
)
@click.argument("gpu_model", default="preset:person", type=click.Path())
@click.argument("cpu_model", required=False, type=click.Path())
@click.option(
    "--app",
    default="android_demo",
    show_default=True,
    type=click.Path(),
    help="The Android demo folder (holds app/src/main/AndroidManifest.xml).",
)
def export_android(gpu_model, cpu_model, app):
    """Check a model pair and install it in the Android demo's assets: GPU_MODEL (the fp16 export, run on
    LiteRT's GPU accelerator) and CPU_MODEL (the int8 export of the same model, the CPU fallback). A
    preset (default: preset:person) gives both. Each needs its edge-deeplab contract and batch 1; a model
    ending in logits gets a softmax appended, so the app reads probabilities."""
    from edge_deeplab import presets
    from edge_deeplab.deploy.android import PAIR_FIX, export_android as install, summary_rows
    from edge_deeplab.errors import EdgeDeeplabError

    if cpu_model is None:
        if not presets.is_preset(gpu_model) or gpu_model.count(":") > 1:
            raise EdgeDeeplabError(f"{gpu_model}: one model given, two needed (GPU and CPU); {PAIR_FIX}")
        cpu_model = gpu_model
    installation = install(presets.resolve(gpu_model, "fp16"), presets.resolve(cpu_model, "int8"), app)
    rows = summary_rows(installation)
    width = max(len(key) for key, _ in rows)
    click.echo("installed for the Android demo:")
    for key, value in rows:
        click.echo(f"  {key:<{width}}  {value}")
    click.echo("next: build and run the app (android_demo/README.md), e.g. cd android_demo && ./gradlew installDebug")

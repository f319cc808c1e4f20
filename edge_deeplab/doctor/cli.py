"""`edge-deeplab doctor`: one table of what this machine has and the fix for what it lacks."""

import click

from edge_deeplab.options import example, json_option

#: The exit status when a required part is missing: as `pipeline`'s failed gate, apart from 1 (a user error)
#: and 2 (a bad option).
NOT_READY_EXIT = 3
COLUMNS = [
    ("area", "area"),
    ("item", "item"),
    ("status", "status"),
    ("needed", "needed"),
    ("found", "found"),
    ("fix", "fix"),
]


@click.command(
    short_help="Check this machine before a long run.",
    epilog=example("edge-deeplab doctor --benchmark-binary ./android_aarch64_benchmark_model"),
)
@click.option(
    "--adb",
    "adb_path",
    help="adb client to check (default: $EDGE_DEEPLAB_ADB, adb on PATH, else the "
    "adbutils one, as bench and pipeline choose it).",
)
@click.option(
    "--benchmark-binary",
    type=click.Path(),
    help="benchmark_model to check (default: benchmark_model or android_aarch64_benchmark_model on PATH "
    "or in this folder).",
)
@click.option(
    "--gpu-compile",
    is_flag=True,
    help="Also run the GPU gate itself: compile the shipped preset:person model with LiteRT's GPU "
    "accelerator alone (about 10 s on a software Vulkan driver).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Require every part (GPU gate, adb, a phone, benchmark_model, the shared assets), "
    "not only Python and the packages.",
)
@json_option()
def doctor(adb_path, benchmark_binary, gpu_compile, strict, json_path):
    """Check this machine before a long run: package versions, the GPU-delegate gate (Vulkan), adb and
    phones, benchmark_model and the ../shared assets; one row each, with the fix for what is missing.

    Exit status: 0 when every required part holds (Python and the packages; with --strict every part),
    3 when one does not. Loads no TensorFlow.
    """
    import dataclasses

    from edge_deeplab.bench.report import render_table
    from edge_deeplab.doctor.checks import failed_required, run_checks
    from edge_deeplab.io import write_json

    checks = run_checks(adb_path=adb_path, benchmark_binary=benchmark_binary, strict=strict, gpu_compile=gpu_compile)
    rows = [
        {**dataclasses.asdict(c), "needed": "required" if c.required else "optional", "fix": c.fix or "-"}
        for c in checks
    ]
    click.echo(render_table(rows, COLUMNS))
    if json_path:
        write_json(
            json_path,
            {"ready": not failed_required(checks), "strict": strict, "checks": [dataclasses.asdict(c) for c in checks]},
        )
    missing = failed_required(checks)
    if missing:
        click.echo(
            f"doctor: {len(missing)} required part(s) missing: {', '.join(c.item for c in missing)} "
            f"(exit {NOT_READY_EXIT})",
            err=True,
        )
        raise SystemExit(NOT_READY_EXIT)
    optional = [c.item for c in checks if not c.ok]
    click.echo("ready for the main job" + (f"; optional parts missing: {', '.join(optional)}" if optional else ""))

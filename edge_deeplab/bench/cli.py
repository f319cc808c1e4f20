"""`edge-deeplab bench host | device | devices | history`."""

from __future__ import annotations

import math
from pathlib import Path

import click

from edge_deeplab.bench.device import DeviceBenchConfig
from edge_deeplab.bench.host import HostBenchConfig
from edge_deeplab.contract import OUTPUT_KINDS
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.io import check_distinct_outputs, write_json
from edge_deeplab.options import example, json_option, progress_option, shown, writable

#: The benchmark defaults, shown in --help from their config dataclasses (the one place they are set).
HOST = HostBenchConfig()
DEVICE = DeviceBenchConfig()

DEFAULT_HISTORY = "reports/bench_history.jsonl"


def _numbers(text: str, kind=float, name: str = "value") -> tuple:
    try:
        return tuple(kind(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise EdgeDeeplabError(f"{name} {text!r}: expected comma-separated numbers, e.g. 1,2") from None


def _triple(text, name):
    if text is None:
        return None
    values = _numbers(text, float, name)
    if len(values) == 1:
        values = values * 3
    if len(values) != 3:
        raise EdgeDeeplabError(f"{name} {text!r}: give one value or three (R,G,B), e.g. 127.5")
    if not all(math.isfinite(v) for v in values):
        raise EdgeDeeplabError(f"{name} {text}: every value must be a finite number, e.g. 127.5")
    if name == "--std" and 0 in values:  # the pixels are divided by it
        raise EdgeDeeplabError(f"{name} {text}: a std of 0 divides by zero; give e.g. 127.5 (DeepLab) or 255")
    return values


def _fraction(context, parameter, value):
    """--regression-threshold: a finite fraction >= 0 (NaN would flag nothing, a negative value everything)."""
    if not 0 <= value < math.inf:
        raise EdgeDeeplabError(f"--regression-threshold {value:g} must be a finite fraction >= 0, e.g. 0.10 (10 %)")
    return value


def report_options(default_json: str):
    """--json, --history and --regression-threshold, the same in every benchmark verb."""

    def decorate(command):
        for option in reversed(
            [
                json_option("JSON report.", default=default_json, show_default=True),
                click.option(
                    "--history",
                    "history_path",
                    default=DEFAULT_HISTORY,
                    show_default=True,
                    callback=writable("file"),
                    help="History file (JSON lines) to append to and compare against.",
                ),
                click.option(
                    "--regression-threshold",
                    default=0.10,
                    show_default=True,
                    callback=_fraction,
                    help="Flag a regression when latency grows by more than this fraction.",
                ),
            ]
        ):
            command = option(command)
        return command

    return decorate


@click.group(short_help="Benchmark models on this computer or a phone.")
def bench():
    """Benchmark models on this computer (host) or on an Android phone over adb (device)."""


@bench.command(
    short_help="Benchmark .tflite models on this computer.",
    epilog=example("edge-deeplab bench host runs/ccp/export/best_fp16.tflite runs/ccp/export/best_int8.tflite"),
)
@click.argument("models", nargs=-1, required=True)
@click.option("--runs", default=HOST.runs, show_default=True, help="Timed runs per configuration.")
@click.option("--warmup", default=HOST.warmup, show_default=True, help="Untimed runs before timing.")
@click.option("--threads", default=shown(HOST.threads), show_default=True, help="CPU thread counts to try.")
@click.option(
    "--without-xnnpack",
    is_flag=True,
    default=HOST.without_xnnpack,
    help="Also time LiteRT's reference kernels (no XNNPACK).",
)
@click.option(
    "--e2e/--no-e2e",
    default=HOST.e2e,
    show_default=True,
    help="Also time decode, resize, normalise, model and mask post-processing.",
)
@click.option(
    "--gpu/--no-gpu",
    default=HOST.gpu,
    show_default=True,
    help="Try LiteRT's GPU accelerator (software Vulkan here: correctness, not phone speed).",
)
@click.option("--gpu-runs", default=HOST.gpu_runs, show_default=True, help="Timed runs on the GPU accelerator.")
@click.option("--image", type=click.Path(), help="JPEG for end-to-end runs (default: synthetic 640x480 frame).")
@click.option("--mean", help="Normalisation mean (0..255, R,G,B or one value) for models without a contract.")
@click.option("--std", help="Normalisation std for models without a contract, e.g. 127.5 (DeepLab) or 255 (MediaPipe).")
@click.option(
    "--output-kind",
    type=click.Choice(OUTPUT_KINDS),
    help="Meaning of the output for models without a contract (default: guessed from its shape).",
)
@click.option("--person-class", type=int, help="Label id of 'person' for models without a contract.")
@report_options("reports/bench_host.json")
@progress_option()
def host(
    models,
    runs,
    warmup,
    threads,
    without_xnnpack,
    e2e,
    gpu,
    gpu_runs,
    image,
    mean,
    std,
    output_kind,
    person_class,
    json_path,
    history_path,
    regression_threshold,
    progress,
):
    """Benchmark .tflite MODELS (or preset:NAME) on this computer with LiteRT (CPU threads, XNNPACK, GPU
    accelerator)."""
    check_distinct_outputs({"--json": json_path, "--history": history_path}, {"MODELS": models, "--image": image})
    from edge_deeplab.bench import host as host_bench
    from edge_deeplab.bench import report
    from edge_deeplab.bench.host_gpu import GPU_NOTE
    from edge_deeplab.bench.rows import HOST_COLUMNS, host_history_entries, host_rows, mark_regressions

    config = host_bench.HostBenchConfig(
        runs=runs,
        warmup=warmup,
        threads=_numbers(threads, int, "--threads"),
        without_xnnpack=without_xnnpack,
        e2e=e2e,
        gpu=gpu,
        gpu_runs=gpu_runs,
        image=image,
    )
    mean, std = _triple(mean, "--mean"), _triple(std, "--std")
    if (mean is None) != (std is None):
        raise EdgeDeeplabError("--mean and --std go together: pass both (e.g. --mean 127.5 --std 127.5)")
    if mean is None and (output_kind is not None or person_class is not None):
        raise EdgeDeeplabError(
            "--output-kind and --person-class describe a model without a contract, with --mean and "
            "--std: pass those too, or drop them (a model with a contract carries its own)"
        )
    if person_class is not None and person_class < 0:
        raise EdgeDeeplabError(f"--person-class {person_class} must be a label id (0 or more), e.g. 15 for PASCAL VOC")
    normalisation = None
    if mean is not None:
        normalisation = {"mean": mean, "std": std, "output_kind": output_kind, "person_class": person_class}
    result = host_bench.benchmark_on_host(
        list(models),
        config,
        {str(Path(m)): normalisation for m in models} if normalisation else None,
        progress=progress,
    )
    rows = host_rows(result)
    entries = _save_then_append_history(
        result, json_path, history_path, host_history_entries(result, rows), regression_threshold
    )
    mark_regressions(rows, entries)
    click.echo(report.render_table(rows, HOST_COLUMNS))
    if any(r["backend"] == "gpu" for r in rows):
        click.echo(f"gpu: {GPU_NOTE}")
    click.echo(f"report: {json_path}   history: {history_path}")


def _save_then_append_history(result: dict, json_path, history_path, entries: list[dict], threshold: float):
    """Write the report first, so no history problem can lose the measured results; then compare with and
    append to the history, and write the report again with the regressions found."""
    from edge_deeplab.bench import report

    result["history"] = {"path": str(history_path), "regressions": None}
    write_json(json_path, result)
    try:
        entries = report.append_history(history_path, entries, threshold, warn=lambda text: click.echo(text, err=True))
    except EdgeDeeplabError as error:
        raise EdgeDeeplabError(f"{error}; the results are saved in {json_path}") from None
    result["history"]["regressions"] = [e for e in entries if e["regression"]]
    write_json(json_path, result)
    return entries


@bench.command(
    short_help="Benchmark .tflite models on a phone over adb.",
    epilog=example("edge-deeplab bench device best_fp16.tflite --serial SERIAL --benchmark-binary ./benchmark_model"),
)
@click.argument("models", nargs=-1, required=True)
@click.option(
    "--benchmark-binary",
    required=True,
    type=click.Path(),
    help="TFLite's benchmark_model for the phone (e.g. android_aarch64_benchmark_model).",
)
@click.option("--serial", help="Which phone (see `adb devices`); needed when several are connected.")
@click.option("--adb", "adb_path", help="adb client to use (default: adb on PATH, else the adbutils one).")
@click.option("--configs", default=shown(DEVICE.configs), show_default=True, help="Delegate configurations to run.")
@click.option(
    "--threads", default=shown(DEVICE.threads), show_default=True, help="CPU thread counts (delegates use the largest)."
)
@click.option("--runs", default=DEVICE.num_runs, show_default=True, help="benchmark_model --num_runs.")
@click.option("--warmup", default=DEVICE.warmup_runs, show_default=True, help="benchmark_model --warmup_runs.")
@click.option(
    "--remote-dir",
    default=DEVICE.remote_dir,
    show_default=True,
    help="Folder on the phone under which a fresh edge-deeplab-XXXXXXXX folder holds the pushed files "
    "(only what was created is removed afterwards).",
)
@click.option("--timeout", default=DEVICE.timeout_s, show_default=True, help="Seconds allowed per benchmark run.")
@click.option("--min-fps", default=DEVICE.min_fps, show_default=True, help="Gate: FPS needed on the GPU delegate.")
@click.option(
    "--gate/--no-gate",
    default=DEVICE.gate,
    show_default=True,
    help="Exit non-zero unless every model reaches --min-fps fully on the GPU.",
)
@click.option("--extra-flag", multiple=True, help="Extra benchmark_model flag, e.g. --extra-flag=--use_xnnpack=true.")
@report_options("reports/bench_device.json")
@progress_option()
def device(
    models,
    benchmark_binary,
    serial,
    adb_path,
    configs,
    threads,
    runs,
    warmup,
    remote_dir,
    timeout,
    min_fps,
    gate,
    extra_flag,
    json_path,
    history_path,
    regression_threshold,
    progress,
):
    """Benchmark .tflite MODELS (or preset:NAME) on an Android phone with benchmark_model: FPS per delegate
    and a GPU gate."""
    check_distinct_outputs(
        {"--json": json_path, "--history": history_path}, {"MODELS": models, "--benchmark-binary": benchmark_binary}
    )
    from edge_deeplab.bench import device as device_bench
    from edge_deeplab.bench.adb import Adb, find_adb
    from edge_deeplab.bench.rows import device_history_entries, device_rows, mark_regressions

    config = device_bench.DeviceBenchConfig(
        configs=tuple(c.strip() for c in configs.split(",") if c.strip()),
        threads=_numbers(threads, int, "--threads"),
        warmup_runs=warmup,
        num_runs=runs,
        remote_dir=remote_dir,
        timeout_s=timeout,
        min_fps=min_fps,
        gate=gate,
        extra_flags=tuple(extra_flag),
    )
    adb = Adb(find_adb(adb_path))
    total = len(models) * len(config.runs())
    from edge_deeplab.progress import progress_bar

    with progress_bar(total=total, desc="bench device", unit="run", enabled=progress) as bar:
        result = device_bench.benchmark_on_device(
            list(models),
            benchmark_binary,
            adb,
            serial,
            config,
            progress=lambda row: (bar.set_postfix_str(f"{row['model']} {row['config']}"), bar.update(1)),
            save=lambda partial: write_json(json_path, partial),
        )
    rows = device_rows(result)
    entries = _save_then_append_history(
        result, json_path, history_path, device_history_entries(result, rows), regression_threshold
    )
    mark_regressions(rows, entries)
    _print_device_result(result, rows, json_path, history_path, gate)


def _print_device_result(result: dict, rows: list[dict], json_path, history_path, gate: bool) -> None:
    """The phone, the table, the cleanup and where the reports went; with --gate, each model's verdict, and a
    non-zero exit when any model failed it."""
    from edge_deeplab.bench import report
    from edge_deeplab.bench.rows import DEVICE_COLUMNS

    facts = result["device"]
    click.echo(
        f"device: {facts['manufacturer']} {facts['model']} ({facts['serial']}), SoC {facts['soc']}, "
        f"Android {facts['android']}, {facts['abi']}, GPU {facts['gpu']}"
    )
    click.echo(report.render_table(rows, DEVICE_COLUMNS))
    click.echo(f"cleanup: {result['cleanup']}")
    click.echo(f"report: {json_path}   history: {history_path}")
    if gate:
        verdict = result["gate"]
        for name, model_verdict in verdict["models"].items():
            click.echo(f"gate {'PASS' if model_verdict['passed'] else 'FAIL'}: {name}: {model_verdict['reason']}")
        if not verdict["passed"]:
            click.get_current_context().exit(1)


@bench.command(short_help="List the phones adb sees.", epilog=example("edge-deeplab bench devices"))
@click.option("--adb", "adb_path", help="adb client to use (default: adb on PATH, else the adbutils one).")
def devices(adb_path):
    """List connected Android devices and, for usable ones, their model, SoC, Android version, ABI and GPU."""
    from edge_deeplab.bench import report
    from edge_deeplab.bench.adb import Adb, find_adb
    from edge_deeplab.bench.device import device_facts

    adb = Adb(find_adb(adb_path))
    rows = []
    for entry in adb.devices():
        row = {"serial": entry.serial, "state": entry.state}
        if entry.state == "device":
            row.update(device_facts(adb.for_device(entry.serial)))
        rows.append(row)
    if not rows:
        click.echo("no devices: plug in a phone with USB debugging on, or `adb connect HOST:PORT`")
        return
    click.echo(
        report.render_table(
            rows,
            [
                ("serial", "serial"),
                ("state", "state"),
                ("model", "model"),
                ("soc", "SoC"),
                ("android", "Android"),
                ("abi", "ABI"),
                ("gpu", "GPU"),
            ],
        )
    )


@bench.command(
    short_help="Show the benchmark history.", epilog=example("edge-deeplab bench history --regressions-only")
)
@click.argument("path", default=DEFAULT_HISTORY)
@click.option(
    "--regression-threshold",
    default=0.10,
    show_default=True,
    help="Flag a regression when latency grows by more than this fraction.",
)
@click.option("--regressions-only", is_flag=True, help="Show only the entries that regressed.")
def history(path, regression_threshold, regressions_only):
    """Show the benchmark history in PATH, oldest first, with regressions marked."""
    from edge_deeplab.bench import report

    if not Path(path).exists():
        raise EdgeDeeplabError(
            f"{path}: no benchmark history yet; run `edge-deeplab bench host` or "
            f"`bench device` first (or pass the --history file you used)"
        )
    timeline = report.history_timeline(
        report.read_history(path, warn=lambda text: click.echo(text, err=True)), regression_threshold
    )
    for entry in timeline:
        before = entry.get("previous_latency_ms")
        entry["change"] = f"{(entry['latency_ms'] / before - 1) * 100:+.1f}%" if before else None
        entry["flag"] = "REGRESSION" if entry["regression"] else None
    if regressions_only:
        timeline = [entry for entry in timeline if entry["regression"]]
    click.echo(
        report.render_table(
            timeline,
            [
                ("when", "when"),
                ("where", "where"),
                ("model", "model"),
                ("config", "config"),
                ("mode", "mode"),
                ("latency_ms", "latency ms"),
                ("fps", "FPS"),
                ("change", "vs previous"),
                ("flag", ""),
            ],
        )
    )
    regressions = sum(1 for entry in timeline if entry["regression"])
    click.echo(f"{regressions} regression(s) over {regression_threshold * 100:g}% in {path}")

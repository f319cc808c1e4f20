"""Benchmark .tflite models on an Android phone with Google's `benchmark_model` over adb.

Flow: choose the phone, read its facts (model, SoC, Android version, ABI, GPU), push the model(s)
and the user's benchmark_model binary to a remote folder, run it once per configuration (CPU with N
threads, GPU fp16, GPU fp32, NNAPI), parse what it printed, and remove what we pushed.

We only trust a GPU number the GPU produced: a GPU run counts for the gate when its output says
positively that the GPU delegate took the whole graph. A run where ops fell back to the CPU is
reported as "not fully delegated" with those ops, and never as GPU frames per second.
"""

from __future__ import annotations

import dataclasses
import math
import posixpath
import secrets
from pathlib import Path
from typing import Optional

from edge_deeplab.bench import parse, remote
from edge_deeplab.bench.adb import Adb, AdbTimeout, choose_device, quote
from edge_deeplab.bench.phone import check_benchmark_binary, device_facts
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.litert.flatbuffer import check_tflite_whole

#: Flags per configuration; every run also gets --graph, --num_threads, --warmup_runs, --num_runs.
CONFIG_FLAGS = {
    "cpu": [],
    "gpu-fp16": ["--use_gpu=true", "--gpu_precision_loss_allowed=true"],
    "gpu-fp32": ["--use_gpu=true", "--gpu_precision_loss_allowed=false"],
    "nnapi": ["--use_nnapi=true"],
}
GPU_CONFIGS = ("gpu-fp16", "gpu-fp32")
DEFAULT_CONFIGS = ("cpu", "gpu-fp16", "gpu-fp32", "nnapi")
DEFAULT_REMOTE_DIR = "/data/local/tmp"
REMOTE_BINARY_NAME = "benchmark_model"
#: Each run works in a fresh folder of its own under --remote-dir, so it never touches the user's files there.
WORK_DIR_PREFIX = "edge-deeplab-"

# Run statuses.
OK = "ok"
NOT_FULLY_DELEGATED = "not-fully-delegated"
DELEGATION_UNCONFIRMED = "delegation-unconfirmed"
FAILED = "failed"
NO_MEASUREMENTS = "no-measurements"
TIMED_OUT = "timed-out"
DEVICE_LOST = "device-lost"
# The phone's shell: 126 found but cannot execute (noexec mount, permissions), 127 not found.
SHELL_EXIT_CODES = {126: "the phone's shell cannot execute it", 127: "the phone's shell did not find it"}


@dataclasses.dataclass(frozen=True)
class DeviceBenchConfig:
    """How `bench device` runs benchmark_model on the phone; checked on creation.

    Args:
        configs: the configurations to run, names of CONFIG_FLAGS (cpu, gpu-fp16, gpu-fp32, nnapi).
        threads: the CPU thread counts, one run each.
        warmup_runs: benchmark_model's --warmup_runs.
        num_runs: benchmark_model's --num_runs (the timed runs).
        remote_dir: the folder on the phone under which each run makes a fresh folder of its own.
        timeout_s: seconds one benchmark_model run may take.
        min_fps: the GPU frames per second the FPS gate asks for.
        gate: judge the FPS gate (needs a GPU configuration among `configs`).
        extra_flags: more benchmark_model flags, added to every run.
    """

    configs: tuple = DEFAULT_CONFIGS
    threads: tuple = (4,)
    warmup_runs: int = 5
    num_runs: int = 50
    remote_dir: str = DEFAULT_REMOTE_DIR
    timeout_s: float = 300.0
    min_fps: float = 15.0
    gate: bool = True
    extra_flags: tuple = ()

    def __post_init__(self):
        unknown = [name for name in self.configs if name not in CONFIG_FLAGS]
        if unknown:
            raise EdgeDeeplabError(
                f"unknown device configuration(s) {', '.join(unknown)}: choose from {', '.join(CONFIG_FLAGS)}"
            )
        if not self.configs:
            raise EdgeDeeplabError("no device configuration chosen: pass e.g. --configs cpu,gpu-fp16")
        if self.gate and not any(name in GPU_CONFIGS for name in self.configs):
            raise EdgeDeeplabError(
                "the FPS gate is measured on the GPU delegate: add gpu-fp16 or gpu-fp32 to --configs, or pass --no-gate"
            )
        if any(t < 1 for t in self.threads) or not self.threads:
            raise EdgeDeeplabError("--threads needs positive thread counts, e.g. --threads 1,4")
        if not 0 < self.min_fps < math.inf:
            raise EdgeDeeplabError(
                f"--min-fps {self.min_fps:g} must be a positive number of frames per second, e.g. 15"
            )
        if not 0 < self.timeout_s < math.inf:
            raise EdgeDeeplabError(
                f"--timeout {self.timeout_s:g} must be a finite positive number of seconds, e.g. 300"
            )
        if self.num_runs < 1 or self.warmup_runs < 0:
            raise EdgeDeeplabError("--runs must be at least 1 and --warmup at least 0")
        if not self.remote_dir.startswith("/"):
            raise EdgeDeeplabError(
                f"--remote-dir {self.remote_dir!r} must be an absolute path on the phone, e.g. {DEFAULT_REMOTE_DIR}"
            )

    def runs(self) -> list[tuple[str, int]]:
        """(configuration, threads) pairs: CPU once per thread count, delegates with the largest count."""
        pairs = []
        for name in self.configs:
            if name == "cpu":
                pairs += [(name, threads) for threads in self.threads]
            else:
                pairs.append((name, max(self.threads)))
        return pairs


def check_tflite(path) -> None:
    """Refuse a file that is not a TFLite flatbuffer before anything goes to the phone."""
    check_tflite_whole(path, "pass .tflite files written by `edge-deeplab export`")


# ---- one run -------------------------------------------------------------------------------------


def run_flags(config_name: str, threads: int, graph: str, config: DeviceBenchConfig) -> list[str]:
    """benchmark_model's command-line flags for one run.

    Args:
        config_name: a CONFIG_FLAGS name (cpu, gpu-fp16, gpu-fp32, nnapi).
        threads: --num_threads.
        graph: the model's path on the phone.
        config: the DeviceBenchConfig (warm-up and timed runs, extra flags).

    Returns:
        The flags, without the binary.
    """
    return (
        [
            f"--graph={graph}",
            f"--num_threads={threads}",
            f"--warmup_runs={config.warmup_runs}",
            f"--num_runs={config.num_runs}",
        ]
        + CONFIG_FLAGS[config_name]
        + list(config.extra_flags)
    )


def judge_run(config_name: str, exit_code: Optional[int], output: parse.BenchmarkOutput) -> tuple[str, str]:
    """(status, one-line reason) of a run from what benchmark_model printed and its exit code."""
    if exit_code not in (0, None):
        reason = output.errors[0] if output.errors else f"benchmark_model exited with code {exit_code}"
        return FAILED, reason
    if config_name in GPU_CONFIGS:
        gpu = output.delegate("GPU")
        if gpu is not None and not gpu.fully_delegated:
            if gpu.fallback_ops:
                return NOT_FULLY_DELEGATED, (
                    f"GPU requested but not fully delegated: {', '.join(gpu.fallback_ops)} fell back to the CPU"
                )
            if gpu.status is not None or gpu.nodes_total is not None or gpu.ops_on_cpu is not None:
                return NOT_FULLY_DELEGATED, f"GPU requested but not fully delegated ({_delegation_text(gpu)})"
        if gpu is None or not gpu.fully_delegated:
            if output.errors:
                return FAILED, output.errors[0]
            return DELEGATION_UNCONFIRMED, (
                "GPU requested but the output never confirms that the GPU delegate "
                "took the graph; not counted as a GPU number"
            )
    if output.errors and output.latency_us is None:
        return FAILED, output.errors[0]
    if output.latency_us is None:
        return NO_MEASUREMENTS, "benchmark_model printed no measured runs"
    if config_name == "nnapi":
        nnapi = output.delegate("NNAPI")
        if nnapi is not None and not nnapi.fully_delegated:
            return NOT_FULLY_DELEGATED, f"NNAPI requested but not fully delegated ({_delegation_text(nnapi)})"
    return OK, ""


def _delegation_text(report: parse.DelegateReport) -> str:
    if report.status == parse.NONE:
        return "the delegate took no part of the graph"
    if report.nodes_total is not None:
        return f"{report.nodes_delegated} of {report.nodes_total} nodes"
    if report.ops_on_cpu is not None:
        return f"{report.ops_on_cpu} ops on the CPU"
    if report.kernels is not None:
        return f"partially, {report.kernels} delegate kernels"
    return "partially"


def summarize_run(
    model_name: str, config_name: str, threads: int, exit_code: Optional[int], text: str, timed_out: bool = False
) -> dict:
    """One run's result row from what benchmark_model printed: its status and reason (judge_run), latency and
    FPS only for a run that counts, and the raw numbers it printed.

    Args:
        model_name: the model's name in the report.
        config_name: the configuration run (a CONFIG_FLAGS name).
        threads: the CPU thread count.
        exit_code: benchmark_model's exit code (None when unknown).
        text: what it printed.
        timed_out: the run was stopped at the timeout.

    Returns:
        A dict: model, config, threads, status, reason, exit_code, latency_ms, latency_basis, fps, printed
        (the parsed numbers), gpu_fallback_ops, delegates (each delegate's report), errors and output_tail.
    """
    output = parse.parse_benchmark_output(text)
    if timed_out:
        status, reason = TIMED_OUT, "did not finish in time"
    else:
        status, reason = judge_run(config_name, exit_code, output)
    measured = output.measured
    latency = output.latency_us
    counts = status == OK
    gpu = output.delegate("GPU")
    return {
        "model": model_name,
        "config": config_name,
        "threads": threads,
        "status": status,
        "reason": reason,
        "exit_code": exit_code,
        # Numbers only for runs we trust; the raw parse below keeps everything that was printed.
        "latency_ms": latency / 1000.0 if counts and latency else None,
        "latency_basis": output.latency_basis if counts else None,
        "fps": output.fps if counts else None,
        "printed": {
            "init_ms": _ms(output.init_us),
            "first_inference_ms": _ms(output.first_inference_us),
            "warmup_avg_ms": _ms(output.warmup_avg_us),
            "inference_avg_ms": _ms(output.inference_avg_us),
            "runs": measured.count if measured else None,
            "min_ms": _ms(measured.min_us) if measured else None,
            "max_ms": _ms(measured.max_us) if measured else None,
            "median_ms": _ms(measured.median_us) if measured else None,
            "p95_ms": _ms(measured.p95_us) if measured else None,
            "std_ms": _ms(measured.std_us) if measured else None,
            "memory_overall_mb": output.memory_overall_mb,
            "memory_peak_mb": output.memory_peak_mb,
        },
        "gpu_fallback_ops": gpu.unsupported_ops if gpu else [],
        "delegates": {name: dataclasses.asdict(report) for name, report in output.delegates.items()},
        "errors": output.errors[:5],
        "output_tail": text.splitlines()[-15:],
    }


def _ms(us: Optional[float]) -> Optional[float]:
    return us / 1000.0 if us is not None else None


# ---- the whole benchmark -------------------------------------------------------------------------


def gate_verdict(results: list[dict], model_names: list[str], min_fps: float) -> dict:
    """Pass when every model reaches min_fps on a fully delegated GPU run."""
    per_model = {}
    for name in model_names:
        gpu_runs = [r for r in results if r["model"] == name and r["config"] in GPU_CONFIGS]
        trusted = [r for r in gpu_runs if r["status"] == OK]
        best = max(trusted, key=lambda r: r["fps"]) if trusted else None
        if best is not None and best["fps"] >= min_fps:
            per_model[name] = {
                "passed": True,
                "fps": best["fps"],
                "config": best["config"],
                "reason": f"{best['fps']:.1f} FPS on {best['config']} >= {min_fps:g}",
            }
        elif best is not None:
            per_model[name] = {
                "passed": False,
                "fps": best["fps"],
                "config": best["config"],
                "reason": f"{best['fps']:.1f} FPS on {best['config']} < {min_fps:g}",
            }
        else:
            why = "; ".join(f"{r['config']}: {r['reason']}" for r in gpu_runs) or "no GPU run"
            per_model[name] = {"passed": False, "fps": None, "config": None, "reason": f"no trusted GPU number ({why})"}
    return {"min_fps": min_fps, "passed": all(v["passed"] for v in per_model.values()), "models": per_model}


def benchmark_on_device(
    model_paths: list,
    binary_path,
    adb: Adb,
    serial: Optional[str] = None,
    config: DeviceBenchConfig = DeviceBenchConfig(),
    progress=None,
    save=None,
) -> dict:
    """Run every (model, configuration) on one phone with benchmark_model.

    Args:
        model_paths: .tflite files, or `preset:NAME[:int8|fp16]` (its int8 unless named).
        binary_path: TFLite's benchmark_model built for the phone's ABI.
        adb: the Adb client.
        serial: the phone's serial; None: the one phone connected.
        config: the DeviceBenchConfig (configurations, threads, runs, timeout, gate).
        progress: progress(row), when given, is called after each run.
        save: save(report), when given, is called with the finished results before the phone is cleaned
            up, so an interrupted cleanup or a lost phone keeps them; it returns where it saved them.

    Returns:
        The report: device facts, one row per run, the cleanup done, and the gate's verdict.
    """
    model_paths = _local_models(model_paths)
    names = [path.name for path in model_paths]
    adb, facts = _connect_phone(adb, serial, binary_path)

    # A fresh folder of our own under --remote-dir: the user's files there (their own benchmark_model, a
    # model of the same name) are never overwritten, and cleanup removes only what this run created.
    work_dir = posixpath.join(config.remote_dir, WORK_DIR_PREFIX + secrets.token_hex(4))
    remote_binary = posixpath.join(work_dir, REMOTE_BINARY_NAME)
    remote_models = [posixpath.join(work_dir, path.name) for path in model_paths]
    created: list[str] = []  # folders this run created, outermost first
    pushed: list[str] = []
    results: list[dict] = []
    lost: Optional[str] = None
    report = {
        "kind": "device",
        "device": facts,
        "benchmark_binary": str(binary_path),
        "config": dataclasses.asdict(config),
        "remote_dir": work_dir,
        "models": [{"name": path.name, "path": str(path), "bytes": path.stat().st_size} for path in model_paths],
        "results": results,
        "cleanup": "pending",
    }
    try:
        _push(
            adb,
            config,
            work_dir,
            [(binary_path, remote_binary)] + list(zip(model_paths, remote_models)),
            created,
            pushed,
        )
        remote.shell_ok(adb, quote("chmod", "755", remote_binary), f"make {remote_binary} executable")
        lost = _run_all(adb, config, remote_binary, list(zip(names, remote_models)), results, progress)
    finally:
        if lost is not None:
            report["cleanup"] = (
                f"not removed: the device {lost}; once it is back, remove {work_dir} with "
                f"`adb -s {adb.serial} shell rm -r {work_dir}`"
            )
        # The finished results are saved before cleanup: a Ctrl-C or a lost phone during it keeps them.
        saved_in = save(report) if save is not None and results else None
        if lost is None:
            report["cleanup"] = remote.remove_pushed(adb, pushed, list(reversed(created)))
    if lost is not None:
        raise _device_lost_error(adb, lost, results, saved_in, work_dir)
    if config.gate:
        report["gate"] = gate_verdict(results, names, config.min_fps)
    return report


def _connect_phone(adb: Adb, serial: Optional[str], binary_path) -> tuple[Adb, dict]:
    """(the Adb client of the chosen phone, its device facts), once benchmark_model is known to run on its ABI."""
    if not Path(binary_path).is_file():
        check_benchmark_binary(binary_path, [])  # raises the not-found message
    device = choose_device(adb.devices(), serial)
    adb = adb.for_device(device.serial)
    facts = device_facts(adb)
    check_benchmark_binary(binary_path, facts["abilist"])
    return adb, facts


def _device_lost_error(adb: Adb, lost: str, results: list[dict], saved_in, work_dir: str) -> EdgeDeeplabError:
    """The error of a phone lost mid-run: which run, how many finished, where they are saved and what stays on the
    phone."""
    done = sum(1 for row in results if row["status"] != DEVICE_LOST)
    return EdgeDeeplabError(
        f"device {adb.serial} {lost} during {results[-1]['config']} on {results[-1]['model']} "
        f"after {done} finished run(s): reconnect it and run again; "
        + (f"the finished runs are saved in {saved_in}; " if saved_in else "")
        + f"its files stay in {work_dir} (`adb -s {adb.serial} shell rm -r {work_dir}`)"
    )


def _local_models(model_paths: list) -> list[Path]:
    """The .tflite files to push (presets resolved), checked, and with names that differ on the phone."""
    from edge_deeplab.presets import resolve

    model_paths = [resolve(path, "int8") for path in model_paths]
    for path in model_paths:
        check_tflite(path)
    names = [path.name for path in model_paths]
    if len(set(names)) != len(names) or REMOTE_BINARY_NAME in names:
        raise EdgeDeeplabError(
            f"two files would share a name on the phone ({', '.join(names)} and the "
            f"{REMOTE_BINARY_NAME} binary): rename the model"
        )
    return model_paths


def _push(adb: Adb, config: DeviceBenchConfig, work_dir: str, files: list, created: list, pushed: list) -> None:
    """Create the work folder (and --remote-dir with any missing parent, if need be) and push (local, remote)
    files into it; `created` and `pushed` record what cleanup removes."""
    missing = []  # --remote-dir and each missing parent, outermost first: `mkdir -p` makes them all
    folder = config.remote_dir.rstrip("/") or "/"
    while folder != "/" and not remote.exists(adb, folder, "-d"):
        missing.insert(0, folder)
        folder = posixpath.dirname(folder)
    if missing:
        remote.shell_ok(adb, quote("mkdir", "-p", config.remote_dir), f"create {config.remote_dir}")
        created.extend(missing)
    if remote.exists(adb, work_dir, "-e"):
        raise EdgeDeeplabError(
            f"{work_dir} already exists on {adb.serial}: run the command again (the folder name is random)"
        )
    remote.shell_ok(adb, quote("mkdir", "-p", work_dir), f"create {work_dir}")
    created.append(work_dir)
    for local, target in files:
        pushed.append(target)  # before pushing: a push that fails midway may leave a partial file
        adb.push(local, target, timeout=max(60.0, config.timeout_s))


def _run_all(
    adb: Adb, config: DeviceBenchConfig, remote_binary: str, models: list, results: list, progress
) -> Optional[str]:
    """Every configuration of every (name, remote path) model, a row each into `results`; how the device was
    lost, or None."""
    for model_name, remote_model in models:
        for config_name, threads in config.runs():
            row, lost = _run_one(adb, config, remote_binary, model_name, remote_model, config_name, threads)
            results.append(row)
            if progress is not None:
                progress(row)
            if lost is not None:
                return lost
    return None


def _run_one(
    adb: Adb,
    config: DeviceBenchConfig,
    remote_binary: str,
    model_name: str,
    remote_model: str,
    config_name: str,
    threads: int,
):
    """(its row, how the device was lost or None) for one benchmark_model run."""
    command = quote(remote_binary, *run_flags(config_name, threads, remote_model, config))
    try:
        result = adb.shell(command, timeout=config.timeout_s)
        row = summarize_run(model_name, config_name, threads, result.exit_code, result.stdout + "\n" + result.stderr)
        if result.exit_code in SHELL_EXIT_CODES:
            shell_says = remote.last_line(result.stderr) or remote.last_line(result.stdout)
            row["reason"] = (
                f"{SHELL_EXIT_CODES[result.exit_code]} (exit code {result.exit_code}): {shell_says or 'no message'}"
            )
            row["shell_error"] = shell_says
        failed = result.exit_code != 0
    except AdbTimeout as timeout:
        row = summarize_run(model_name, config_name, threads, None, timeout.output, timed_out=True)
        row["reason"] = f"did not finish within {config.timeout_s:g} s (raise --timeout)"
        failed = True
    lost = None
    if failed:
        lost = remote.device_lost(adb)
        if lost is not None:
            row.update(status=DEVICE_LOST, reason=f"the device {lost} during the run", latency_ms=None, fps=None)
        elif row["status"] == TIMED_OUT:
            remote.stop_remote(adb, remote_binary)
    return row, lost

"""Benchmark .tflite models on this computer with LiteRT.

Two measurements per model and CPU configuration:
- model: `Interpreter.invoke()` alone, input already in place;
- end-to-end (e2e): JPEG decode, resize to the model's input, normalise, invoke, post-process to a
  person mask at the frame's size. Pre- and post-processing decide real frame rates, so both are
  reported, with the time of each stage.

CPU configurations: the LiteRT interpreter with XNNPACK (its default) at each thread count, and
optionally without XNNPACK (the reference kernels) to see what XNNPACK buys.

The GPU row: bench/host_gpu.py. Frames: bench/frames.py. The end-to-end pipeline: bench/e2e.py.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import re
import time
from pathlib import Path
from typing import Callable, Optional

from edge_deeplab.bench.e2e import preprocessing_for, time_e2e
from edge_deeplab.bench.frames import load_jpeg, synthetic_jpeg
from edge_deeplab.bench.host_gpu import gpu_row
from edge_deeplab.bench.report import sha256_of
from edge_deeplab.bench.stats import latency_stats
from edge_deeplab.errors import EdgeDeeplabError


@dataclasses.dataclass(frozen=True)
class HostBenchConfig:
    """How `bench host` times the models on this machine; checked on creation.

    Args:
        runs: timed runs per model and setting (the median is reported).
        warmup: untimed runs first.
        threads: CPU thread counts, one setting each.
        without_xnnpack: also time LiteRT's reference kernels (XNNPACK off).
        e2e: also time whole frames (decode, preprocess, invoke, post-process).
        gpu: also run the GPU accelerator's correctness path.
        gpu_runs: timed runs on the GPU path (software Vulkan takes 0.1-5 s per inference).
        image: the JPEG the end-to-end timing decodes; None: a synthetic 640x480 camera frame.
    """

    runs: int = 50
    warmup: int = 5
    threads: tuple = (1, 2)
    without_xnnpack: bool = False  # also time the reference kernels
    e2e: bool = True
    gpu: bool = True
    gpu_runs: int = 3  # software Vulkan takes 0.1-5 s per inference
    image: Optional[str] = None  # JPEG for e2e; default: a synthetic 640x480 camera frame

    def __post_init__(self):
        if self.runs < 1 or self.warmup < 0 or self.gpu_runs < 1:
            raise EdgeDeeplabError("--runs and --gpu-runs must be at least 1, --warmup at least 0")
        if not self.threads or any(t < 1 for t in self.threads):
            raise EdgeDeeplabError("--threads needs positive thread counts, e.g. --threads 1,2")


def time_model_only(interpreter, runs: int, warmup: int) -> list[float]:
    """Time `interpreter.invoke()` alone, on one random input, after `warmup` untimed runs.

    Args:
        interpreter: the model's LiteRT interpreter, tensors allocated.
        runs: timed runs.
        warmup: untimed runs first.

    Returns:
        The milliseconds of each timed run.
    """
    from edge_deeplab.litert.interpreter import random_input

    details = interpreter.get_input_details()[0]
    interpreter.set_tensor(details["index"], random_input(details))
    for _ in range(warmup):
        interpreter.invoke()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        interpreter.invoke()
        samples.append((time.perf_counter() - start) * 1000.0)
    return samples


def host_facts() -> dict:
    """The machine the numbers were measured on: hostname, system, CPU model and count, and the versions of
    Python, the LiteRT runtime and NumPy.

    Returns:
        A dict of those facts.
    """
    import numpy as np

    from edge_deeplab.litert.flatbuffer import runtime_versions

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "hostname": platform.node(),
        "system": platform.system(),
        "machine": platform.machine(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        **runtime_versions(),
        "numpy": np.__version__,
    }


def cpu_variants(config: HostBenchConfig) -> list[tuple[str, int, bool]]:
    """The CPU settings to time: XNNPACK at each thread count, then the reference kernels if asked.

    Args:
        config: the HostBenchConfig (threads, without_xnnpack).

    Returns:
        [(label, threads, xnnpack on)].
    """
    variants = [(f"xnnpack, {t} thread{'s' if t > 1 else ''}", t, True) for t in config.threads]
    if config.without_xnnpack:
        variants += [(f"reference kernels, {t} thread{'s' if t > 1 else ''}", t, False) for t in config.threads]
    return variants


def benchmark_model_on_host(
    model_path,
    config: HostBenchConfig,
    jpeg: bytes,
    normalisation: Optional[dict] = None,
    step: Callable[[str], None] = lambda _: None,
) -> dict:
    """All CPU variants (model and e2e) and the GPU row for one model."""
    import numpy as np

    from edge_deeplab.litert.interpreter import open_interpreter

    model_path = Path(model_path)
    if not model_path.is_file():
        raise EdgeDeeplabError(f"{model_path}: model file not found; pass .tflite files")
    normalisation = normalisation or {}
    probe = open_interpreter(model_path, 1)
    input_details, output_details = probe.get_input_details()[0], probe.get_output_details()[0]
    prep = preprocessing_for(model_path, input_details["shape"], output_details["shape"], **normalisation)
    entry = {
        "name": model_path.name,
        "path": str(model_path),
        "bytes": model_path.stat().st_size,
        "sha256": sha256_of(model_path),
        "input": {"shape": [int(v) for v in input_details["shape"]], "dtype": np.dtype(input_details["dtype"]).name},
        "output": {"shape": [int(v) for v in output_details["shape"]], "dtype": np.dtype(output_details["dtype"]).name},
        "preprocessing": dataclasses.asdict(prep) if prep else None,
        "results": [],
    }
    for label, threads, xnnpack in cpu_variants(config):
        base = {"backend": "cpu", "variant": label, "threads": threads, "xnnpack": xnnpack}
        try:
            interpreter = open_interpreter(model_path, threads, xnnpack)
        except EdgeDeeplabError as error:
            if xnnpack:
                raise
            # e.g. MediaPipe's custom ops are registered only with LiteRT's default op resolver.
            detail = re.search(r"\((.*)\);", str(error))
            entry["results"].append(
                {
                    **base,
                    "mode": "model",
                    "status": "skipped",
                    "reason": (
                        "LiteRT without its default delegates cannot load this model"
                        + (f" ({detail.group(1)})" if detail else "")
                    ),
                }
            )
            step(f"{model_path.name}: cpu {label}")
            continue
        samples = time_model_only(interpreter, config.runs, config.warmup)
        entry["results"].append({**base, "mode": "model", "status": "ok", "stats": latency_stats(samples).to_dict()})
        if config.e2e and prep is None:
            entry["results"].append(
                {
                    **base,
                    "mode": "e2e",
                    "status": "skipped",
                    "reason": "the model carries no contract: pass --mean and --std for e2e",
                }
            )
        elif config.e2e:
            timings = time_e2e(interpreter, jpeg, prep, config.runs, config.warmup)
            entry["results"].append(
                {
                    **base,
                    "mode": "e2e",
                    "status": "ok",
                    "stats": latency_stats(timings["total"]).to_dict(),
                    "stages_median_ms": {
                        stage: float(np.median(values)) for stage, values in timings.items() if stage != "total"
                    },
                }
            )
        step(f"{model_path.name}: cpu {label}")
    if config.gpu:
        entry["results"].append(gpu_row(model_path, config.gpu_runs))
        step(f"{model_path.name}: gpu")
    return entry


def benchmark_on_host(
    model_paths: list,
    config: HostBenchConfig = HostBenchConfig(),
    normalisations: Optional[dict] = None,
    progress: bool = True,
) -> dict:
    """Benchmark every model on this computer with LiteRT.

    Args:
        model_paths: .tflite files, or `preset:NAME[:int8|fp16]` (its int8 unless named).
        config: the HostBenchConfig (runs, warm-up, threads, XNNPACK, end to end, GPU).
        normalisations: a model path -> mean/std/output_kind/person_class, for models that carry no contract.
        progress: a progress bar on a terminal.

    Returns:
        The report: host facts, the config, the image, one entry per model.
    """
    from edge_deeplab.presets import resolve
    from edge_deeplab.progress import progress_bar

    given = [str(Path(path)) for path in model_paths]
    model_paths = [resolve(path, "int8") for path in model_paths]
    for path in model_paths:
        if not path.is_file():
            raise EdgeDeeplabError(f"{path}: model file not found; pass .tflite files")
    jpeg = load_jpeg(config.image) if config.image else synthetic_jpeg()
    steps = len(model_paths) * (len(cpu_variants(config)) + (1 if config.gpu else 0))
    models = []
    with progress_bar(total=steps, desc="bench host", unit="step", enabled=progress) as bar:

        def step(description: str):
            bar.set_postfix_str(description[-60:])
            bar.update(1)

        for spec, path in zip(given, model_paths):
            normalisation = (normalisations or {}).get(spec)
            models.append(benchmark_model_on_host(path, config, jpeg, normalisation, step))
    return {
        "kind": "host",
        "host": host_facts(),
        "config": dataclasses.asdict(config),
        "image": config.image or "synthetic 640x480 JPEG",
        "models": models,
    }

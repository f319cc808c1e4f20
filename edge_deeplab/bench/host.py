"""Benchmark .tflite models on this computer with LiteRT.

Two measurements per model and CPU configuration:
- model: `Interpreter.invoke()` alone, input already in place;
- end-to-end (e2e): JPEG decode, resize to the model's input, normalise, invoke, post-process to a
  person mask at the frame's size. Pre- and post-processing decide real frame rates, so both are
  reported, with the time of each stage.

CPU configurations: the LiteRT interpreter with XNNPACK (its default) at each thread count, and
optionally without XNNPACK (the reference kernels) to see what XNNPACK buys.

The GPU: LiteRT's GPU accelerator (`CompiledModel`, GPU only). On a machine without a GPU this runs
on a software Vulkan driver, if one is installed: that is a correctness path (does every op run on
the GPU, do the outputs agree with the CPU), never a phone's frame rate, and the report says so.
Where no adapter exists, the GPU row says why it was skipped.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import platform
import re
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

from edge_deeplab.bench.report import sha256_of
from edge_deeplab.bench.stats import latency_stats
from edge_deeplab.errors import EdgeDeeplabError

GPU_NOTE = ("LiteRT GPU accelerator on this computer (software Vulkan where there is no GPU): "
            "a correctness path, not a phone number")


@dataclasses.dataclass(frozen=True)
class HostBenchConfig:
    runs: int = 50
    warmup: int = 5
    threads: tuple = (1, 2)
    without_xnnpack: bool = False       # also time the reference kernels
    e2e: bool = True
    gpu: bool = True
    gpu_runs: int = 3                   # software Vulkan takes 0.1-5 s per inference
    image: Optional[str] = None         # JPEG for e2e; default: a synthetic 640x480 camera frame

    def __post_init__(self):
        if self.runs < 1 or self.warmup < 0 or self.gpu_runs < 1:
            raise EdgeDeeplabError("--runs and --gpu-runs must be at least 1, --warmup at least 0")
        if not self.threads or any(t < 1 for t in self.threads):
            raise EdgeDeeplabError("--threads needs positive thread counts, e.g. --threads 1,2")


@dataclasses.dataclass(frozen=True)
class Preprocessing:
    """What end-to-end needs to know about a model: input size, normalisation, output meaning."""
    height: int
    width: int
    mean: tuple
    std: tuple
    output_kind: str            # logits | probabilities | label_map | person_alpha
    person_class: Optional[int]
    source: str                 # where these numbers came from


# ---- model contract --------------------------------------------------------------------------------

def contract_preprocessing(model_path) -> Optional[Preprocessing]:
    """The contract stored in the .tflite, if the model carries one (our exporter writes it)."""
    from edge_deeplab import contract as contract_module

    reader = getattr(contract_module, "read_tflite_contract", None)
    if reader is None:
        return None
    try:
        model_contract = reader(model_path)
    except EdgeDeeplabError:
        return None
    if model_contract is None:
        return None
    return Preprocessing(height=model_contract.input_height, width=model_contract.input_width,
                         mean=tuple(model_contract.mean), std=tuple(model_contract.std),
                         output_kind=model_contract.output_kind, person_class=model_contract.person_class,
                         source="contract in the model")


def preprocessing_for(model_path, input_shape, output_shape, mean=None, std=None, output_kind=None,
                      person_class=None) -> Optional[Preprocessing]:
    """The model's contract if it has one; else the given normalisation with the interpreter's input size."""
    stored = contract_preprocessing(model_path)
    if stored is not None:
        return stored
    if mean is None or std is None:
        return None
    if output_kind is None:
        output_kind = "person_alpha" if output_shape[-1] == 1 else ("label_map" if len(output_shape) == 3 else "logits")
    return Preprocessing(height=int(input_shape[1]), width=int(input_shape[2]),
                         mean=tuple(float(v) for v in mean), std=tuple(float(v) for v in std),
                         output_kind=output_kind, person_class=person_class, source="given on the command line")


# ---- frames ----------------------------------------------------------------------------------------

def synthetic_jpeg(width: int = 640, height: int = 480) -> bytes:
    """A deterministic camera-sized JPEG: smooth gradients plus a bright ellipse, so decode cost is realistic."""
    import cv2
    import numpy as np

    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    frame = np.stack([x / width * 255, y / height * 255, (x + y) / (width + height) * 255], axis=-1)
    cv2.ellipse(frame, (width // 2, height // 2), (width // 6, height // 3), 0, 0, 360, (230, 200, 180), -1)
    ok, encoded = cv2.imencode(".jpg", frame.astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return encoded.tobytes()


def load_jpeg(path) -> bytes:
    import cv2
    import numpy as np

    data = Path(path).read_bytes() if Path(path).is_file() else None
    if data is None:
        raise EdgeDeeplabError(f"{path}: image not found; pass a JPEG or PNG with --image")
    if cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) is None:
        raise EdgeDeeplabError(f"{path}: not an image OpenCV can decode; pass a JPEG or PNG with --image")
    return data


# ---- the end-to-end pipeline ---------------------------------------------------------------------------

def _quantize(values, details):
    import numpy as np

    scale, zero_point = details["quantization"]
    if details["dtype"] == np.float32 or not scale:
        return values.astype(details["dtype"])
    info = np.iinfo(details["dtype"])
    return np.clip(np.round(values / scale + zero_point), info.min, info.max).astype(details["dtype"])


def _dequantize(values, details):
    import numpy as np

    scale, zero_point = details["quantization"]
    if values.dtype == np.float32 or not scale:
        return values
    return (values.astype(np.float32) - zero_point) * scale


def mask_from_output(output, prep: Preprocessing):
    """Model output -> uint8 mask at the model's resolution (person mask when the person class is known)."""
    import numpy as np

    output = output[0] if output.ndim >= 3 and output.shape[0] == 1 else output
    if prep.output_kind == "person_alpha":
        return (output[..., 0] if output.ndim == 3 else output) > 0.5
    if prep.output_kind == "label_map":
        labels = output
    else:  # logits or probabilities: the class with the highest score
        labels = np.argmax(output, axis=-1)
    if prep.person_class is not None:
        return labels == prep.person_class
    return labels.astype(np.uint8)


def e2e_frame(jpeg: bytes, interpreter, prep: Preprocessing, timings: dict):
    """One frame through the whole pipeline; adds each stage's milliseconds to `timings` lists."""
    import cv2
    import numpy as np

    input_details = interpreter.get_input_details()[0]
    output_details = interpreter.get_output_details()[0]
    t0 = time.perf_counter()
    bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    t1 = time.perf_counter()
    rgb = cv2.cvtColor(cv2.resize(bgr, (prep.width, prep.height), interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2RGB)
    normalised = (rgb.astype(np.float32) - np.asarray(prep.mean, np.float32)) / np.asarray(prep.std, np.float32)
    interpreter.set_tensor(input_details["index"], _quantize(normalised[np.newaxis], input_details))
    t2 = time.perf_counter()
    interpreter.invoke()
    t3 = time.perf_counter()
    output = _dequantize(interpreter.get_tensor(output_details["index"]), output_details)
    mask = mask_from_output(output, prep).astype(np.uint8)
    mask = cv2.resize(mask, (bgr.shape[1], bgr.shape[0]), interpolation=cv2.INTER_NEAREST)
    t4 = time.perf_counter()
    for stage, (start, end) in {"decode": (t0, t1), "preprocess": (t1, t2), "invoke": (t2, t3),
                                "postprocess": (t3, t4), "total": (t0, t4)}.items():
        timings.setdefault(stage, []).append((end - start) * 1000.0)
    return mask


# ---- CPU -------------------------------------------------------------------------------------------

def make_interpreter(model_path, threads: int, xnnpack: bool):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    resolver = OpResolverType.AUTO if xnnpack else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    try:
        interpreter = Interpreter(model_path=str(model_path), num_threads=threads,
                                  experimental_op_resolver_type=resolver)
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as error:
        raise EdgeDeeplabError(f"{model_path}: LiteRT cannot load this model ({str(error).splitlines()[0]}); "
                               f"pass a .tflite written by `edge-deeplab export`") from None
    return interpreter


def _random_input(details):
    import numpy as np

    rng = np.random.default_rng(0)
    shape = details["shape"]
    if details["dtype"] == np.float32:
        return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)
    info = np.iinfo(details["dtype"])
    return rng.integers(info.min, info.max, size=shape, endpoint=True).astype(details["dtype"])


def time_model_only(interpreter, runs: int, warmup: int) -> list[float]:
    details = interpreter.get_input_details()[0]
    interpreter.set_tensor(details["index"], _random_input(details))
    for _ in range(warmup):
        interpreter.invoke()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        interpreter.invoke()
        samples.append((time.perf_counter() - start) * 1000.0)
    return samples


def time_e2e(interpreter, jpeg: bytes, prep: Preprocessing, runs: int, warmup: int) -> dict:
    for _ in range(warmup):
        e2e_frame(jpeg, interpreter, prep, {})
    timings: dict = {}
    for _ in range(runs):
        e2e_frame(jpeg, interpreter, prep, timings)
    return timings


# ---- GPU (LiteRT CompiledModel) --------------------------------------------------------------------

@contextlib.contextmanager
def capture_native_stderr():
    """Collect what native code writes to file descriptor 2 (LiteRT logs why an op cannot run on the GPU)."""
    captured = {"text": ""}
    with tempfile.TemporaryFile(mode="w+b") as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured["text"] = sink.read().decode("utf-8", errors="replace")


_NOT_ACCELERATED_OP = re.compile(r"\b([A-Z][A-Z0-9_]{2,}): (.*(?:not supported|is not supported|Not supported).*)")


def benchmark_gpu(model_path, runs: int, reference_output=None, reference_input=None) -> dict:
    """Compile for LiteRT's GPU accelerator alone and time it, or say why that is impossible here."""
    import numpy as np
    from ai_edge_litert.compiled_model import CompiledModel, HardwareAccelerator

    # The Vulkan loader needs a writable runtime folder (measured: it fails without one in containers).
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())
    row = {"backend": "gpu", "variant": "LiteRT GPU accelerator", "mode": "model", "note": GPU_NOTE}
    with capture_native_stderr() as log:
        try:
            model = CompiledModel.from_file(str(model_path), hardware_accel=HardwareAccelerator.GPU)
            error = None
        except Exception as raised:  # LiteRT raises RuntimeError with its native log message
            model, error = None, raised
    if model is None:
        text = log["text"] + "\n" + str(error)
        ops = sorted({f"{op}: {reason.strip()}" for op, reason in _NOT_ACCELERATED_OP.findall(text)})
        if "No adapters found" in text or "Couldn't load Vulkan" in text or "Failed to initialize WebGPU" in text:
            row.update(status="skipped", reason="no GPU adapter on this computer (install a Vulkan driver, "
                                                  "e.g. mesa-vulkan-drivers, to check GPU compatibility)")
        elif ops or "not accelerated" in text:
            row.update(status="not-fully-accelerated", reason="some ops cannot run on the GPU", fallback_ops=ops)
        else:
            row.update(status="failed", reason=_first_error_line(text))
        return row
    with model:
        fully = bool(model.is_fully_accelerated())
        inputs, outputs = model.create_input_buffers(0), model.create_output_buffers(0)
        signature = model.get_signature_list()
        key = next(iter(signature))
        in_details = model.get_input_tensor_details(key)
        first = next(iter(in_details.values()))
        data = reference_input if reference_input is not None else _random_input(
            {"shape": first["shape"], "dtype": np.dtype(first["dtype"])})
        inputs[0].write(np.ascontiguousarray(data))
        model.run_by_index(0, inputs, outputs)  # the first run compiles shaders: not timed
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            model.run_by_index(0, inputs, outputs)
            samples.append((time.perf_counter() - start) * 1000.0)
        row.update(status="ok" if fully else "not-fully-accelerated", fully_accelerated=fully,
                   stats=latency_stats(samples).to_dict())
        if reference_output is not None:
            got = outputs[0].read(int(np.prod(reference_output.shape)), reference_output.dtype).reshape(
                reference_output.shape)
            row["max_abs_diff_vs_cpu"] = float(np.max(np.abs(got.astype(np.float64) - reference_output)))
            if reference_output.ndim == 4 and reference_output.shape[-1] > 1:
                row["argmax_agreement_vs_cpu"] = float(np.mean(
                    np.argmax(got, axis=-1) == np.argmax(reference_output, axis=-1)))
    return row


def benchmark_gpu_isolated(model_path, runs: int, reference_output=None, reference_input=None) -> dict:
    """benchmark_gpu in a fresh process: the GPU accelerator crashes where TensorFlow is loaded
    (edge_deeplab/isolated.py), and a driver crash must become a row, not the end of the run."""
    from edge_deeplab.isolated import IsolatedProcessFailed, run_isolated

    try:
        return run_isolated(benchmark_gpu, str(model_path), runs, reference_output, reference_input)
    except IsolatedProcessFailed as error:
        return {"backend": "gpu", "variant": "LiteRT GPU accelerator", "mode": "model", "note": GPU_NOTE,
                "status": "failed", "reason": str(error)}


def _first_error_line(text: str) -> str:
    for line in text.splitlines():
        if "ERROR" in line or "rror" in line:
            return line.strip()[:200]
    return text.strip().splitlines()[0][:200] if text.strip() else "unknown error"


# ---- the whole benchmark ---------------------------------------------------------------------------

def host_facts() -> dict:
    import numpy as np

    try:
        from importlib.metadata import version

        litert = version("ai-edge-litert")
    except Exception:
        litert = None
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"hostname": platform.node(), "system": platform.system(), "machine": platform.machine(), "cpu": cpu,
            "cpu_count": os.cpu_count(), "python": platform.python_version(), "ai_edge_litert": litert,
            "numpy": np.__version__}


def cpu_variants(config: HostBenchConfig) -> list[tuple[str, int, bool]]:
    variants = [(f"xnnpack, {t} thread{'s' if t > 1 else ''}", t, True) for t in config.threads]
    if config.without_xnnpack:
        variants += [(f"reference kernels, {t} thread{'s' if t > 1 else ''}", t, False) for t in config.threads]
    return variants


def benchmark_model_on_host(model_path, config: HostBenchConfig, jpeg: bytes,
                            normalisation: Optional[dict] = None, step: Callable[[str], None] = lambda _: None) -> dict:
    """All CPU variants (model and e2e) and the GPU row for one model."""
    import numpy as np

    model_path = Path(model_path)
    if not model_path.is_file():
        raise EdgeDeeplabError(f"{model_path}: model file not found; pass .tflite files")
    normalisation = normalisation or {}
    probe = make_interpreter(model_path, 1, True)
    input_details, output_details = probe.get_input_details()[0], probe.get_output_details()[0]
    prep = preprocessing_for(model_path, input_details["shape"], output_details["shape"], **normalisation)
    entry = {
        "name": model_path.name, "path": str(model_path), "bytes": model_path.stat().st_size,
        "sha256": sha256_of(model_path),
        "input": {"shape": [int(v) for v in input_details["shape"]], "dtype": np.dtype(input_details["dtype"]).name},
        "output": {"shape": [int(v) for v in output_details["shape"]], "dtype": np.dtype(output_details["dtype"]).name},
        "preprocessing": dataclasses.asdict(prep) if prep else None,
        "results": [],
    }
    reference_input = _random_input(input_details)
    probe.set_tensor(input_details["index"], reference_input)
    probe.invoke()
    reference_output = _dequantize(probe.get_tensor(output_details["index"]), output_details).astype(np.float32)

    for label, threads, xnnpack in cpu_variants(config):
        base = {"backend": "cpu", "variant": label, "threads": threads, "xnnpack": xnnpack}
        try:
            interpreter = make_interpreter(model_path, threads, xnnpack)
        except EdgeDeeplabError as error:
            if xnnpack:
                raise
            # e.g. MediaPipe's custom ops are registered only with LiteRT's default op resolver.
            detail = re.search(r"\((.*)\);", str(error))
            entry["results"].append({**base, "mode": "model", "status": "skipped", "reason": (
                "LiteRT without its default delegates cannot load this model"
                + (f" ({detail.group(1)})" if detail else ""))})
            step(f"{model_path.name}: cpu {label}")
            continue
        samples = time_model_only(interpreter, config.runs, config.warmup)
        entry["results"].append({**base, "mode": "model", "status": "ok", "stats": latency_stats(samples).to_dict()})
        if config.e2e and prep is None:
            entry["results"].append({**base, "mode": "e2e", "status": "skipped",
                                     "reason": "the model carries no contract: pass --mean and --std for e2e"})
        elif config.e2e:
            timings = time_e2e(interpreter, jpeg, prep, config.runs, config.warmup)
            entry["results"].append({
                **base, "mode": "e2e", "status": "ok", "stats": latency_stats(timings["total"]).to_dict(),
                "stages_median_ms": {stage: float(np.median(values)) for stage, values in timings.items()
                                     if stage != "total"}})
        step(f"{model_path.name}: cpu {label}")
    if config.gpu:
        entry["results"].append(benchmark_gpu_isolated(
            model_path, config.gpu_runs, reference_output,
            reference_input if input_details["dtype"] == np.float32 else None))
        step(f"{model_path.name}: gpu")
    return entry


def benchmark_on_host(model_paths: list, config: HostBenchConfig = HostBenchConfig(),
                      normalisations: Optional[dict] = None, progress: bool = True) -> dict:
    """Benchmark every model; `normalisations` maps a model path to mean/std/output_kind/person_class
    for models that carry no contract."""
    from tqdm import tqdm

    model_paths = [Path(path) for path in model_paths]
    for path in model_paths:
        if not path.is_file():
            raise EdgeDeeplabError(f"{path}: model file not found; pass .tflite files")
    jpeg = load_jpeg(config.image) if config.image else synthetic_jpeg()
    steps = len(model_paths) * (len(cpu_variants(config)) + (1 if config.gpu else 0))
    models = []
    with tqdm(total=steps, desc="bench host", unit="step", disable=not progress) as bar:
        def step(description: str):
            bar.set_postfix_str(description[-60:])
            bar.update(1)

        for path in model_paths:
            normalisation = (normalisations or {}).get(str(path))
            models.append(benchmark_model_on_host(path, config, jpeg, normalisation, step))
    return {"kind": "host", "host": host_facts(), "config": dataclasses.asdict(config),
            "image": config.image or "synthetic 640x480 JPEG", "models": models}

"""LiteRT's GPU accelerator alone (no CPU to fall back to), compared with the CPU interpreter.

Everything GPU runs in a child process (edge_deeplab.litert.child): the export gate and the host
benchmark both call `run_on_gpu`, which returns what the child measured, LiteRT's log, the adapter it
selected and the ops it refused. On a machine without a GPU this runs on a software Vulkan driver: a
correctness path (does every op run on the GPU, do the outputs agree with the CPU), never a phone's speed.
"""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path
from typing import Optional

import numpy as np

#: A 257 px DeepLab takes 0.1-5 s per inference on the software driver, plus the compile.
GPU_TIMEOUT_S = 600
INSTALL_HINT = (
    "install libvulkan1 and Mesa's Vulkan driver mesa-vulkan-drivers 25+ (on Debian 12 from "
    "bookworm-backports): as root, bash scripts/install_system_packages.sh gpu"
)
_FALLBACK_HEADER = "Following operations are not supported by GPU delegate:"
_ADAPTER = re.compile(r"Selected adapter: (.+?)(?:, arch=.*?backend=(\w+).*)?$", re.MULTILINE)
_NO_ADAPTER = ("No adapters found", "Couldn't load Vulkan", "Failed to initialize WebGPU")


@dataclasses.dataclass(frozen=True)
class GpuRun:
    """What the child measured (None when it died), LiteRT's log and what the log says."""

    measured: Optional[dict]
    log: str
    adapter: Optional[str]  # e.g. "llvmpipe (LLVM 15.0.6, 256 bits) [Vulkan]"
    fallbacks: tuple[tuple[str, str], ...]  # (op, reason) for each op the GPU refused
    died: Optional[str] = None  # "signal 11", "exit code 1", "timed out"

    @property
    def no_adapter_reason(self) -> Optional[str]:
        """Why there is no GPU here, or None where LiteRT found an adapter."""
        if self.adapter is not None:
            return None
        return (
            first_line_with(self.log, _NO_ADAPTER)
            or (self.measured or {}).get("error")
            or "LiteRT selected no GPU adapter"
        )


def run_on_gpu(path, seed: int = 0, runs: int = 0, timeout_s: float = GPU_TIMEOUT_S) -> GpuRun:
    """Compile `path` for the GPU alone in a child, run it and the CPU interpreter on one deterministic
    input and, with `runs`, time that many GPU runs after a first (shader-compiling) one."""
    from edge_deeplab.litert.child import run_in_child

    outcome = run_in_child(measure, str(Path(path).resolve()), seed, runs, timeout=timeout_s)
    return GpuRun(
        measured=outcome.value if outcome.finished else None,
        log=outcome.log,
        adapter=adapter(outcome.log),
        fallbacks=tuple(fallback_ops(outcome.log)),
        died=None if outcome.finished else outcome.how_it_died,
    )


def measure(path: str, seed: int, runs: int = 0) -> dict:
    """In the child process (no TensorFlow): what happened, as data."""
    from ai_edge_litert.compiled_model import CompiledModel, GpuOptions, HardwareAccelerator, Options
    from ai_edge_litert.interpreter import Interpreter

    data = Path(path).read_bytes()
    try:
        # The CPU interpreter first: a model it cannot load is the user's file, not the GPU's fault.
        interpreter = Interpreter(model_content=data)
    except Exception as error:
        return {"unreadable": first_line(error)}
    # f32 on the GPU, so that the difference measures the graph, not fp16 arithmetic (FIELD_NOTES:
    # Google's DeepLab matched the CPU to 3e-5 with enforce_f32; fp16 differs more).
    fields = {f.name for f in dataclasses.fields(GpuOptions)}
    gpu_options = GpuOptions(enforce_f32=True) if "enforce_f32" in fields else GpuOptions()
    options = Options(hardware_accelerators=HardwareAccelerator.GPU, gpu_options=gpu_options)
    try:
        model = CompiledModel.from_file(path, options=options)
        if not model.is_fully_accelerated():
            return {"fully_accelerated": False}
        inputs = _random_inputs(model, data, seed)
        run = _compiled_runner(model, inputs)
        gpu_outputs = run()
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            run()
            samples.append((time.perf_counter() - start) * 1000.0)
        cpu_outputs = _run_interpreter(interpreter, inputs)
    except Exception as error:  # LiteRT raises RuntimeError with its C++ status text
        return {"error": first_line(error)}
    pairs = [(_real(gpu, details), _real(cpu, details)) for gpu, (cpu, details) in zip(gpu_outputs, cpu_outputs)]
    result = {
        "fully_accelerated": True,
        "max_abs_diff": max(_max_abs_diff(gpu, cpu) for gpu, cpu in pairs),
        "samples_ms": samples,
    }
    gpu, cpu = pairs[0]
    if gpu.shape == cpu.shape and gpu.ndim == 4 and gpu.shape[-1] > 1:
        result["argmax_agreement"] = float(np.mean(np.argmax(gpu, axis=-1) == np.argmax(cpu, axis=-1)))
    return result


def _random_inputs(model, data: bytes, seed: int) -> dict[str, np.ndarray]:
    """One deterministic input per signature input: an image normalised by the model's contract where
    it carries one, else uniform in [-1, 1]; integer inputs over the 8-bit pixel range."""
    from edge_deeplab.contract import TFLITE_METADATA_NAME, ModelContract
    from edge_deeplab.litert.flatbuffer import contract_text

    text = contract_text(data)
    contract = ModelContract.from_json(text, source=TFLITE_METADATA_NAME) if text else None
    rng = np.random.default_rng(seed)
    key = next(iter(model.get_signature_list()))
    inputs = {}
    for name, details in model.get_input_tensor_details(key).items():
        shape, dtype = tuple(details["shape"]), np.dtype(details["dtype"])
        if dtype.kind == "f":
            if contract is not None and shape and shape[-1] == 3:
                value = contract.normalize(rng.integers(0, 256, size=shape))
            else:
                value = rng.uniform(-1.0, 1.0, size=shape)
        else:
            info = np.iinfo(dtype)
            value = rng.integers(max(info.min, -128), min(info.max, 255), size=shape, endpoint=True)
        inputs[name] = np.ascontiguousarray(value, dtype=dtype)
    return inputs


def _compiled_runner(model, inputs: dict):
    """A function that runs the compiled model on `inputs` and reads each output in its own type."""
    key = next(iter(model.get_signature_list()))
    signature = model.get_signature_list()[key]
    index = model.get_signature_index(key)
    input_buffers = model.create_input_buffers(index)
    output_buffers = model.create_output_buffers(index)
    for name, buffer in zip(signature["inputs"], input_buffers):
        buffer.write(inputs[name])
    details = model.get_output_tensor_details(key)

    def run() -> list[np.ndarray]:
        model.run_by_index(index, input_buffers, output_buffers)
        outputs = []
        for name, buffer in zip(signature["outputs"], output_buffers):
            shape, dtype = tuple(details[name]["shape"]), np.dtype(details[name]["dtype"])
            outputs.append(buffer.read(int(np.prod(shape)), dtype).reshape(shape))
        return outputs

    return run


def _run_interpreter(interpreter, inputs: dict) -> list[tuple[np.ndarray, dict]]:
    """The CPU reference outputs with their details, in the compiled model's signature output order."""
    signatures = interpreter.get_signature_list()
    if signatures:
        key = next(iter(signatures))
        runner = interpreter.get_signature_runner(key)
        results = runner(**inputs)
        output_details = runner.get_output_details()
        return [(results[name], output_details[name]) for name in signatures[key]["outputs"]]
    interpreter.allocate_tensors()
    for details, value in zip(interpreter.get_input_details(), inputs.values()):
        interpreter.set_tensor(details["index"], value)
    interpreter.invoke()
    return [(interpreter.get_tensor(d["index"]), d) for d in interpreter.get_output_details()]


def _real(values: np.ndarray, details: dict) -> np.ndarray:
    """In real units: quantized (int8/uint8) outputs are dequantized with the tensor's own parameters."""
    values = np.asarray(values, np.float64)
    scale, zero_point = details.get("quantization", (0.0, 0))
    dtype = np.dtype(details["dtype"])
    if scale and dtype.kind in "iu" and dtype.itemsize == 1:
        return (values - zero_point) * scale
    return values


def _max_abs_diff(gpu: np.ndarray, cpu: np.ndarray) -> float:
    if gpu.shape != cpu.shape:
        return float("inf")
    return float(np.max(np.abs(gpu - cpu))) if gpu.size else 0.0


# ---- LiteRT's log ------------------------------------------------------------------------------------


def adapter(log: str) -> Optional[str]:
    """ "llvmpipe (LLVM 15.0.6, 256 bits) [Vulkan]" from LiteRT's "Selected adapter: ..." line."""
    match = _ADAPTER.search(log)
    if match is None:
        return None
    return match.group(1).strip() + (f" [{match.group(2)}]" if match.group(2) else "")


def fallback_ops(text: str) -> list[tuple[str, str]]:
    """The ops LiteRT's log lists after "Following operations are not supported by GPU delegate:",
    e.g. "ARG_MAX: Tensor type(INT64) is not supported." (it names op types, not indices)."""
    issues, listing = [], False
    for line in text.splitlines():
        if _FALLBACK_HEADER in line:
            listing = True
            continue
        if listing:
            match = re.match(r"^([A-Z][A-Z0-9_]*(?:\([^)]*\))?): (.*)$", line.strip())
            if not match:
                listing = False
                continue
            issue = (match.group(1), match.group(2).strip())
            if issue not in issues:
                issues.append(issue)
    return issues


def last_line(log: str) -> str:
    """The last non-blank line of a child's log, stripped ("no output" when there is none).

    Args:
        log: the child's output.
    """
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def first_line_with(text: str, needles) -> Optional[str]:
    """The first line of `text` holding any of `needles`, without its "[...] " log prefix.

    Args:
        text: a log.
        needles: strings to look for.

    Returns:
        The line, or None when no line holds one.
    """
    for line in text.splitlines():
        if any(needle in line for needle in needles):
            return line.split("] ", 1)[-1].strip()
    return None


def first_line(error) -> str:
    """The line of an error that says what went wrong: its first line that is not a LiteRT "ERROR: [" line, else
    its first line, else its type's name ("" for None).

    Args:
        error: an exception, or None.
    """
    if error is None:
        return ""
    lines = [line.strip(" └") for line in str(error).splitlines() if line.strip(" └")]
    meaningful = [line for line in lines if not line.startswith("ERROR: [")]
    return (meaningful or lines or [type(error).__name__])[0]

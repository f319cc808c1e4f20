"""The LiteRT CPU interpreter: open a .tflite, move float data in and out of its (quantized) tensors."""

from __future__ import annotations

import warnings

from pathlib import Path

import numpy as np

from edge_deeplab.errors import EdgeDeeplabError

DEFAULT_THREADS = 2
EXPORT_FIX = "pass a .tflite written by `edge-deeplab export`"


def open_interpreter(
    path,
    threads: int = DEFAULT_THREADS,
    xnnpack: bool = True,
    single_io: bool = False,
    fix: str = EXPORT_FIX,
    preserve_all_tensors: bool = False,
):
    """An allocated interpreter (XNNPACK unless `xnnpack` is False); a one-line error naming `fix` when
    LiteRT cannot load the file, or (with `single_io`) when it is not one input -> one output.
    preserve_all_tensors keeps intermediate tensors readable (e.g. the scores under an argmax output)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    from edge_deeplab.quiet import native_stderr_filtered

    resolver = OpResolverType.AUTO if xnnpack else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    try:
        with warnings.catch_warnings():  # LiteRT warns that preserving tensors is for debugging: it costs memory
            warnings.simplefilter("ignore", UserWarning)
            interpreter = Interpreter(
                model_path=str(path),
                num_threads=threads,
                experimental_op_resolver_type=resolver,
                experimental_preserve_all_tensors=preserve_all_tensors,
            )
        with native_stderr_filtered():  # LiteRT's "Created TensorFlow Lite XNNPACK delegate" line, per model
            interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as error:
        raise EdgeDeeplabError(f"{path}: LiteRT cannot load this model ({str(error).splitlines()[0]}); {fix}") from None
    inputs, outputs = interpreter.get_input_details(), interpreter.get_output_details()
    if single_io and (len(inputs) != 1 or len(outputs) != 1):
        raise EdgeDeeplabError(
            f"{path}: has {len(inputs)} inputs and {len(outputs)} outputs; a segmentation model has one of each"
        )
    return interpreter


def quantize(values: np.ndarray, details: dict) -> np.ndarray:
    """Float model input -> the tensor's type, by its quantization parameters (q = x / scale + zero point)."""
    dtype = np.dtype(details["dtype"])
    scale, zero_point = details["quantization"]
    if dtype.kind == "f" or not scale:
        return values.astype(dtype)
    info = np.iinfo(dtype)
    return np.clip(np.round(values / scale + zero_point), info.min, info.max).astype(dtype)


def dequantize(values: np.ndarray, details: dict) -> np.ndarray:
    """int8/uint8 output -> float32 (x = (q - zero point) * scale); int32 class ids pass through."""
    scale, zero_point = details["quantization"]
    if values.dtype.kind == "f":
        return values.astype(np.float32)
    if not scale:
        return values
    return (values.astype(np.float32) - zero_point) * np.float32(scale)


def random_input(details: dict, seed: int = 0) -> np.ndarray:
    """A deterministic input for a tensor: uniform in [-1, 1] for float, the whole range for integers."""
    rng = np.random.default_rng(seed)
    shape, dtype = tuple(details["shape"]), np.dtype(details["dtype"])
    if dtype.kind == "f":
        return rng.uniform(-1.0, 1.0, size=shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)


def invoke(interpreter, float_input: np.ndarray) -> np.ndarray:
    """One forward pass of a single-input, single-output model: float in, float (or class ids) out."""
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.set_tensor(inp["index"], quantize(float_input, inp))
    interpreter.invoke()
    return dequantize(interpreter.get_tensor(out["index"]), out)


def run_images(path, images: np.ndarray, threads: int = DEFAULT_THREADS) -> np.ndarray:
    """The outputs of a .tflite on a stack of float images, without the batch axis, dequantized."""
    interpreter = open_interpreter(path, threads)
    return np.stack([invoke(interpreter, image[np.newaxis])[0] for image in images])


def tensor_details(path, fix: str = EXPORT_FIX) -> tuple[dict, dict]:
    """The input and output tensor details of a single-input, single-output model (nothing allocated)."""
    from ai_edge_litert.interpreter import Interpreter

    try:
        interpreter = Interpreter(model_path=str(Path(path)))
    except (ValueError, RuntimeError) as error:
        raise EdgeDeeplabError(f"{path}: LiteRT cannot load this model ({str(error).splitlines()[0]}); {fix}") from None
    inputs, outputs = interpreter.get_input_details(), interpreter.get_output_details()
    if len(inputs) != 1 or len(outputs) != 1:
        raise EdgeDeeplabError(
            f"{path}: has {len(inputs)} inputs and {len(outputs)} outputs; the app runs a "
            f"segmentation model with one of each"
        )
    return inputs[0], outputs[0]

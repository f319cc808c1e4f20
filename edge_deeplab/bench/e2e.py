"""End-to-end frame timing: JPEG decode, resize to the model's input, normalise, invoke, post-process
to a person mask at the frame's size. Pre- and post-processing decide real frame rates, so each
stage's time is reported."""

from __future__ import annotations

import dataclasses
import time
from typing import Optional

from edge_deeplab.errors import EdgeDeeplabError


@dataclasses.dataclass(frozen=True)
class Preprocessing:
    """What end-to-end needs to know about a model: input size, normalisation, output meaning."""

    height: int
    width: int
    mean: tuple
    std: tuple
    output_kind: str  # logits | probabilities | label_map | person_alpha
    person_class: Optional[int]
    source: str  # where these numbers came from


def contract_preprocessing(model_path) -> Optional[Preprocessing]:
    """The contract stored in the .tflite, if the model carries one (our exporter writes it)."""
    from edge_deeplab.litert import flatbuffer

    try:
        model_contract = flatbuffer.read_tflite_contract(model_path)
    except EdgeDeeplabError:
        return None
    if model_contract is None:
        return None
    return Preprocessing(
        height=model_contract.input_height,
        width=model_contract.input_width,
        mean=tuple(model_contract.mean),
        std=tuple(model_contract.std),
        output_kind=model_contract.output_kind,
        person_class=model_contract.person_class,
        source="contract in the model",
    )


def preprocessing_for(
    model_path, input_shape, output_shape, mean=None, std=None, output_kind=None, person_class=None
) -> Optional[Preprocessing]:
    """The model's contract if it has one; else the given normalisation with the interpreter's input size."""
    stored = contract_preprocessing(model_path)
    if stored is not None:
        return stored
    if mean is None or std is None:
        return None
    if output_kind is None:
        output_kind = "person_alpha" if output_shape[-1] == 1 else ("label_map" if len(output_shape) == 3 else "logits")
    return Preprocessing(
        height=int(input_shape[1]),
        width=int(input_shape[2]),
        mean=tuple(float(v) for v in mean),
        std=tuple(float(v) for v in std),
        output_kind=output_kind,
        person_class=person_class,
        source="given on the command line",
    )


def e2e_frame(jpeg: bytes, interpreter, prep: Preprocessing, timings: dict):
    """One frame through the whole pipeline; adds each stage's milliseconds to `timings` lists."""
    import cv2
    import numpy as np

    from edge_deeplab.litert.interpreter import invoke
    from edge_deeplab.litert.outputs import person_mask

    t0 = time.perf_counter()
    bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    t1 = time.perf_counter()
    rgb = cv2.cvtColor(cv2.resize(bgr, (prep.width, prep.height), interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2RGB)
    normalised = (rgb.astype(np.float32) - np.asarray(prep.mean, np.float32)) / np.asarray(prep.std, np.float32)
    t2 = time.perf_counter()
    output = invoke(interpreter, normalised[np.newaxis])
    t3 = time.perf_counter()
    output = output[0] if output.ndim >= 3 and output.shape[0] == 1 else output
    mask = person_mask(output, prep.output_kind, prep.person_class).astype(np.uint8)
    mask = cv2.resize(mask, (bgr.shape[1], bgr.shape[0]), interpolation=cv2.INTER_NEAREST)
    t4 = time.perf_counter()
    for stage, (start, end) in {
        "decode": (t0, t1),
        "preprocess": (t1, t2),
        "invoke": (t2, t3),
        "postprocess": (t3, t4),
        "total": (t0, t4),
    }.items():
        timings.setdefault(stage, []).append((end - start) * 1000.0)
    return mask


def time_e2e(interpreter, jpeg: bytes, prep: Preprocessing, runs: int, warmup: int) -> dict:
    """Time whole frames (decode, preprocess, invoke, post-process) after `warmup` untimed ones.

    Args:
        interpreter: the model's LiteRT interpreter, tensors allocated.
        jpeg: the encoded camera frame.
        prep: the model's Preprocessing (input size, normalisation, output kind).
        runs: timed frames.
        warmup: untimed frames first.

    Returns:
        Stage name (decode, preprocess, invoke, postprocess, total) -> the milliseconds of each timed frame.
    """
    for _ in range(warmup):
        e2e_frame(jpeg, interpreter, prep, {})
    timings: dict = {}
    for _ in range(runs):
        e2e_frame(jpeg, interpreter, prep, timings)
    return timings

"""Keras DeepLab -> TFLite in every format a phone uses, each checked against the GPU delegate.

The formats, what each is and the tolerance it is held to: converters/formats.py.

Every export goes through a batch-1 copy of the model: with a free batch, each dilated depthwise
conv becomes SPACE_TO_BATCH_ND -> DEPTHWISE_CONV_2D -> BATCH_TO_SPACE_ND, which GPU delegates reject
(../shared/FIELD_NOTES.md). The model's contract (labels, normalisation, size, output kind) is
embedded in each .tflite, beside the standard TFLite metadata that MediaPipe Tasks and the TFLite Task
Library read (edge_deeplab/litert/metadata.py). Then both GPU gates run and the output is compared with Keras.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Optional

import numpy as np

from edge_deeplab.contract import OUTPUT_KINDS, ModelContract
from edge_deeplab.converters.formats import (
    DEFAULT_EXPORT_FORMATS,
    DEFAULT_OUTPUT_KIND,
    FORMATS,
    IO_TYPES,
    export_format,
)
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.io import check_writable_output, write_bytes, write_json
from edge_deeplab.litert.flatbuffer import embed_contract
from edge_deeplab.litert.metadata import embed_standard_metadata
from edge_deeplab.litert.interpreter import run_images
from edge_deeplab.presets import model_name
from edge_deeplab.progress import say
from edge_deeplab.quiet import native_stderr_filtered
from edge_deeplab.tables import text_table


@dataclasses.dataclass
class ExportResult:
    """One exported format: its file, its GPU gates and how far its output is from the Keras model's.

    Args:
        format: the format's name (converters/formats.py).
        path: the .tflite file.
        size_bytes: its size.
        op_count: its op count.
        static_gate: the static GPU gate's status.
        dynamic_gate: the dynamic GPU gate's status ("not run" without it).
        gate_summary: both gates in one line.
        max_abs_diff: the largest |TFLite - Keras| of the output the app receives (dequantized).
        max_probability_diff: the same on softmax probabilities (None for label_map).
        argmax_agreement: the fraction of pixels whose class agrees with the Keras model's.
        tolerance: the largest probability difference the format is held to.
        within_tolerance: max_probability_diff <= tolerance (None where it is not measured).
        gpu_offenders: the ops either gate found the GPU cannot run.
    """

    format: str
    path: str
    size_bytes: int
    op_count: Optional[int]
    static_gate: str
    dynamic_gate: str
    gate_summary: str
    max_abs_diff: Optional[float]  # |TFLite - Keras| of the output the app receives (dequantized)
    max_probability_diff: Optional[float]  # the same on softmax probabilities (not for label_map)
    argmax_agreement: Optional[float]
    tolerance: float
    within_tolerance: Optional[bool]
    gpu_offenders: list = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict:
        """The result as a plain dict (export.json's row)."""
        return dataclasses.asdict(self)


def check_combination(fmt: str, io_type: str, output_kind: str, contract: ModelContract) -> None:
    """Refuse, with the reason, what cannot be built or what the GPU delegate cannot run."""
    integer = export_format(fmt).integer
    if io_type not in IO_TYPES:
        raise EdgeDeeplabError(f"input/output type {io_type!r} is unknown: choose float, uint8 or int8")
    if output_kind not in OUTPUT_KINDS:
        raise EdgeDeeplabError(f"output kind {output_kind!r} is unknown: choose from {', '.join(OUTPUT_KINDS)}")
    if io_type != "float" and not integer:
        raise EdgeDeeplabError(
            f"{fmt} with {io_type} input/output: integer I/O needs a full-integer model "
            f"({' or '.join(f.name for f in FORMATS if f.integer)}); use --io float for float "
            "formats"
        )
    if output_kind == "person_alpha" and contract.person_class is None:
        raise EdgeDeeplabError("output kind person_alpha needs a class named 'person' in the model's labels")


def batch_one(model, config, qat: bool = False):
    """A batch-1 copy of `model` (same weights) for conversion."""
    from edge_deeplab.model.deeplab import build_deeplab

    copy = build_deeplab(config, batch_size=1)
    if qat:
        from edge_deeplab.model.qat import quantize_deeplab

        copy = quantize_deeplab(copy)
    copy.set_weights(model.get_weights())
    return copy


def make_converter(
    model_b1,
    fmt: str,
    io_type: str = "float",
    representative: Optional[np.ndarray] = None,
    output_is_float: bool = True,
):
    """A tf.lite.TFLiteConverter set up for `fmt` as its row of the format table says (calibration/ uses it
    for its debugger too)."""
    import tensorflow as tf

    row = export_format(fmt)
    converter = tf.lite.TFLiteConverter.from_keras_model(model_b1)
    if row.optimize:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if row.weight_type is not None:
        converter.target_spec.supported_types = [tf.as_dtype(row.weight_type)]
    if row.integer:
        if representative is None:
            raise EdgeDeeplabError(
                f"{fmt} needs representative images (int8 calibrates every activation; "
                "qat-int8 the few ops QAT leaves unquantized, such as resizes): pass --data"
            )
        converter.representative_dataset = lambda: ([image[None]] for image in representative)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if io_type != "float":
            dtype = {"uint8": tf.uint8, "int8": tf.int8}[io_type]
            converter.inference_input_type = dtype
            if output_is_float:
                converter.inference_output_type = dtype
    return converter


def convert(model_b1, fmt, io_type="float", representative=None, output_kind="logits") -> bytes:
    """The .tflite bytes of the batch-1 model in one format; a one-line EdgeDeeplabError when conversion fails.

    Args:
        model_b1: the batch-1 Keras model.
        fmt: the format's name (converters/formats.py).
        io_type: the input and output type of an integer format, one of IO_TYPES.
        representative: the calibration images of a post-training integer format.
        output_kind: the output's kind; a label_map output is not float.
    """
    converter = make_converter(model_b1, fmt, io_type, representative, output_is_float=output_kind != "label_map")
    try:
        with native_stderr_filtered(), warnings.catch_warnings():
            # Raised for every QAT model whatever its I/O type: the ranges it asks for are in the graph's
            # fake-quant nodes, so there is nothing for the user to do (tensorflow/lite/python/convert.py).
            warnings.filterwarnings("ignore", message="Statistics for quantized inputs were expected")
            return converter.convert()
    except Exception as error:  # the converter raises ConverterError and friends with long MLIR dumps
        raise EdgeDeeplabError(f"{fmt}: TFLite conversion failed: {str(error).strip().splitlines()[0][:300]}") from None


def compare(reference_logits: np.ndarray, exported: np.ndarray, output_kind: str, person_class=None) -> dict:
    """How far the exported output is from the Keras model's, in the output's own terms."""
    probabilities = _softmax(reference_logits)
    labels = reference_logits.argmax(-1)
    if output_kind == "label_map":
        return {
            "max_abs_diff": None,
            "max_probability_diff": None,
            "argmax_agreement": float(np.mean(exported == labels)),
        }
    if output_kind == "person_alpha":
        reference = probabilities[..., person_class : person_class + 1]
        return {
            "max_abs_diff": float(np.max(np.abs(exported - reference))),
            "max_probability_diff": float(np.max(np.abs(exported - reference))),
            "argmax_agreement": float(np.mean((exported[..., 0] > 0.5) == (labels == person_class))),
        }
    reference = reference_logits if output_kind == "logits" else probabilities
    exported_probabilities = _softmax(exported) if output_kind == "logits" else exported
    return {
        "max_abs_diff": float(np.max(np.abs(exported - reference))),
        "max_probability_diff": float(np.max(np.abs(exported_probabilities - probabilities))),
        "argmax_agreement": float(np.mean(exported.argmax(-1) == labels)),
    }


def _softmax(logits):
    shifted = np.exp(logits - logits.max(-1, keepdims=True))
    return shifted / shifted.sum(-1, keepdims=True)


def export(
    model_path,
    output_dir,
    formats=DEFAULT_EXPORT_FORMATS,
    *,
    qat_model_path=None,
    io_type: str = "float",
    output_kind: str = DEFAULT_OUTPUT_KIND,
    data=None,
    num_calibration: int = 100,
    check_images: Optional[np.ndarray] = None,
    gpu_check: bool = True,
    name: Optional[str] = None,
    log=say,
) -> list[ExportResult]:
    """Export the saved model at `model_path` (and the QAT model for 'qat-int8') in each format, each checked
    against the Keras model and the GPU delegate; export.json (and calibration_manifest.json) go beside them.

    Args:
        model_path: a saved model folder or preset:NAME.
        output_dir: where the .tflite files go.
        formats: names from converters/formats.py's FORMATS.
        qat_model_path: the QAT model folder (from `edge-deeplab qat`), needed for qat-int8.
        io_type: float, uint8 or int8 input and output (integer I/O for integer formats only).
        output_kind: what the model outputs (edge_deeplab.contract.OUTPUT_KINDS).
        data: the dataset (or mix) whose training images calibrate integer formats.
        num_calibration: representative images to calibrate on.
        check_images: images the exports are compared on (default: 4 calibration images, or random ones).
        gpu_check: also compile each export with LiteRT's GPU accelerator (the dynamic gate).
        name: the files' stem (default: the model's name, edge_deeplab.presets.model_name).
        log: receives one line per exported format.

    Returns:
        One ExportResult per format.
    """
    from edge_deeplab.model.heads import with_head
    from edge_deeplab.model.saving import load_model, read_model_json

    if num_calibration < 1:
        raise EdgeDeeplabError(f"--calibration-images {num_calibration}: calibrating needs at least 1 image")
    formats = list(formats)
    config, contract, _ = read_model_json(model_path)
    for fmt in formats:
        check_combination(fmt, io_type, output_kind, contract)
    _check_qat_model(formats, qat_model_path)
    output_dir = check_writable_output(output_dir)  # before any conversion: a bad folder is found now
    output_dir.mkdir(parents=True, exist_ok=True)
    name = name or model_name(model_path)
    head_contract = contract.with_output_kind(output_kind)

    representative, manifest = _representative(
        formats, data, contract, num_calibration, output_dir, needed=check_images is None
    )
    if check_images is None:
        check_images = _default_check_images(representative, config)

    float_model, _ = load_model(model_path)
    reference = float_model(check_images, training=False).numpy()
    results = []
    for fmt in formats:
        qat = export_format(fmt).needs_qat
        source, _ = load_model(qat_model_path) if qat else (float_model, None)
        model_reference = source(check_images, training=False).numpy() if qat else reference
        b1 = with_head(batch_one(source, config, qat=qat), output_kind, contract.person_class)
        path = output_dir / _file_name(name, fmt, io_type, output_kind)
        tflite = embed_contract(convert(b1, fmt, io_type, representative, output_kind), head_contract)
        tflite = embed_standard_metadata(tflite, head_contract, name=path.stem)  # last: it appends a zip
        write_bytes(path, tflite)
        differences = compare(model_reference, run_images(path, check_images), output_kind, contract.person_class)
        result = _gate(path, fmt, differences, gpu_check)
        results.append(result)
        log(_summary_line(result, output_kind))
    _write_report(output_dir, model_path, qat_model_path, io_type, output_kind, manifest, results)
    return results


def _check_qat_model(formats: list[str], qat_model_path) -> None:
    """Refuse, before any conversion, a QAT format without a quantization-aware model to convert."""
    from edge_deeplab.model.saving import read_model_json

    needs_qat = [fmt for fmt in formats if export_format(fmt).needs_qat]
    if needs_qat and qat_model_path is None:
        raise EdgeDeeplabError(
            f"{needs_qat[0]} needs the quantization-aware model: pass --qat-model (from `edge-deeplab qat`)"
        )
    if needs_qat and read_model_json(qat_model_path)[2].get("quantization") != "qat":
        raise EdgeDeeplabError(
            f"--qat-model {qat_model_path} is a float model, not a quantization-aware one: pass "
            "the folder `edge-deeplab qat` wrote (its best/)"
        )


def _default_check_images(representative: Optional[np.ndarray], config) -> np.ndarray:
    """The images the exports are compared on when none are given: 4 calibration images, else 2 random ones of
    the model's input size (seeded, so every run compares on the same)."""
    if representative is not None:
        return representative[:4]
    return np.random.default_rng(0).normal(size=(2, config.input_size[0], config.input_size[1], 3)).astype(np.float32)


def _write_report(
    output_dir: Path,
    model_path,
    qat_model_path,
    io_type: str,
    output_kind: str,
    manifest: Optional[dict],
    results: list[ExportResult],
) -> None:
    """export.json: what was exported from which models, how it was calibrated, and each format's result."""
    report = {
        "model": str(model_path),
        "qat_model": None if qat_model_path is None else str(qat_model_path),
        "io_type": io_type,
        "output_kind": output_kind,
        "calibration": manifest,
        "results": [r.to_dict() for r in results],
    }
    write_json(output_dir / "export.json", report)


def _file_name(name: str, fmt: str, io_type: str, output_kind: str) -> str:
    """NAME_FORMAT[_IO-io][_OUTPUT-KIND].tflite: the defaults (float I/O, the default output kind) go unnamed."""
    return (
        f"{name}_{fmt}{'' if io_type == 'float' else '_' + io_type + '-io'}"
        f"{'' if output_kind == DEFAULT_OUTPUT_KIND else '_' + output_kind}.tflite"
    )


def _summary_line(result: ExportResult, output_kind: str) -> str:
    """One exported format in a line: file, size, ops, both GPU gates and how close it is to Keras."""
    return (
        f"{result.format}: {Path(result.path).name}, {result.size_bytes / 1e6:.2f} MB, {result.op_count} ops, "
        f"GPU {result.static_gate}/{result.dynamic_gate}, max |TFLite - Keras| {_fmt(result.max_abs_diff)} "
        f"({output_kind}), argmax agreement {_fmt(result.argmax_agreement)}"
    )


def _representative(formats, data, contract: ModelContract, num_calibration: int, output_dir: Path, needed: bool):
    """(representative images or None, their manifest or None): the training images integer formats calibrate
    on (and the exports are checked on, when `needed`), written down in calibration_manifest.json."""
    integer = [fmt for fmt in formats if export_format(fmt).integer]
    if not (integer or needed):
        return None, None
    if data is None:
        if integer:
            raise EdgeDeeplabError(f"{integer[0]} needs representative images to calibrate with: pass --data")
        return None, None
    from edge_deeplab.data.mix import open_mix
    from edge_deeplab.data.representative import representative_images

    # The whole training mix (every --data of the run), not its first set: int8 ranges fitted to one dataset
    # clip the others' activations.
    representative, manifest = representative_images(open_mix(data, "train"), contract, num_calibration)
    write_json(output_dir / "calibration_manifest.json", manifest)
    return representative, manifest


def _gate(path: Path, fmt: str, differences: dict, gpu_check: bool) -> ExportResult:
    from edge_deeplab.converters.gpu_gate import check_gpu, static_check

    if gpu_check:
        report = check_gpu(path)
        static, dynamic, summary = report.static, report.dynamic, report.summary
    else:
        static, dynamic, summary = static_check(path), None, "dynamic check skipped (--no-gpu-check)"
    tolerance = export_format(fmt).tolerance
    diff = differences["max_probability_diff"]
    offenders = [str(o) for o in static.offenders] + ([str(o) for o in dynamic.offenders] if dynamic else [])
    return ExportResult(
        format=fmt,
        path=str(path),
        size_bytes=path.stat().st_size,
        op_count=static.op_count,
        static_gate=static.status,
        dynamic_gate=dynamic.status if dynamic else "not run",
        gate_summary=summary,
        max_abs_diff=differences["max_abs_diff"],
        max_probability_diff=diff,
        argmax_agreement=differences["argmax_agreement"],
        tolerance=tolerance,
        within_tolerance=None if diff is None else diff <= tolerance,
        gpu_offenders=offenders,
    )


def _fmt(value):
    return "-" if value is None else f"{value:.4g}"


def format_table(results: list[ExportResult], output_kind: Optional[str] = None) -> str:
    """The exports as a table: format, size, ops, both GPU gates, and how close each is to Keras;
    `output_kind` names the unit of "max diff" (|TFLite - Keras| of that output)."""
    table = text_table(
        ["format", "size", "ops", "static gate", "dynamic gate", "max diff", "argmax agree"],
        [
            [
                r.format,
                f"{r.size_bytes / 1e6:.2f}MB",
                str(r.op_count or 0),
                r.static_gate,
                r.dynamic_gate,
                _fmt(r.max_abs_diff),
                _fmt(r.argmax_agreement),
            ]
            for r in results
        ],
        right=range(1, 7),
    )
    if output_kind:
        table += (
            f"\nmax diff: the largest |TFLite - Keras| of the output ({output_kind}); argmax agree: the share "
            f"of pixels whose class matches the Keras model's"
        )
    return table

"""The export formats: one row per format, read by the exporter, the pipeline and every CLI verb.

TensorFlow-free on purpose: `edge-deeplab export --help` and `pipeline --help` list the names from
here without importing TensorFlow.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from edge_deeplab.errors import EdgeDeeplabError


#: What an export outputs unless told otherwise (edge_deeplab.contract.OUTPUT_KINDS lists the choices).
#: Probabilities: MediaPipe Tasks' ImageSegmenter hands the output tensor to apps as its confidence masks,
#: and the standard metadata names no activation, so logits reached apps as scores of 5-22 instead of
#: probabilities that sum to 1 (issue 19). The softmax costs one op, which the GPU delegate runs.
DEFAULT_OUTPUT_KIND = "probabilities"
#: Input/output types of an export; integer ones only for full-integer formats.
IO_TYPES = ("float", "uint8", "int8")


@dataclasses.dataclass(frozen=True)
class ExportFormat:
    """name: as the CLI and file names spell it. integer: full-integer (int8 activations), which needs
    representative images and alone may take integer I/O. needs_qat: converted from the
    quantization-aware-trained model instead of the float one. tolerance: the largest |TFLite - Keras| of
    the softmax probabilities on the check images that the export is held to (float formats tight;
    integer formats within a few quantization steps of a probability in 0..1). optimize: the converter
    quantizes (tf.lite.Optimize.DEFAULT). weight_type: the type weights are stored in when not int8
    (a tf dtype's name, e.g. float16), or None."""

    name: str
    description: str
    tolerance: float
    integer: bool = False
    needs_qat: bool = False
    optimize: bool = True
    weight_type: Optional[str] = None


FORMATS = (
    ExportFormat("fp32", "float weights and activations (the reference)", 1e-4, optimize=False),
    ExportFormat(
        "fp16",
        "float16 weights, dequantized on load (the GPU delegate's native precision)",
        2e-2,
        weight_type="float16",
    ),
    ExportFormat("dynamic", 'int8 weights, float activations ("dynamic range")', 0.15),
    ExportFormat(
        "int8", "full-integer post-training quantization, calibrated on representative images", 0.25, integer=True
    ),
    ExportFormat(
        "qat-int8",
        "full-integer from a quantization-aware-trained model (edge_deeplab/model/qat.py)",
        0.25,
        integer=True,
        needs_qat=True,
    ),
)
FORMAT_NAMES = tuple(f.name for f in FORMATS)
#: What `edge-deeplab export` writes when no --formats is given: every format that needs no QAT model.
DEFAULT_EXPORT_FORMATS = tuple(f.name for f in FORMATS if not f.needs_qat)
_BY_NAME = {f.name: f for f in FORMATS}


def export_format(name: str) -> ExportFormat:
    """The row of `name`; a one-line error listing the known names for anything else."""
    if name not in _BY_NAME:
        raise EdgeDeeplabError(f"format {name!r} is unknown: choose from {', '.join(FORMAT_NAMES)}")
    return _BY_NAME[name]


def parse_formats(text: str) -> tuple[str, ...]:
    """'fp32, int8,' -> ('fp32', 'int8'): the CLI's comma-separated --formats; none at all is refused (an export
    of nothing would succeed doing nothing)."""
    formats = tuple(f.strip() for f in text.split(",") if f.strip())
    if not formats:
        raise EdgeDeeplabError(f"--formats {text!r} names no format: choose from {', '.join(FORMAT_NAMES)}")
    return formats

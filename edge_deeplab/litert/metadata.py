"""Standard TFLite metadata (the official metadata_schema.fbs) in every export, beside our contract.

What it writes is what MediaPipe's metadata_writers/image_segmenter.py (and the TFLite Task Library's
writer before it) writes for a segmenter, so MediaPipe Tasks' ImageSegmenter and the Task Library run our
.tflite files as they are:

- ModelMetadata: name, description, version, author, license, min_parser_version, one SubGraphMetadata;
- input "image": ImageProperties (RGB), a NormalizationOptions process unit with the contract's mean and
  std, and Stats min/max = the normalised range of 0..255 (float input) or 0 / 255 (uint8 input, where
  the normalisation lives in the input quantization; MediaPipe then feeds raw pixels and ignores the
  normalisation, as its writer does; int8 input: no stats, like its writer);
- output "segmentation_masks": ImageProperties (GRAYSCALE), content range [1, 2], and the associated
  labels file (TENSOR_AXIS_LABELS, one label a line; TENSOR_VALUE_LABELS for a label-map output, whose
  values are class ids), packed into the .tflite the standard way: a zip appended after the flatbuffer.

The flatbuffer is written and read by metadata_schema (the tables and fields above, by hand with the
`flatbuffers` package) and stored as the model's metadata buffer "TFLITE_METADATA", as MetadataPopulator
does. Rewriting a model's flatbuffer (embed_contract) drops the appended zip: call
embed_standard_metadata last.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Optional, Union

from edge_deeplab.contract import ModelContract
from edge_deeplab.litert.flatbuffer import load_tflite_bytes, metadata_buffer, set_metadata_buffer
from edge_deeplab.errors import EdgeDeeplabError

from .metadata_schema import has_identifier, read_metadata, write_metadata

#: Name of the Model.metadata entry that holds the standard metadata (MetadataPopulator.METADATA_FIELD_NAME).
METADATA_NAME = "TFLITE_METADATA"
LABELS_FILE = "labels.txt"
#: The oldest metadata parser that understands every field written here: nothing we write was added
#: after schema 1.0.0 (no subgraph process units, tensor groups, custom metadata or file versions; see
#: GetMinimumMetadataParserVersion in MediaPipe's metadata_version.cc).
MIN_PARSER_VERSION = "1.0.0"
AUTHOR = "edge-deeplab"
LICENSE = "Apache-2.0"

# TensorType codes of the TFLite model schema (schema.fbs).
_FLOAT32, _UINT8, _INT8 = 0, 3, 9


def standard_metadata(
    contract: ModelContract, input_type: int, *, name: str, version: str, description: Optional[str] = None
) -> bytes:
    """The ModelMetadata flatbuffer (identifier M001) for a model whose input tensor has `input_type`."""
    mean, std = _per_channel(contract.mean), _per_channel(contract.std)
    image = {
        "name": "image",
        "description": "Input image to be processed.",
        "color_space": "RGB",
        "mean": mean,
        "std": std,
        "min": None,
        "max": None,
    }
    if input_type == _FLOAT32:
        image["min"] = [(0.0 - m) / s for m, s in zip(mean, std)]
        image["max"] = [(255.0 - m) / s for m, s in zip(mean, std)]
    elif input_type == _UINT8:
        image["min"], image["max"] = [0.0], [255.0]
    labels = {
        "name": LABELS_FILE,
        "description": "Labels for categories that the model can recognize.",
        "type": "TENSOR_VALUE_LABELS" if contract.output_kind == "label_map" else "TENSOR_AXIS_LABELS",
    }
    masks = {
        "name": "segmentation_masks",
        "description": _OUTPUT_DESCRIPTION[contract.output_kind],
        "color_space": "GRAYSCALE",
        "range": [1, 2],
        "min": None,
        "max": None,
        "associated_files": [labels],
    }
    return write_metadata(
        {
            "name": name,
            "description": description or describe(contract),
            "version": version,
            "author": AUTHOR,
            "license": LICENSE,
            "min_parser_version": MIN_PARSER_VERSION,
            "inputs": [image],
            "outputs": [masks],
        }
    )


def labels_file(contract: ModelContract) -> bytes:
    """The labels file: one label a line, in the order of the output's last axis (or of its values)."""
    labels = [contract.labels[contract.person_class]] if contract.output_kind == "person_alpha" else contract.labels
    return "\n".join(labels).encode("utf-8")


def describe(contract: ModelContract) -> str:
    """The model's description in its TFLite metadata, from its contract: classes, input size and
    normalisation, and what the output means.

    Args:
        contract: the model's ModelContract.
    """
    mean = ", ".join(f"{v:g}" for v in _per_channel(contract.mean))
    std = ", ".join(f"{v:g}" for v in _per_channel(contract.std))
    return (
        f"DeepLab v3+ semantic segmentation into {', '.join(contract.labels)}. Input: one RGB image "
        f"{contract.input_height}x{contract.input_width}, pixels 0..255 normalised as (x - {mean}) / {std}. "
        f"Output: {_OUTPUT_DESCRIPTION[contract.output_kind]}"
    )


def embed_standard_metadata(
    tflite_bytes: bytes,
    contract: ModelContract,
    *,
    name: str,
    version: Optional[str] = None,
    description: Optional[str] = None,
) -> bytes:
    """The model with the standard metadata (replacing any earlier) and the labels file appended as a zip
    (any other file an earlier tool packed is kept)."""
    from ai_edge_litert.tools import flatbuffer_utils

    from edge_deeplab import __version__

    packed = {k: v for k, v in _packed_files(tflite_bytes).items() if k != LABELS_FILE}
    model = flatbuffer_utils.read_model_from_bytearray(bytearray(tflite_bytes))
    graph = model.subgraphs[0]
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise EdgeDeeplabError(
            f"{name}: standard segmenter metadata needs one input and one output tensor "
            f"(the model has {len(graph.inputs)} and {len(graph.outputs)})"
        )
    metadata = standard_metadata(
        contract,
        graph.tensors[graph.inputs[0]].type,
        name=name,
        version=version or __version__,
        description=description,
    )
    set_metadata_buffer(model, METADATA_NAME, metadata)
    flat = bytes(flatbuffer_utils.convert_object_to_bytearray(model))
    # MetadataPopulator._populate_associated_files: zipfile in append mode after the flatbuffer.
    out = io.BytesIO(flat)
    out.seek(0, io.SEEK_END)
    with zipfile.ZipFile(out, "a") as archive:
        for file_name, content in {**packed, LABELS_FILE: labels_file(contract)}.items():
            # A fixed date: the same model and contract give the same bytes (the demo's shipped assets are
            # compared with a fresh install), whatever the clock.
            archive.writestr(zipfile.ZipInfo(file_name, date_time=(1980, 1, 1, 0, 0, 0)), content)
    return out.getvalue()


def read_standard_metadata(model: Union[str, Path, bytes]) -> Optional[dict]:
    """The standard metadata of a .tflite (path or bytes) as a plain dict (metadata_schema.read_metadata), with
    the packed associated files; None when it has none."""
    data = bytes(model) if isinstance(model, (bytes, bytearray)) else load_tflite_bytes(model)
    raw = _metadata_buffer(data)
    if raw is None:
        return None
    if not has_identifier(raw):
        raise EdgeDeeplabError(f"the {METADATA_NAME} buffer is not TFLite metadata (no 'M001' identifier)")
    try:
        metadata = read_metadata(raw)
    except Exception:
        raise EdgeDeeplabError(f"the {METADATA_NAME} buffer is damaged (cannot read it as TFLite metadata)") from None
    return {**metadata, "files": _packed_files(data)}


# ---- details ----------------------------------------------------------------------------------------
_OUTPUT_DESCRIPTION = {
    "logits": "per-class logits [1, H, W, classes] (argmax = class id; softmax = probabilities).",
    "probabilities": "per-class probabilities [1, H, W, classes] (softmax applied).",
    "label_map": "class id per pixel [1, H, W] (int32).",
    "person_alpha": "probability of the person class per pixel [1, H, W, 1].",
}


def _per_channel(values) -> list:
    """[v] when every channel has the same value (as Google's and MediaPipe's models write it)."""
    values = [float(v) for v in values]
    return values[:1] if len(set(values)) == 1 else values


def _metadata_buffer(data: bytes) -> Optional[bytes]:
    return metadata_buffer(data, METADATA_NAME)


def _packed_files(data: bytes) -> dict:
    """name -> bytes of the associated files zipped after the flatbuffer (none: {})."""
    buffer = io.BytesIO(data)
    if not zipfile.is_zipfile(buffer):
        return {}
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}

"""The model's contract: the numbers a consumer of the model must agree with.

Labels, input size, normalisation and the meaning of the output decide whether a
segmentation model gives the right answer or silent garbage (a wrong normalisation cost
one user 10 mIoU points, tensorflow/models issue 8684). They live here, once, travel
with every artefact (next to a Keras model as JSON, inside a .tflite as a named metadata
buffer), and every consumer (evaluator, benchmark, Android demo) reads them from there.

Normalisation is `(pixel - mean) / std` per RGB channel, pixels in 0..255, RGB order.
Google's DeepLab models use mean = std = 127.5; MediaPipe's selfie model mean 0, std 255.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Optional

from edge_deeplab.errors import EdgeDeeplabError

#: Name of the metadata buffer inside a .tflite flatbuffer that holds the contract JSON.
TFLITE_METADATA_NAME = "edge_deeplab_contract"
CONTRACT_VERSION = 1

#: What the model's (single) output tensor means.
#: logits [1,H,W,C] float; probabilities [1,H,W,C] softmax; label_map [1,H,W] int32 class id;
#: person_alpha [1,H,W,1] float probability of the person class.
OUTPUT_KINDS = ("logits", "probabilities", "label_map", "person_alpha")

IGNORE_LABEL = 255


@dataclasses.dataclass(frozen=True)
class ModelContract:
    labels: tuple[str, ...]
    input_height: int
    input_width: int
    mean: tuple[float, float, float] = (127.5, 127.5, 127.5)
    std: tuple[float, float, float] = (127.5, 127.5, 127.5)
    output_kind: str = "logits"
    person_class: Optional[int] = None
    version: int = CONTRACT_VERSION

    def __post_init__(self):
        if self.output_kind not in OUTPUT_KINDS:
            raise EdgeDeeplabError(
                f"output kind {self.output_kind!r} is unknown: choose one of {', '.join(OUTPUT_KINDS)}")
        if len(self.labels) < 2:
            raise EdgeDeeplabError("a segmentation contract needs at least two labels (e.g. background, person)")
        if self.output_kind == "person_alpha" and self.person_class is None:
            raise EdgeDeeplabError("output kind 'person_alpha' needs a person class: name one label 'person'")
        if any(s == 0 for s in self.std):
            raise EdgeDeeplabError("normalisation std must be non-zero for every channel")
        # Tuples, whatever the caller passed (JSON gives lists): the dataclass is frozen and hashable.
        object.__setattr__(self, "labels", tuple(self.labels))
        object.__setattr__(self, "mean", tuple(float(v) for v in self.mean))
        object.__setattr__(self, "std", tuple(float(v) for v in self.std))

    @property
    def num_classes(self) -> int:
        return len(self.labels)

    def with_output_kind(self, output_kind: str) -> "ModelContract":
        return dataclasses.replace(self, output_kind=output_kind)

    def normalize(self, rgb_uint8):
        """RGB pixels (..., 3) in 0..255 -> float32 model input."""
        import numpy as np

        rgb = np.asarray(rgb_uint8, dtype=np.float32)
        return (rgb - np.asarray(self.mean, np.float32)) / np.asarray(self.std, np.float32)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, source: str = "contract") -> "ModelContract":
        try:
            data = json.loads(text)
            known = {f.name for f in dataclasses.fields(cls)}
            return cls(**{k: v for k, v in data.items() if k in known})
        except (ValueError, TypeError) as error:
            raise EdgeDeeplabError(f"{source}: not a valid edge-deeplab model contract ({error})") from None


def person_class_of(labels) -> Optional[int]:
    """Index of the label named 'person', if any."""
    labels = [label.lower() for label in labels]
    return labels.index("person") if "person" in labels else None


# ---- the contract inside a .tflite ------------------------------------------------------------------
# A .tflite flatbuffer carries named metadata buffers (Model.metadata -> Model.buffers) that every
# runtime ignores, so the contract travels with the model without touching its graph. tflite-support's
# metadata writer would do this too but pins protobuf < 4 (TensorFlow 2.21 needs 7.x); LiteRT's own
# flatbuffer schema and tools do it with what is installed.

#: Bytes 4..8 of every TFLite flatbuffer (its file identifier).
TFLITE_IDENTIFIER = b"TFL3"


def load_tflite_bytes(path) -> bytes:
    """The bytes of a .tflite file; a one-line error when it is missing or not a TFLite flatbuffer."""
    path = Path(path)
    if not path.is_file():
        raise EdgeDeeplabError(f"{path}: model file not found; pass the path of a .tflite model")
    data = path.read_bytes()
    if not _is_tflite(data):
        raise EdgeDeeplabError(f"{path}: not a TFLite model (no 'TFL3' flatbuffer identifier); pass a .tflite "
                               f"file, e.g. one written by `edge-deeplab export`")
    return data


def embed_contract(tflite_bytes: bytes, contract: ModelContract) -> bytes:
    """The model with `contract` stored as the metadata buffer TFLITE_METADATA_NAME (replacing an
    earlier contract, so exporting twice never leaves two)."""
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils
    import numpy as np

    if not _is_tflite(tflite_bytes):
        raise EdgeDeeplabError("cannot embed the contract: the bytes are not a TFLite model (no 'TFL3' identifier)")
    model = flatbuffer_utils.read_model_from_bytearray(bytearray(tflite_bytes))
    payload = np.frombuffer(contract.to_json().encode("utf-8"), dtype=np.uint8)
    ours = [entry for entry in (model.metadata or []) if _name(entry.name) == TFLITE_METADATA_NAME]
    if ours:
        model.buffers[ours[0].buffer].data = payload
        for duplicate in ours[1:]:  # an earlier tool may have written it twice: keep one
            model.buffers[duplicate.buffer].data = None
            model.metadata.remove(duplicate)
    else:
        buffer = schema.BufferT()
        buffer.data = payload
        model.buffers.append(buffer)
        entry = schema.MetadataT()
        entry.name = TFLITE_METADATA_NAME
        entry.buffer = len(model.buffers) - 1
        model.metadata = list(model.metadata or []) + [entry]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def read_tflite_contract(path) -> Optional[ModelContract]:
    """The contract stored in a .tflite, or None when the model carries none (e.g. a peer's model)."""
    data = load_tflite_bytes(path)
    text = contract_text(data, source=str(path))
    if text is None:
        return None
    return ModelContract.from_json(text, source=f"{path} ({TFLITE_METADATA_NAME} metadata)")


def contract_text(tflite_bytes: bytes, source: str = "model") -> Optional[str]:
    """The raw JSON of the contract metadata buffer, or None when there is none."""
    from ai_edge_litert import schema_py_generated as schema

    try:
        model = schema.Model.GetRootAs(tflite_bytes, 0)
        for i in range(model.MetadataLength()):
            entry = model.Metadata(i)
            if _name(entry.Name()) != TFLITE_METADATA_NAME:
                continue
            buffer = model.Buffers(entry.Buffer())
            if buffer.Offset() > 1:  # models over 2 GB keep buffer data after the flatbuffer
                raw = tflite_bytes[buffer.Offset():buffer.Offset() + buffer.Size()]
            else:
                raw = buffer.DataAsNumpy().tobytes() if buffer.DataLength() else b""
            return bytes(raw).decode("utf-8")
    except Exception:  # a damaged flatbuffer fails anywhere in the walk
        raise EdgeDeeplabError(f"{source}: the .tflite flatbuffer is damaged (cannot read its metadata); "
                               f"export the model again") from None
    return None


def _is_tflite(data: bytes) -> bool:
    return len(data) >= 8 and bytes(data[4:8]) == TFLITE_IDENTIFIER


def _name(raw) -> Optional[str]:
    if raw is None:
        return None
    return raw.decode("utf-8", "replace") if isinstance(raw, (bytes, bytearray)) else str(raw)

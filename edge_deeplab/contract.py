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
import math
import numbers
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
    """The numbers a consumer of the model must agree with (the module docstring says why); checked on creation.

    Args:
        labels: the class names, index = class id (at least two, e.g. background, person).
        input_height: the model's input height in pixels.
        input_width: the model's input width in pixels.
        mean: per RGB channel, subtracted from pixels in 0..255.
        std: per RGB channel, divides after the mean (non-zero).
        output_kind: what the output tensor means, one of OUTPUT_KINDS (logits, probabilities, label_map,
            person_alpha).
        person_class: the class id of "person", None without one (person_alpha needs it).
        version: the contract format's version (CONTRACT_VERSION).
    """

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
                f"output kind {self.output_kind!r} is unknown: choose one of {', '.join(OUTPUT_KINDS)}"
            )
        if len(self.labels) < 2:
            raise EdgeDeeplabError("a segmentation contract needs at least two labels (e.g. background, person)")
        if self.output_kind == "person_alpha" and self.person_class is None:
            raise EdgeDeeplabError("output kind 'person_alpha' needs a person class: name one label 'person'")
        if any(s == 0 for s in self.std):
            raise EdgeDeeplabError("normalisation std must be non-zero for every channel")
        if not all(isinstance(v, numbers.Real) and math.isfinite(v) for v in (*self.mean, *self.std)):
            raise EdgeDeeplabError(
                f"normalisation mean {list(self.mean)} and std {list(self.std)} must be finite numbers"
            )
        person = self.person_class
        if person is not None and (
            isinstance(person, bool) or not isinstance(person, numbers.Integral) or not 0 <= person < len(self.labels)
        ):
            raise EdgeDeeplabError(
                f"person_class {person!r} is not a label id of this contract (0 to "
                f"{len(self.labels) - 1}, labels {', '.join(map(str, self.labels))}): set it to "
                "the index of 'person'"
            )
        # Tuples, whatever the caller passed (JSON gives lists): the dataclass is frozen and hashable.
        object.__setattr__(self, "labels", tuple(self.labels))
        if person is not None:
            object.__setattr__(self, "person_class", int(person))  # a NumPy integer would not serialise
        object.__setattr__(self, "mean", tuple(float(v) for v in self.mean))
        object.__setattr__(self, "std", tuple(float(v) for v in self.std))

    @property
    def num_classes(self) -> int:
        """The number of classes (labels)."""
        return len(self.labels)

    def with_output_kind(self, output_kind: str) -> "ModelContract":
        """A copy of the contract whose output means `output_kind` (an export's head).

        Args:
            output_kind: one of OUTPUT_KINDS.
        """
        return dataclasses.replace(self, output_kind=output_kind)

    def normalize(self, rgb_uint8):
        """RGB pixels (..., 3) in 0..255 -> float32 model input."""
        import numpy as np

        rgb = np.asarray(rgb_uint8, dtype=np.float32)
        return (rgb - np.asarray(self.mean, np.float32)) / np.asarray(self.std, np.float32)

    def to_dict(self) -> dict:
        """The contract as the JSON object to_json writes (model.json and run.json embed it)."""
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        """The contract as JSON text (the metadata a .tflite carries, contract.json)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, source: str = "contract") -> "ModelContract":
        """The contract in JSON text; a one-line EdgeDeeplabError naming `source` when it is not one."""
        try:
            data = json.loads(text)
        except ValueError as error:
            raise EdgeDeeplabError(f"{source}: not a valid edge-deeplab model contract ({error})") from None
        return cls.from_dict(data, source)

    @classmethod
    def from_dict(cls, data: dict, source: str = "contract") -> "ModelContract":
        """The contract in a JSON object (keys it does not know are ignored); a one-line EdgeDeeplabError
        naming `source` when it is not one."""
        try:
            known = {f.name for f in dataclasses.fields(cls)}
            return cls(**{k: v for k, v in data.items() if k in known})
        except (ValueError, TypeError, AttributeError) as error:
            raise EdgeDeeplabError(f"{source}: not a valid edge-deeplab model contract ({error})") from None
        except EdgeDeeplabError as error:  # a value out of range: the reader must know which file holds it
            raise EdgeDeeplabError(f"{source}: {error}") from None


def person_class_of(labels) -> Optional[int]:
    """Index of the label named 'person', if any."""
    labels = [label.lower() for label in labels]
    return labels.index("person") if "person" in labels else None

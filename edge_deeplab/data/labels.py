"""Class names and a label mapping: which stored mask value means which class.

A labels config is a small JSON object (a file, a dict, or a built-in preset name):

    {"classes": ["background", "person"],
     "map": {"15": "person", "*": "background"}}

- "classes": the class names, index 0 first. Mask values 0..len-1 are these classes.
- "map" (optional): stored mask value -> class (a class name or index) or "ignore".
  "*" is the target of every value not listed; without "*" an unlisted value keeps its
  number (and must then be a class index). 255 is the ignore label, in the masks and in
  the result: it is never remapped (PASCAL VOC draws object boundaries with it).

Preset "voc-person" turns PASCAL VOC's 21 classes into background/person (VOC person = 15).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

import numpy as np

from edge_deeplab.contract import IGNORE_LABEL
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.settings import read_json_object

VOC_CLASSES = (
    "background",
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
)
PERSON_CLASSES = ("background", "person")

PRESETS = {
    "voc-person": {"classes": list(PERSON_CLASSES), "map": {"15": "person", "*": "background"}},
}

#: The file a dataset folder may carry with its own labels config.
LABELS_FILE = "labels.json"


class LabelConfig:
    """Class names plus a 256-entry lookup table from stored mask values to class indices.

    Args:
        classes: the class names, in label-id order.
        lookup: 256 class indices, one per stored mask value; None: stored values are the class indices.
        source: where it came from, for messages (a file, a preset name).
    """

    def __init__(self, classes, lookup: Optional[np.ndarray] = None, source: str = "labels"):
        self.classes = tuple(str(c) for c in classes)
        self.lookup = lookup  # None: stored values are the class indices
        self.source = source

    @property
    def is_identity(self) -> bool:
        """Whether stored mask values are the class ids already (no mapping)."""
        return self.lookup is None

    def apply(self, mask: np.ndarray) -> np.ndarray:
        """Stored mask values -> class indices (255 stays 255)."""
        return mask if self.lookup is None else self.lookup[mask]

    def unknown_labels(self, mask: np.ndarray) -> list[int]:
        """Values of an already mapped mask that are neither a class nor ignore."""
        present = np.flatnonzero(np.bincount(mask.ravel(), minlength=256))
        return [int(v) for v in present if v >= len(self.classes) and v != IGNORE_LABEL]

    def to_dict(self) -> dict:
        """The config as its JSON object: "classes", and "map" with every stored value the mapping changes."""
        data = {"classes": list(self.classes)}
        if self.lookup is not None:
            data["map"] = {str(v): int(self.lookup[v]) for v in range(255) if self.lookup[v] != v}
        return data

    def __repr__(self):
        return f"LabelConfig({self.classes}, mapped={not self.is_identity}, source={self.source!r})"


def default_labels(classes) -> LabelConfig:
    """The LabelConfig of stored values that are the class ids already (no mapping).

    Args:
        classes: the class names, index = class id.
    """
    return LabelConfig(classes, None, "default")


def load_labels_config(config: Union[str, Path, dict, LabelConfig, None]) -> Optional[LabelConfig]:
    """A LabelConfig from `config`: a preset name, a JSON file path, a dict, a LabelConfig (unchanged), or
    None (returned as None)."""
    if config is None or isinstance(config, LabelConfig):
        return config
    if isinstance(config, dict):
        return parse_labels_config(config, "labels config")
    if str(config) in PRESETS:
        return parse_labels_config(PRESETS[str(config)], f"preset {config}")
    path = Path(config)
    if not path.is_file():
        raise EdgeDeeplabError(
            f"{path}: labels config not found; pass a JSON file like "
            f'{{"classes": ["background", "person"]}} or a preset ({", ".join(PRESETS)})'
        )
    data = read_json_object(
        path, "labels config", 'class names, e.g. {"classes": ["background", "person"]}', fix="fix the labels config"
    )
    return parse_labels_config(data, str(path))


def parse_labels_config(data, source: str) -> LabelConfig:
    """A LabelConfig from a labels config's JSON object, checked: `{"classes": [...], "map": {stored: class}}`,
    where "map" takes stored mask values (or "*", every value not listed) to a class name or index, or "ignore".

    Args:
        data: the JSON object.
        source: names it in error messages (a file, a preset).

    Returns:
        The LabelConfig; a one-line EdgeDeeplabError naming `source` and the fix for a bad config.
    """
    if not isinstance(data, dict) or not isinstance(data.get("classes"), list):
        raise EdgeDeeplabError(
            f'{source}: needs a "classes" list of class names, e.g. {{"classes": ["background", "person"]}}'
        )
    classes = data["classes"]
    if len(classes) < 2 or not all(isinstance(c, str) and c for c in classes) or len(set(classes)) != len(classes):
        raise EdgeDeeplabError(f'{source}: "classes" must hold at least two distinct non-empty names')
    if len(classes) >= IGNORE_LABEL:
        raise EdgeDeeplabError(f"{source}: at most {IGNORE_LABEL} classes fit in 8-bit masks ({IGNORE_LABEL} = ignore)")
    unknown_keys = set(data) - {"classes", "map"}
    if unknown_keys:
        raise EdgeDeeplabError(
            f'{source}: unknown keys {sorted(unknown_keys)}; a labels config has "classes" and "map"'
        )
    mapping = data.get("map")
    if not mapping:
        return LabelConfig(classes, None, source)
    if not isinstance(mapping, dict):
        raise EdgeDeeplabError(f'{source}: "map" must be an object of stored value -> class, e.g. {{"15": "person"}}')
    lookup = np.arange(256, dtype=np.uint8)
    if "*" in mapping:
        lookup[:IGNORE_LABEL] = _target(mapping["*"], classes, source, "*")
    for key, value in mapping.items():
        if key == "*":
            continue
        try:
            stored = int(key)
        except ValueError:
            raise EdgeDeeplabError(f'{source}: map key {key!r} is not a mask value 0..254 or "*"') from None
        if stored == IGNORE_LABEL:
            raise EdgeDeeplabError(
                f"{source}: {IGNORE_LABEL} is the ignore label and stays ignore; remove it from the map"
            )
        if not 0 <= stored < IGNORE_LABEL:
            raise EdgeDeeplabError(f"{source}: map key {key} is outside the mask values 0..254")
        lookup[stored] = _target(value, classes, source, key)
    return LabelConfig(classes, lookup, source)


def _target(value, classes, source: str, key: str) -> int:
    if value == "ignore":
        return IGNORE_LABEL
    if isinstance(value, str):
        if value not in classes:
            raise EdgeDeeplabError(
                f"{source}: map {key!r} -> {value!r} names no class; classes are {', '.join(classes)}"
            )
        return classes.index(value)
    if isinstance(value, int) and not isinstance(value, bool) and (0 <= value < len(classes) or value == IGNORE_LABEL):
        return value
    raise EdgeDeeplabError(
        f'{source}: map {key!r} -> {value!r} is not a class name, a class index 0..{len(classes) - 1} or "ignore"'
    )

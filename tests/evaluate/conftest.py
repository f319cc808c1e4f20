"""Helpers for the evaluator's tests: a minimal reader of a ccp-person style folder and tiny datasets.

The project's reader (edge_deeplab.data.open_dataset) is used where it exists; this stand-in reads
the same layout (images/ID.jpg, masks/ID.png, SPLIT.txt) so the evaluator can be tested on its own.
"""
import dataclasses
from pathlib import Path

import numpy as np
import pytest


@dataclasses.dataclass
class Sample:
    id: str
    image: np.ndarray
    mask: np.ndarray


class ListDataset:
    def __init__(self, class_names, samples, name="test dataset"):
        self.class_names = tuple(class_names)
        self.samples = list(samples)
        self.name = name

    def __len__(self):
        return len(self.samples)

    def __iter__(self):
        return iter(self.samples)


class FolderDataset:
    """images/ID.jpg + masks/ID.png listed in SPLIT.txt, decoded lazily (RGB uint8, mask uint8)."""

    def __init__(self, root, split="val", class_names=("background", "person"), limit=None):
        self.root = Path(root)
        self.class_names = tuple(class_names)
        self.ids = (self.root / f"{split}.txt").read_text().split()[:limit]
        self.name = f"{self.root.name} {split}"

    def __len__(self):
        return len(self.ids)

    def __iter__(self):
        import cv2

        for image_id in self.ids:
            bgr = cv2.imread(str(self.root / "images" / f"{image_id}.jpg"), cv2.IMREAD_COLOR)
            mask = cv2.imread(str(self.root / "masks" / f"{image_id}.png"), cv2.IMREAD_UNCHANGED)
            yield Sample(image_id, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), mask)


def open_person_dataset(root, split="val", limit=None):
    try:
        from edge_deeplab.data import open_dataset
    except ImportError:
        return FolderDataset(root, split, limit=limit)
    dataset = open_dataset(root, split=split)
    if limit is None:
        return dataset
    return ListDataset(dataset.class_names, [s for _, s in zip(range(limit), dataset)], f"{Path(root).name} {split}")


@pytest.fixture(scope="session")
def ccp_person(shared):
    root = shared / "data" / "ccp-person"
    if not root.is_dir():
        pytest.skip("../shared/data/ccp-person is missing")
    return root

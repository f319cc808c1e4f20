"""Runners made of numpy and tiny datasets, so evaluator logic is tested without model files."""

import dataclasses
from pathlib import Path

import numpy as np

from edge_deeplab.contract import ModelContract


class FakeRunner:
    """Calls `function(rgb) -> raw output` at the contract's input size, counting its calls."""

    def __init__(self, contract: ModelContract, function, name="fake", kind="ours", format="tflite fp32"):
        self.contract, self.function, self.name, self.kind, self.format = contract, function, name, kind, format
        self.path, self.size_bytes, self.invoke_ms, self.calls = None, 1000, [], []

    def forward(self, rgb):
        assert rgb.shape == (self.contract.input_height, self.contract.input_width, 3)
        self.calls.append(rgb)
        self.invoke_ms.append(1.0)
        return self.function(rgb)


def red_is_person(rgb):
    """Logits: person where the red channel is bright."""
    person = rgb[..., 0].astype(np.float32) > 128
    return np.stack([np.where(person, -4.0, 4.0), np.where(person, 4.0, -4.0)], axis=-1).astype(np.float32)


def person_contract(size=8, **changes):
    values = dict(labels=("background", "person"), input_height=size, input_width=size, person_class=1)
    values.update(changes)
    return ModelContract(**values)


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


def open_person_dataset(root, split="val", limit=None):
    from edge_deeplab.data import open_dataset

    dataset = open_dataset(root, split=split)
    if limit is None:
        return dataset
    return ListDataset(dataset.class_names, [s for _, s in zip(range(limit), dataset)], f"{Path(root).name} {split}")

"""Class mapping: a model's classes onto a dataset's, by label name.

So that a model trained on other classes can be scored on our datasets: Google's 21-class VOC
model on a (background, person) dataset predicts person where its argmax is 'person' (15) and
background for every other class (cat, sofa, ... are background in a portrait). The rule:
- every dataset class must be a model class of the same name (case-insensitive);
- a model class the dataset lacks becomes the dataset's 'background', if it has one.
Anything else does not fit and stops with one line naming both label lists.
"""

from __future__ import annotations

import numpy as np

from edge_deeplab.errors import EdgeDeeplabError

BACKGROUND = "background"


def class_mapping(model_labels, dataset_labels, model_name: str = "model") -> np.ndarray:
    """int array: model class id -> dataset class id."""
    model_names = [label.lower() for label in model_labels]
    dataset_names = [label.lower() for label in dataset_labels]
    missing = [name for name in dataset_names if name not in model_names]
    extra = [name for name in model_names if name not in dataset_names]
    if missing or (extra and BACKGROUND not in dataset_names):
        problem = (
            f"it has no class {', '.join(missing)}"
            if missing
            else f"its classes {', '.join(extra)} have no place in a dataset without 'background'"
        )
        raise EdgeDeeplabError(
            f"{model_name}: its classes ({', '.join(model_labels)}) don't fit the dataset's "
            f"({', '.join(dataset_labels)}): {problem}; evaluate it on a dataset with these classes"
        )
    to_dataset = [
        dataset_names.index(name) if name in dataset_names else dataset_names.index(BACKGROUND) for name in model_names
    ]
    return np.asarray(to_dataset, dtype=np.int64)


def describe(mapping: np.ndarray, model_labels, dataset_labels) -> dict:
    """Dataset class -> the model classes that feed it (for the report)."""
    return {
        dataset_labels[d]: [model_labels[m] for m in np.flatnonzero(mapping == d)] for d in range(len(dataset_labels))
    }


def map_labels(model_label_map: np.ndarray, mapping: np.ndarray) -> np.ndarray:
    """A model's label map in the dataset's class ids.

    Args:
        model_label_map: the model's class id per pixel.
        mapping: model class id -> dataset class id (class_mapping).

    Returns:
        The dataset class id per pixel, uint8.
    """
    return mapping[model_label_map].astype(np.uint8)


def map_probabilities(probabilities: np.ndarray, mapping: np.ndarray, num_dataset_classes: int) -> np.ndarray:
    """Model class probabilities [..., Cm] -> dataset class probabilities [..., Cd] (sums of the mapped ones)."""
    membership = np.zeros((probabilities.shape[-1], num_dataset_classes), dtype=np.float32)
    membership[np.arange(len(mapping)), mapping] = 1.0
    return probabilities @ membership

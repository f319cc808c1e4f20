import numpy as np
import pytest

from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.evaluate import mapping
from edge_deeplab.peers import VOC_LABELS


def test_voc_person_is_person_and_every_other_voc_class_is_background():
    to_dataset = mapping.class_mapping(VOC_LABELS, ("background", "person"))
    assert to_dataset[15] == 1
    assert to_dataset.sum() == 1 and len(to_dataset) == 21
    labels = mapping.map_labels(np.array([[0, 15, 8], [12, 15, 20]]), to_dataset)
    assert labels.tolist() == [[0, 1, 0], [0, 1, 0]]


def test_same_classes_map_one_to_one_whatever_the_case():
    assert mapping.class_mapping(("Background", "Person"), ("background", "person")).tolist() == [0, 1]
    assert mapping.class_mapping(("person", "background"), ("background", "person")).tolist() == [1, 0]


def test_probabilities_of_merged_classes_add_up():
    to_dataset = mapping.class_mapping(("background", "cat", "person"), ("background", "person"))
    merged = mapping.map_probabilities(np.array([[0.2, 0.3, 0.5]], np.float32), to_dataset, 2)
    assert merged == pytest.approx(np.array([[0.5, 0.5]]))


def test_model_without_the_datasets_class_stops_with_one_line():
    with pytest.raises(EdgeDeeplabError) as error:
        mapping.class_mapping(("background", "cat", "dog"), ("background", "person"), "pets.tflite")
    message = str(error.value)
    assert "\n" not in message and message.startswith("pets.tflite: its classes (background, cat, dog) don't fit")
    assert "no class person" in message


def test_extra_model_classes_need_a_background_to_fall_into():
    with pytest.raises(EdgeDeeplabError, match="have no place"):
        mapping.class_mapping(("road", "person", "car"), ("road", "person"))

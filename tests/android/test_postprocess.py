"""edge_deeplab.litert.outputs: the reference the Android demo's Java is held to.

Checked by hand on small arrays, and against the evaluator's own reading of each output kind
(evaluate/inference.py), which was written separately: two implementations that agree.
"""

import numpy as np
import pytest

from edge_deeplab.contract import ModelContract
from edge_deeplab.litert import outputs as postprocess
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.evaluate.inference import to_probabilities
from edge_deeplab.litert.outputs import resizable_scores

LABELS = ("background", "person", "cat")


def contract(kind, person=1, labels=LABELS):
    return ModelContract(labels, 2, 2, output_kind=kind, person_class=person)


def evaluator_probabilities(raw, c):
    return to_probabilities(resizable_scores(raw, c), c)


def test_logits():
    raw = np.array([[[0, 2, 1], [5, -1, 0]], [[1, 1, 1], [-300, 400, 399]]], np.float32)
    c = contract("logits")
    probs = postprocess.probabilities(raw, c)
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-6)
    np.testing.assert_allclose(probs, evaluator_probabilities(raw, c), atol=1e-6)
    np.testing.assert_array_equal(postprocess.label_map(raw, c), [[1, 0], [0, 1]])  # the tie goes to class 0
    expected = np.exp(2) / (np.exp(0) + np.exp(2) + np.exp(1))
    alpha = postprocess.person_alpha(raw, c)
    assert alpha.dtype == np.float32 and alpha.shape == (2, 2)
    assert alpha[0, 0] == pytest.approx(expected, abs=1e-7)
    assert alpha[1, 0] == pytest.approx(1 / 3, abs=1e-7)
    assert np.isfinite(alpha).all()


def test_probabilities():
    raw = np.array([[[0.1, 0.7, 0.2], [0.5, 0.25, 0.25]], [[0, 1.0000001, 0], [0.3, 0.3, 0.4]]], np.float32)
    c = contract("probabilities")
    np.testing.assert_array_equal(postprocess.label_map(raw, c), [[1, 0], [1, 2]])
    np.testing.assert_array_equal(postprocess.person_alpha(raw, c), np.float32([[0.7, 0.25], [1.0, 0.3]]))
    np.testing.assert_array_equal(postprocess.probabilities(raw, c), evaluator_probabilities(raw, c))


@pytest.mark.parametrize("shape", [(2, 2), (2, 2, 1)])
def test_label_map(shape):
    raw = np.array([[0, 1], [2, 1]], np.int32).reshape(shape)
    c = contract("label_map")
    np.testing.assert_array_equal(postprocess.label_map(raw, c), [[0, 1], [2, 1]])
    np.testing.assert_array_equal(postprocess.person_alpha(raw, c), [[0, 1], [0, 1]])
    np.testing.assert_array_equal(postprocess.probabilities(raw, c), evaluator_probabilities(raw, c))


def test_person_alpha_with_person_first():
    raw = np.array([[[-0.2], [0.5]], [[0.49], [1.3]]], np.float32)
    c = contract("person_alpha", person=0, labels=("person", "background"))
    np.testing.assert_array_equal(postprocess.person_alpha(raw, c), np.float32([[0, 0.5], [0.49, 1]]))
    np.testing.assert_array_equal(postprocess.label_map(raw, c), [[1, 0], [1, 0]])  # 0.5 counts as person
    np.testing.assert_allclose(postprocess.probabilities(raw, c), evaluator_probabilities(raw, c))


def test_the_person_class_comes_from_the_labels_when_the_contract_names_none():
    voc = ModelContract(
        (
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
            "tv",
        ),
        257,
        257,
    )
    assert postprocess.portrait_class(voc) == 15
    assert postprocess.background_class(voc) == 0
    with pytest.raises(EdgeDeeplabError, match="name no 'person'"):
        postprocess.portrait_class(ModelContract(("road", "car"), 8, 8))

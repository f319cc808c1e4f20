"""The dense CRF (DeepLab v1/v2) on the host: it keeps what the network is sure of and moves unsure
edges onto the photo's edges; without its package, one line says what to install."""

import sys

import numpy as np
import pytest
from click.testing import CliRunner

from edge_deeplab.cli import main
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.evaluate.evaluator import EvalConfig, evaluate_models
from edge_deeplab.evaluate.inference import predict_probabilities
from edge_deeplab.refine import CRFConfig, dense_crf, refine
from fakes import FakeRunner, ListDataset, Sample, person_contract, red_is_person

HEIGHT, WIDTH, EDGE = 48, 64, 40


def _two_colour_photo():
    """Red person left of column EDGE, blue background right of it, with some sensor noise."""
    rgb = np.zeros((HEIGHT, WIDTH, 3), np.float32)
    rgb[:, :EDGE] = (200, 60, 60)
    rgb[:, EDGE:] = (40, 80, 200)
    noise = np.random.default_rng(0).normal(0, 8, rgb.shape)
    return np.clip(rgb + noise, 0, 255).astype(np.uint8)


def _person_probabilities(person):
    return np.stack([1.0 - person, person], axis=-1).astype(np.float32)


def test_a_confident_mask_stays_nearly_unchanged():
    person = np.where(np.arange(WIDTH) < EDGE, 0.98, 0.02)[np.newaxis].repeat(HEIGHT, 0)
    probabilities = _person_probabilities(person)
    photo = _two_colour_photo()
    photo.setflags(write=False)  # as a decoded photo may be
    refined = dense_crf(photo, probabilities)
    assert refined.shape == probabilities.shape and refined.dtype == np.float32
    assert refined.sum(axis=-1) == pytest.approx(np.ones((HEIGHT, WIDTH)), abs=1e-4)
    assert (np.argmax(refined, -1) == np.argmax(probabilities, -1)).all()
    assert np.abs(refined - probabilities).max() < 0.05


def test_a_blurred_edge_snaps_to_the_photos_edge():
    # The network's edge is soft and 6 pixels off, as an upsampled stride-16 output is.
    person = 1.0 / (1.0 + np.exp((np.arange(WIDTH) - (EDGE - 6)) / 4.0))
    probabilities = _person_probabilities(person[np.newaxis].repeat(HEIGHT, 0))
    before = (probabilities[..., 1] > 0.5).sum(axis=1)
    after = (dense_crf(_two_colour_photo(), probabilities)[..., 1] > 0.5).sum(axis=1)
    assert (before == EDGE - 6).all()
    assert (np.abs(after - EDGE) <= 1).all(), after


def test_refine_none_returns_the_probabilities_and_an_unknown_method_is_refused():
    probabilities = _person_probabilities(np.full((HEIGHT, WIDTH), 0.3))
    assert refine(_two_colour_photo(), probabilities, "none") is probabilities
    with pytest.raises(EdgeDeeplabError, match="choose none or crf"):
        refine(_two_colour_photo(), probabilities, "bilateral")
    with pytest.raises(EdgeDeeplabError, match="same photo"):
        dense_crf(_two_colour_photo()[:10], probabilities)
    with pytest.raises(EdgeDeeplabError, match="iterations 0 must be at least 1"):
        CRFConfig(iterations=0)


def test_without_pydensecrf_one_line_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pydensecrf.densecrf", None)  # import fails as if not installed
    with pytest.raises(EdgeDeeplabError) as error:
        EvalConfig(refine="crf")
    assert "pip install 'edge-deeplab[crf]'" in str(error.value) and "\n" not in str(error.value)
    result = CliRunner().invoke(main, ["evaluate", "--data", ".", "--refine", "crf", "peer:deeplabv3-voc"])
    assert result.exit_code == 1 and "pip install 'edge-deeplab[crf]'" in result.output
    EvalConfig()  # without --refine crf nothing needs it


def test_evaluation_refines_and_says_so():
    """The evaluator runs the CRF on each photo after the model and records its parameters."""
    photo = _two_colour_photo()
    truth = np.zeros((HEIGHT, WIDTH), np.uint8)
    truth[:, :EDGE] = 1
    runner = FakeRunner(person_contract(size=8), red_is_person)
    refined = predict_probabilities(runner, photo, refine="crf")
    assert (np.argmax(refined, -1) == truth).all()  # the 8x8 model alone misses a column at the edge

    dataset = ListDataset(("background", "person"), [Sample("1", photo, truth)])
    crf = CRFConfig(iterations=3)
    result = evaluate_models([runner], dataset, EvalConfig(refine="crf", crf=crf, overlays=0), progress=False).result
    assert result["settings"]["refine"] == "crf" and result["settings"]["crf"]["iterations"] == 3
    assert result["models"][0]["metrics"]["person_IoU"] > 0.9


def test_crf_options_without_refine_crf_are_refused():
    result = CliRunner().invoke(main, ["evaluate", "--data", ".", "--crf-iterations", "3", "peer:deeplabv3-voc"])
    assert result.exit_code == 1 and "--crf-iterations has no effect without --refine crf" in result.output

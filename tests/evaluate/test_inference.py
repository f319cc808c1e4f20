"""From a photo to probabilities at its own resolution: output kinds, resizing, flips and scales."""

import numpy as np
import pytest

from edge_deeplab.evaluate import inference
from edge_deeplab.litert.outputs import resizable_scores
from fakes import FakeRunner, person_contract, red_is_person


def _photo(height=40, width=30):
    """Left third red (person), the rest blue."""
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[..., 2] = 200
    rgb[:, : width // 3] = (220, 0, 0)
    return rgb


def test_output_kinds_become_scores():
    contract = person_contract(output_kind="label_map")
    assert resizable_scores(np.array([[0, 1]]), contract).tolist() == [[[1, 0], [0, 1]]]
    alpha = person_contract(output_kind="person_alpha")
    assert resizable_scores(np.array([[[0.25]]], np.float32), alpha).tolist() == [[[0.75, 0.25]]]
    logits = np.array([[[0.0, np.log(3.0)]]], np.float32)
    assert inference.to_probabilities(logits, person_contract()) == pytest.approx(np.array([[[0.25, 0.75]]]))


def test_prediction_is_at_the_photos_resolution_and_right():
    runner = FakeRunner(person_contract(), red_is_person)
    probabilities = inference.predict_probabilities(runner, _photo())
    assert probabilities.shape == (40, 30, 2) and len(runner.calls) == 1
    labels = np.argmax(probabilities, axis=-1)
    assert (labels[:, :8] == 1).all() and (labels[:, 12:] == 0).all()  # away from the resampled edge
    assert probabilities.sum(axis=-1) == pytest.approx(np.ones((40, 30)), abs=1e-5)


def test_flip_averages_the_mirrored_pass():
    def left_half_is_person(rgb):
        left = np.zeros(rgb.shape[:2], bool)
        left[:, : rgb.shape[1] // 2] = True
        return np.stack([np.where(left, -3.0, 3.0), np.where(left, 3.0, -3.0)], -1).astype(np.float32)

    runner = FakeRunner(person_contract(), left_half_is_person)
    plain = inference.predict_probabilities(runner, _photo(16, 16))
    assert plain[:, 0, 1].min() > 0.99 and plain[:, -1, 1].max() < 0.01
    # the mirrored pass sees "person" on the other side: the average is undecided everywhere
    both = inference.predict_probabilities(runner, _photo(16, 16), flip=True)
    assert both[..., 1] == pytest.approx(np.full((16, 16), 0.5), abs=1e-5)


def test_small_scale_pads_and_large_scale_slides_windows():
    runner = FakeRunner(person_contract(size=8), red_is_person)
    photo = _photo(48, 48)
    multi = np.argmax(inference.predict_probabilities(runner, photo, scales=(0.5, 2.0)), -1)
    # 0.5: one padded 8x8 input whose unused part is the mean colour; 2.0: 16x16 in 3x3 windows (starts 0, 6, 8)
    assert len(runner.calls) == 1 + 9
    padded = runner.calls[0]
    assert (padded[4:, :] == 128).all() and (padded[:, 4:] == 128).all()  # 127.5 rounded
    assert (multi[:, :12] == 1).all() and (multi[:, 20:] == 0).all()


def test_resize_handles_more_channels_than_opencv_takes_at_once():
    scores = np.random.default_rng(0).random((4, 4, 600)).astype(np.float32)
    resized = inference.resize_bilinear(scores, 8, 8)
    assert resized.shape == (8, 8, 600)
    assert resized[..., 599] == pytest.approx(inference.resize_bilinear(scores[..., 599:], 8, 8)[..., 0])


def test_flip_and_scales_on_a_flip_symmetric_photo_equal_a_single_pass():
    """DeepLab's eval_scales / add_flipped_images average views of one photo: where every view agrees
    (a mirror-symmetric photo, a model that reads pixels where they are) the average is the single pass."""
    photo = np.zeros((48, 48, 3), np.uint8)
    photo[..., 2] = 200
    photo[:, 16:32] = (220, 0, 0)  # a red figure in the middle: symmetric left-right
    assert (photo == photo[:, ::-1]).all()
    runner = FakeRunner(person_contract(size=16), red_is_person)
    single = inference.predict_probabilities(runner, photo)
    flipped = inference.predict_probabilities(runner, photo, flip=True)
    assert flipped == pytest.approx(single, abs=1e-6)

    multi = inference.predict_probabilities(runner, photo, scales=(0.5, 1.0, 1.5), flip=True)
    away_from_edges = np.ones(48, bool)
    for edge in (16, 32):
        away_from_edges[edge - 4 : edge + 4] = False
    assert multi[:, away_from_edges] == pytest.approx(single[:, away_from_edges], abs=1e-3)
    assert multi == pytest.approx(multi[:, ::-1], abs=1e-6)  # flipped views averaged: symmetric as the photo

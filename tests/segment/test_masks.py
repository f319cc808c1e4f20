"""Temporal smoothing and main-subject selection (segment/masks.py), and `predict --smooth --main-subject`.

The Java twins in android_demo are checked against these in tests/android/test_mask_parity.py."""

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from edge_deeplab.cli import main
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.segment.masks import TemporalSmoother, main_subject, relabel


def test_smoothing_damps_noise_and_follows_motion_at_once():
    smoother = TemporalSmoother(base_gain=0.35, motion_gain=1.5)
    first = np.array([[0.2, 0.2, 0.9]], dtype=np.float32)
    assert np.array_equal(smoother.apply(first), first)  # nothing to smooth against yet
    noisy = np.array([[0.3, 1.0, 0.9]], dtype=np.float32)
    out = smoother.apply(noisy)
    # +0.1: gain 0.35 + 1.5 * 0.1 = 0.5, so half of it; +0.8: gain capped at 1, followed at once.
    assert out[0, 0] == pytest.approx(0.25, abs=1e-6)
    assert out[0, 1] == pytest.approx(1.0, abs=1e-6)
    assert out[0, 2] == pytest.approx(0.9, abs=1e-6)
    assert out.dtype == np.float32 and noisy[0, 0] == np.float32(0.3)  # the input is left alone


def test_smoothing_restarts_on_reset_and_on_a_new_size():
    smoother = TemporalSmoother()
    smoother.apply(np.zeros((2, 2), np.float32))
    frame = np.full((2, 2), 0.3, np.float32)
    assert not np.array_equal(smoother.apply(frame), frame)
    smoother.reset()
    assert np.array_equal(smoother.apply(frame), frame)
    other = np.full((3, 2), 0.7, np.float32)
    assert np.array_equal(smoother.apply(other), other)
    with pytest.raises(EdgeDeeplabError, match="base gain in"):
        TemporalSmoother(base_gain=0.0)


def test_main_subject_keeps_the_largest_region_and_soft_edges():
    alpha = np.zeros((6, 8), np.float32)
    alpha[1:5, 0:3] = 0.9  # 12 pixels: the subject
    alpha[0:2, 6:8] = 0.8  # 4 pixels: a passer-by
    alpha[5, 4] = 0.3  # a soft edge pixel, under the threshold
    out = main_subject(alpha)
    assert np.array_equal(out[1:5, 0:3], alpha[1:5, 0:3])
    assert not out[0:2, 6:8].any()
    assert out[5, 4] == np.float32(0.3)


def test_main_subject_counts_four_neighbours_and_breaks_ties_by_position():
    diagonal = np.zeros((4, 4), np.float32)
    diagonal[0, 0] = diagonal[1, 1] = 1.0  # touching corners only: two regions of one pixel each
    out = main_subject(diagonal)
    assert out[0, 0] == 1.0 and out[1, 1] == 0.0  # the tie goes to the first in row-major order
    nobody = np.full((3, 3), 0.2, np.float32)
    assert np.array_equal(main_subject(nobody), nobody)


def test_relabel_follows_the_filtered_alpha():
    labels = np.array([[1, 1, 2, 0]], np.uint8)
    alpha = np.array([[0.9, 0.1, 0.1, 0.7]], np.float32)
    assert relabel(labels, alpha, person_class=1, background_class=0).tolist() == [[1, 0, 2, 1]]


def _two_people(path, seed):
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 60, (64, 96, 3), dtype=np.uint8)
    rgb[16:, 8:40] = (220, 180, 150)
    rgb[40:, 70:80] = (220, 180, 150)
    Image.fromarray(rgb).save(path)
    return path


def test_predict_main_subject_and_smooth_change_the_mask_as_the_library_does(tmp_path):
    import edge_deeplab

    frames = [_two_people(tmp_path / f"frame{i}.png", seed=i) for i in range(2)]
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "predict",
            "preset:person",
            *map(str, frames),
            "--output",
            str(out),
            "--probability",
            "--smooth",
            "--main-subject",
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    smoother = TemporalSmoother()
    changed = 0
    for frame in frames:
        raw = edge_deeplab.predict("preset:person", frame)
        alpha = main_subject(smoother.apply(raw.person_probability))
        mask = np.asarray(Image.open(out / f"{frame.stem}.mask.png"))
        assert np.array_equal(mask, relabel(raw.labels, alpha, 1, 0))
        person = np.asarray(Image.open(out / f"{frame.stem}.person.png")).astype(int)
        assert np.abs(person - np.round(alpha * 255)).max() <= 1
        changed += int(np.abs(alpha - raw.person_probability).max() > 0.01)
    assert changed, "the filters changed no probability: the test shows nothing"

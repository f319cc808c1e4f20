"""Losses (ignore label, Dice, Lovasz-softmax) and the poly learning-rate policy against hand values."""

import math

import numpy as np
import pytest
import tensorflow as tf

from edge_deeplab.train.losses import cross_entropy, dice, lovasz_softmax, make_loss
from edge_deeplab.train.schedule import PolyDecay


def test_cross_entropy_ignores_label_255():
    logits = np.array([[[[2.0, 0.0], [0.0, 1.0], [5.0, -5.0]]]], np.float32)  # 1 x 1 x 3 x 2
    labels = np.array([[[0, 1, 255]]], np.uint8)
    expected = np.mean([math.log(1 + math.exp(-2.0)), math.log(1 + math.exp(-1.0))])
    assert float(cross_entropy(labels, logits)[0]) == pytest.approx(expected, rel=1e-6)


def test_all_ignored_example_costs_nothing():
    logits = np.random.default_rng(0).normal(size=(2, 4, 4, 3)).astype(np.float32)
    labels = np.full((2, 4, 4), 255, np.uint8)
    labels[1] = 2
    per_example = cross_entropy(labels, logits).numpy()
    assert per_example[0] == 0.0 and per_example[1] > 0


def _one_hot_logits(prediction, num_classes):
    return (tf.one_hot(prediction, num_classes) * 40.0 - 20.0).numpy()  # saturated softmax


def test_lovasz_of_hard_predictions_is_one_minus_iou():
    # The Lovasz extension equals the Jaccard loss on binary vectors (Berman et al. 2018).
    truth = np.array([[[0, 0, 1, 1, 1, 255]]], np.uint8)
    predicted = np.array([[[0, 1, 1, 1, 0, 1]]])
    iou_background = 1 / 3  # {0} of {0, 1, 4}
    iou_person = 2 / 4  # {2, 3} of {1, 2, 3, 4}; the ignored pixel counts nowhere
    expected = np.mean([1 - iou_background, 1 - iou_person])
    value = float(lovasz_softmax(truth, _one_hot_logits(predicted, 2))[0])
    assert value == pytest.approx(expected, abs=1e-5)


def test_dice_is_zero_when_perfect_and_one_when_disjoint():
    truth = np.array([[[0, 1, 1, 0]]], np.uint8)
    assert float(dice(truth, _one_hot_logits(truth, 2), smooth=0.0)[0]) == pytest.approx(0.0, abs=1e-6)
    assert float(dice(truth, _one_hot_logits(1 - truth, 2), smooth=0.0)[0]) == pytest.approx(1.0, abs=1e-6)


def test_combined_loss_adds_the_region_term():
    truth = np.array([[[0, 1, 1, 0]]], np.uint8)
    logits = np.random.default_rng(1).normal(size=(1, 1, 4, 2)).astype(np.float32)
    combined = make_loss("ce+dice", aux_weight=0.5)(truth, logits)
    np.testing.assert_allclose(combined, cross_entropy(truth, logits) + 0.5 * dice(truth, logits), rtol=1e-6)


def test_poly_schedule_with_warmup():
    schedule = PolyDecay(0.01, total_steps=100, power=0.9, warmup_steps=10)
    assert float(schedule(0)) == pytest.approx(0.001)  # (step + 1) / warmup
    assert float(schedule(9)) == pytest.approx(min(0.01, 0.01 * (1 - 9 / 100) ** 0.9))
    assert float(schedule(50)) == pytest.approx(0.01 * 0.5**0.9)
    assert float(schedule(100)) == pytest.approx(0.0)
    assert float(schedule(500)) == pytest.approx(0.0)
    assert PolyDecay(**schedule.get_config()).get_config() == schedule.get_config()

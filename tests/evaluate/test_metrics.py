"""Metrics against values computed by hand on small crafted label maps."""

import numpy as np
import pytest

from edge_deeplab import metrics

I = 255  # ignore  # noqa: E741 (one letter keeps the crafted label maps aligned)


def test_confusion_matrix_skips_ignore_pixels_whatever_was_predicted_there():
    truth = np.array([[0, 1, I], [1, 1, 0]])
    prediction = np.array([[0, 1, 1], [0, 1, 1]])
    confusion = metrics.confusion_matrix(truth, prediction, 2)
    # rows = truth, columns = prediction; the ignored pixel (predicted 1) counts nowhere
    assert confusion.tolist() == [[1, 1], [1, 2]]


def test_iou_accuracy_and_frequency_weighted_iou_by_hand():
    confusion = metrics.confusion_matrix(np.array([[0, 1, I], [1, 1, 0]]), np.array([[0, 1, 1], [0, 1, 1]]), 2)
    # IoU0 = 1 / (1 + 1 + 1), IoU1 = 2 / (2 + 1 + 1)
    assert metrics.per_class_iou(confusion) == pytest.approx([1 / 3, 1 / 2])
    assert metrics.mean_iou(confusion) == pytest.approx(5 / 12)
    assert metrics.pixel_accuracy(confusion) == pytest.approx(3 / 5)
    # ground-truth shares 2/5 and 3/5
    assert metrics.frequency_weighted_iou(confusion) == pytest.approx(2 / 5 * 1 / 3 + 3 / 5 * 1 / 2)


def test_class_absent_everywhere_is_left_out_but_a_falsely_predicted_class_counts_as_zero():
    truth = np.array([[0, 0, 1, 1]])
    # class 2: never in truth, never predicted -> no IoU; class 3: never in truth but predicted once -> IoU 0
    prediction = np.array([[0, 3, 1, 1]])
    confusion = metrics.confusion_matrix(truth, prediction, 4)
    iou = metrics.per_class_iou(confusion)
    assert iou[0] == pytest.approx(1 / 2) and iou[1] == 1.0 and np.isnan(iou[2]) and iou[3] == 0.0
    assert metrics.mean_iou(confusion) == pytest.approx((1 / 2 + 1 + 0) / 3)
    # class 3 has no ground-truth pixels, so it weighs nothing in the frequency-weighted IoU
    assert metrics.frequency_weighted_iou(confusion) == pytest.approx(0.5 * 0.5 + 0.5 * 1.0)


def test_a_class_absent_from_one_image_is_scored_over_the_dataset():
    totals = metrics.SegmentationMetrics(("background", "person"))
    # image 1: no person at all, one pixel falsely predicted person
    totals.add(np.array([[0, 0, 0, 0]]), np.array([[0, 0, 0, 1]]))
    # image 2: three person pixels, two found, one ignored pixel
    totals.add(np.array([[1, 1, 1, 0, I]]), np.array([[1, 1, 0, 0, 1]]))
    summary = totals.summary(person_class=1)
    # person: TP 2, FP 1, FN 1 -> 2/4; background: TP 4, FP 1, FN 1 -> 4/6
    assert summary["person_IoU"] == pytest.approx(0.5)
    assert summary["per_class_IoU"] == pytest.approx({"background": 4 / 6, "person": 0.5})
    assert summary["mIoU"] == pytest.approx((0.5 + 4 / 6) / 2)
    assert summary["pixel_accuracy"] == pytest.approx(6 / 8)
    assert summary["confusion_matrix"] == [[4, 1], [1, 2]]


def test_predicted_label_outside_the_classes_is_a_bug_not_a_score():
    with pytest.raises(ValueError, match="prediction holds label 2"):
        metrics.confusion_matrix(np.array([[0, 1]]), np.array([[0, 2]]), 2)


def test_class_boundaries_are_inner_edges_and_not_the_image_border():
    labels = np.zeros((4, 4), int)
    labels[1:3, 1:3] = 1
    valid = np.ones((4, 4), bool)
    assert metrics.class_boundaries(labels, valid, 1).sum() == 4  # the whole 2x2 square
    outer = metrics.class_boundaries(labels, valid, 0)
    assert outer.sum() == 8 and not outer[0, 0] and outer[0, 1]  # corners touch only diagonally


def test_boundary_f_by_hand():
    truth = np.zeros((4, 4), int)
    truth[1:3, 1:3] = 1  # a 2x2 square
    prediction = np.zeros((4, 4), int)
    prediction[1:3, 1:4] = 1  # grown one column to the right
    counts = metrics.boundary_counts(truth, prediction, 2, tolerance_px=0)
    # person: 6 predicted edge pixels, 4 on the true edge; 4 true edge pixels, all found
    # background: 8 predicted, 6 true; 8 true, 6 found
    assert counts.tolist() == [[8, 6, 8, 6], [6, 4, 4, 4]]
    f_scores = metrics.boundary_f_scores(counts)
    assert f_scores == pytest.approx([0.75, 2 * (4 / 6) * 1 / (4 / 6 + 1)])
    # one pixel of tolerance forgives the shifted column entirely
    assert metrics.boundary_f_scores(metrics.boundary_counts(truth, prediction, 2, 1)) == pytest.approx([1, 1])


def test_boundary_missing_in_the_prediction_gives_zero_not_undefined():
    truth = np.zeros((4, 4), int)
    truth[:, 2:] = 1
    counts = metrics.boundary_counts(truth, np.zeros((4, 4), int), 2, tolerance_px=1)
    assert counts.tolist() == [[0, 0, 4, 0], [0, 0, 4, 0]]
    assert metrics.boundary_f_scores(counts).tolist() == [0.0, 0.0]


def test_ignore_pixels_neither_make_nor_match_boundaries():
    truth = np.array([[0, 0, I, 1]] * 3)
    prediction = np.array([[0, 0, 1, 1]] * 3)
    counts = metrics.boundary_counts(truth, prediction, 2, tolerance_px=0)
    assert counts.sum() == 0
    assert np.isnan(metrics.boundary_f_scores(counts)).all()
    summary = metrics.SegmentationMetrics(("background", "person"))
    summary.add(truth, prediction)
    assert summary.summary(1)["boundary_F"] is None and summary.summary(1)["mIoU"] == 1.0


def test_boundary_tolerance_is_three_quarters_of_a_percent_of_the_diagonal():
    assert metrics.boundary_tolerance_px(830, 550) == 7  # diagonal 995.7 px
    assert metrics.boundary_tolerance_px(10, 10) == 1  # never below one pixel

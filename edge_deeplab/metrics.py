"""Segmentation metrics in numpy: a confusion matrix, and what DeepLab and its users read from it.

Everything is accumulated over the whole dataset first and divided once at the end, as
DeepLab's evaluation (tf.metrics.mean_iou) does: an image with few pixels of a class weighs
as many pixels as it has, not as one image.

- IoU_c = TP_c / (TP_c + FP_c + FN_c); a class that is neither in the ground truth nor in the
  prediction anywhere has no IoU (NaN) and is left out of the mean, as in DeepLab.
- pixel accuracy = correct pixels / labelled pixels.
- frequency-weighted IoU = sum_c (ground-truth share of c) * IoU_c (Long et al., FCN, 2015).
- boundary F-score (Csurka et al., "What is a good evaluation measure for semantic
  segmentation?", BMVC 2013; the BF score of MATLAB's bfscore, F of the DAVIS benchmark):
  precision = share of predicted boundary pixels within a tolerance of a ground-truth boundary,
  recall = share of ground-truth boundary pixels within the tolerance of a predicted one,
  F = 2PR / (P + R). The tolerance is 0.75 % of the image diagonal (bfscore's default), 6 to 8
  pixels on a 550 x 830 portrait. Portrait quality lives at the edges, which IoU hardly sees.

Pixels labelled IGNORE_LABEL (255) in the ground truth count nowhere: not in the confusion
matrix, and they neither make nor match boundaries.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from edge_deeplab.contract import IGNORE_LABEL

#: Boundary match tolerance as a fraction of the image diagonal (MATLAB bfscore's default).
BOUNDARY_TOLERANCE = 0.0075


def confusion_matrix(ground_truth, prediction, num_classes: int) -> np.ndarray:
    """[num_classes, num_classes] pixel counts, rows = ground truth, columns = prediction."""
    ground_truth = np.asarray(ground_truth)
    prediction = np.asarray(prediction)
    if ground_truth.shape != prediction.shape:
        raise ValueError(f"ground truth {ground_truth.shape} and prediction {prediction.shape} differ in shape")
    valid = ground_truth != IGNORE_LABEL
    truth = ground_truth[valid].astype(np.int64)
    predicted = prediction[valid].astype(np.int64)
    if truth.size and (truth.max() >= num_classes or truth.min() < 0):
        raise ValueError(
            f"ground truth holds label {int(truth.max())}, outside 0..{num_classes - 1} "
            f"and not the ignore label {IGNORE_LABEL}"
        )
    if predicted.size and (predicted.max() >= num_classes or predicted.min() < 0):
        raise ValueError(f"prediction holds label {int(predicted.max())}, outside 0..{num_classes - 1}")
    counts = np.bincount(truth * num_classes + predicted, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def per_class_iou(confusion: np.ndarray) -> np.ndarray:
    """IoU of each class; NaN for a class absent from both ground truth and prediction."""
    confusion = np.asarray(confusion, dtype=np.float64)
    true_positive = np.diag(confusion)
    union = confusion.sum(axis=0) + confusion.sum(axis=1) - true_positive
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, true_positive / np.where(union > 0, union, 1), np.nan)


def mean_iou(confusion: np.ndarray) -> float:
    """The mean of the per-class IoUs over the classes whose IoU is defined (NaN when none is).

    Args:
        confusion: the confusion matrix, ground truth rows, predictions columns.
    """
    iou = per_class_iou(confusion)
    return float(np.nanmean(iou)) if np.any(~np.isnan(iou)) else float("nan")


def pixel_accuracy(confusion: np.ndarray) -> float:
    """The fraction of pixels labelled right (NaN for an empty matrix).

    Args:
        confusion: the confusion matrix, ground truth rows, predictions columns.
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    total = confusion.sum()
    return float(np.trace(confusion) / total) if total > 0 else float("nan")


def frequency_weighted_iou(confusion: np.ndarray) -> float:
    """The per-class IoUs weighted by each class's share of the ground-truth pixels (NaN for an empty matrix).

    Args:
        confusion: the confusion matrix, ground truth rows, predictions columns.
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    total = confusion.sum()
    if total == 0:
        return float("nan")
    frequency = confusion.sum(axis=1) / total
    iou = per_class_iou(confusion)
    present = frequency > 0  # a class in the ground truth always has a union, so its IoU is defined
    return float(np.sum(frequency[present] * iou[present]))


# ---- boundaries ----------------------------------------------------------------------------------


def class_boundaries(labels, valid, class_id: int) -> np.ndarray:
    """Pixels of `class_id` with a 4-neighbour of another class, both pixels labelled in the ground truth.

    The image border is no boundary, and neither is the edge of an ignore region: only an edge
    between two pixels the ground truth labels can be a boundary.
    """
    inside = labels == class_id
    boundary = np.zeros_like(inside)
    # Each shift compares a pixel with one neighbour: (rows, cols) slices of the pixel and its neighbour.
    for here, there in (
        ((slice(1, None), slice(None)), (slice(None, -1), slice(None))),
        ((slice(None, -1), slice(None)), (slice(1, None), slice(None))),
        ((slice(None), slice(1, None)), (slice(None), slice(None, -1))),
        ((slice(None), slice(None, -1)), (slice(None), slice(1, None))),
    ):
        boundary[here] |= inside[here] & ~inside[there] & valid[there]
    return boundary & valid


def _disk(radius: int) -> np.ndarray:
    y, x = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return (x * x + y * y <= radius * radius).astype(np.uint8)


def _within(boundary: np.ndarray, tolerance_px: int) -> np.ndarray:
    """Pixels within `tolerance_px` (Euclidean) of a boundary pixel."""
    if tolerance_px <= 0:
        return boundary
    import cv2

    return cv2.dilate(boundary.astype(np.uint8), _disk(tolerance_px)).astype(bool)


def boundary_tolerance_px(height: int, width: int, fraction: float = BOUNDARY_TOLERANCE) -> int:
    """The boundary tolerance in pixels for an image: `fraction` of its diagonal, rounded, at least 1.

    Args:
        height: the image height.
        width: the image width.
        fraction: the fraction of the diagonal (BOUNDARY_TOLERANCE by default).
    """
    return max(1, int(round(fraction * float(np.hypot(height, width)))))


def boundary_counts(ground_truth, prediction, num_classes: int, tolerance_px: int) -> np.ndarray:
    """[num_classes, 4] counts for one image: predicted boundary pixels, those matched by the ground
    truth, ground-truth boundary pixels, those matched by the prediction. Summed over a dataset,
    they give each class's boundary precision and recall."""
    ground_truth = np.asarray(ground_truth)
    prediction = np.asarray(prediction)
    valid = ground_truth != IGNORE_LABEL
    counts = np.zeros((num_classes, 4), dtype=np.int64)
    for class_id in range(num_classes):
        truth_edge = class_boundaries(ground_truth, valid, class_id)
        predicted_edge = class_boundaries(prediction, valid, class_id)
        if not truth_edge.any() and not predicted_edge.any():
            continue
        counts[class_id] = (
            predicted_edge.sum(),
            (predicted_edge & _within(truth_edge, tolerance_px)).sum(),
            truth_edge.sum(),
            (truth_edge & _within(predicted_edge, tolerance_px)).sum(),
        )
    return counts


def boundary_f_scores(counts: np.ndarray) -> np.ndarray:
    """Per-class boundary F from summed boundary_counts; NaN for a class with no boundary anywhere."""
    counts = np.asarray(counts, dtype=np.float64)
    predicted, predicted_matched, truth, truth_matched = counts.T
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, predicted_matched / np.where(predicted > 0, predicted, 1), 0.0)
        recall = np.where(truth > 0, truth_matched / np.where(truth > 0, truth, 1), 0.0)
        f_score = np.where(
            precision + recall > 0,
            2 * precision * recall / np.where(precision + recall > 0, precision + recall, 1),
            0.0,
        )
    return np.where((predicted + truth) > 0, f_score, np.nan)


# ---- accumulation over a dataset -----------------------------------------------------------------


@dataclasses.dataclass
class SegmentationMetrics:
    """Running totals for one model over a dataset; `add` one image at a time."""

    class_names: tuple
    confusion: np.ndarray = None
    boundary: np.ndarray = None
    boundary_tolerance: float = BOUNDARY_TOLERANCE

    def __post_init__(self):
        n = len(self.class_names)
        if self.confusion is None:
            self.confusion = np.zeros((n, n), dtype=np.int64)
        if self.boundary is None:
            self.boundary = np.zeros((n, 4), dtype=np.int64)

    @property
    def num_classes(self) -> int:
        """The number of classes (class_names)."""
        return len(self.class_names)

    def add(self, ground_truth, prediction) -> np.ndarray:
        """Count one image; returns that image's own confusion matrix (for per-image scores)."""
        image_confusion = confusion_matrix(ground_truth, prediction, self.num_classes)
        self.confusion += image_confusion
        tolerance = boundary_tolerance_px(*np.shape(ground_truth)[:2], self.boundary_tolerance)
        self.boundary += boundary_counts(ground_truth, prediction, self.num_classes, tolerance)
        return image_confusion

    def summary(self, person_class: Optional[int] = None) -> dict:
        """The metrics of every image added so far: mIoU, pixel accuracy, frequency-weighted IoU, boundary F,
        per-class IoU and boundary F, the confusion matrix, and the person's IoU and boundary F.

        Args:
            person_class: the person's class id; None leaves the person's numbers out.

        Returns:
            A plain-JSON dict (NaN as None).
        """
        iou = per_class_iou(self.confusion)
        boundary_f = boundary_f_scores(self.boundary)
        return {
            "mIoU": _number(mean_iou(self.confusion)),
            "pixel_accuracy": _number(pixel_accuracy(self.confusion)),
            "fw_IoU": _number(frequency_weighted_iou(self.confusion)),
            "boundary_F": _number(np.nanmean(boundary_f) if np.any(~np.isnan(boundary_f)) else np.nan),
            "person_IoU": _number(iou[person_class]) if person_class is not None else None,
            "person_boundary_F": _number(boundary_f[person_class]) if person_class is not None else None,
            "per_class_IoU": {name: _number(v) for name, v in zip(self.class_names, iou)},
            "per_class_boundary_F": {name: _number(v) for name, v in zip(self.class_names, boundary_f)},
            "confusion_matrix": self.confusion.tolist(),
        }


def _number(value) -> Optional[float]:
    """JSON-friendly: NaN (undefined) becomes None."""
    value = float(value)
    return None if np.isnan(value) else value

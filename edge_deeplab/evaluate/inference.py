"""From a photo to class probabilities at the photo's own resolution, for any runner.

One pass, as the peers' own apps and our Android demo do it: resize the whole photo (bilinear)
to the model's input size, run, resize the raw output back to the photo's size (bilinear), then
turn it into probabilities. Scores are resized before the softmax and argmax, as DeepLab's
evaluation resizes logits (research/deeplab, predict_labels); the metrics are then counted on
the original pixels of the ground truth, never on a resized mask.

Bilinear is OpenCV's INTER_LINEAR: half-pixel centres, the convention of tf.image.resize and of
the RESIZE_BILINEAR (half_pixel_centers) inside our models. Google's golden test vector
(../shared/peers) is reproduced on every pixel this way.

Optional test-time augmentation, as DeepLab's eval_scales / add_flipped_images: the average of
the probabilities over left-right flips and scales. A scale s resizes the photo to s times the
model's input size; below 1 the rest of the input is padded with the mean colour (zero after
normalisation, as DeepLab pads), above 1 the model slides over the larger image in windows of its
input size overlapping by a third, and overlapping scores are averaged.

Optional refinement of the averaged probabilities with a dense CRF over the photo (DeepLab v1/v2,
edge_deeplab.refine), at the photo's own resolution, where its edges are.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from edge_deeplab.contract import ModelContract
from edge_deeplab.refine import CRFConfig, refine as refined
from edge_deeplab.litert.outputs import resizable_scores

CV2_MAX_CHANNELS = 128  # cv2.resize (opencv-python 5.0) refuses more channels per call: measured


def resize_bilinear(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """[h, w] or [h, w, C] -> [height, width(, C)], bilinear with half-pixel centres."""
    import cv2

    if array.shape[:2] == (height, width):
        return array
    if array.ndim == 3 and array.shape[2] > CV2_MAX_CHANNELS:
        return np.concatenate(
            [
                resize_bilinear(array[..., i : i + CV2_MAX_CHANNELS], height, width)
                for i in range(0, array.shape[2], CV2_MAX_CHANNELS)
            ],
            axis=-1,
        )
    resized = cv2.resize(array, (width, height), interpolation=cv2.INTER_LINEAR)
    return resized[..., np.newaxis] if array.ndim == 3 and resized.ndim == 2 else resized


def to_probabilities(scores: np.ndarray, contract: ModelContract) -> np.ndarray:
    """Softmax over the last axis when the model outputs logits; other outputs are returned as they are.

    Args:
        scores: the model's output, classes last.
        contract: the model's ModelContract (its output_kind).
    """
    if contract.output_kind != "logits":
        return scores
    shifted = scores - scores.max(axis=-1, keepdims=True)
    exp = np.exp(shifted, out=shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def _window_starts(length: int, window: int) -> list[int]:
    if length <= window:
        return [0]
    stride = math.ceil(window * 2 / 3)
    return sorted(set(list(range(0, length - window, stride)) + [length - window]))


def _scores_at_scale(runner, rgb: np.ndarray, scale: float) -> np.ndarray:
    """Raw scores for the whole photo at `scale`, resized back to the photo's size."""
    contract = runner.contract
    height, width = rgb.shape[:2]
    in_h, in_w = contract.input_height, contract.input_width
    if scale == 1.0:
        resized = resize_bilinear(rgb, in_h, in_w)
        return resize_bilinear(resizable_scores(runner.forward(resized), contract), height, width)
    scaled_h, scaled_w = max(1, round(in_h * scale)), max(1, round(in_w * scale))
    canvas_h, canvas_w = max(scaled_h, in_h), max(scaled_w, in_w)
    canvas = np.empty((canvas_h, canvas_w, 3), dtype=np.uint8)
    canvas[:] = np.clip(np.round(contract.mean), 0, 255).astype(np.uint8)
    canvas[:scaled_h, :scaled_w] = resize_bilinear(rgb, scaled_h, scaled_w)
    total = np.zeros((canvas_h, canvas_w, contract.num_classes), dtype=np.float32)
    count = np.zeros((canvas_h, canvas_w, 1), dtype=np.float32)
    for top in _window_starts(canvas_h, in_h):
        for left in _window_starts(canvas_w, in_w):
            window = canvas[top : top + in_h, left : left + in_w]
            total[top : top + in_h, left : left + in_w] += resizable_scores(runner.forward(window), contract)
            count[top : top + in_h, left : left + in_w] += 1.0
    scores = (total / count)[:scaled_h, :scaled_w]
    return resize_bilinear(scores, height, width)


def predict_probabilities(
    runner,
    rgb: np.ndarray,
    scales: Sequence[float] = (1.0,),
    flip: bool = False,
    refine: str = "none",
    crf: CRFConfig = CRFConfig(),
) -> np.ndarray:
    """RGB uint8 [H, W, 3] -> the model's class probabilities [H, W, C] at the photo's resolution.

    refine: 'none', or 'crf' for the dense CRF with the parameters in `crf`.
    """
    rgb = np.ascontiguousarray(rgb)
    total = None
    passes = 0
    for scale in scales:
        for flipped in (False, True) if flip else (False,):
            image = np.ascontiguousarray(rgb[:, ::-1]) if flipped else rgb
            probabilities = to_probabilities(_scores_at_scale(runner, image, float(scale)), runner.contract)
            if flipped:
                probabilities = probabilities[:, ::-1]
            total = probabilities if total is None else total + probabilities
            passes += 1
    return refined(rgb, total / passes if passes > 1 else total, refine, crf)

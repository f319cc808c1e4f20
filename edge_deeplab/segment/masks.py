"""Person masks across video frames: temporal smoothing and main-subject selection.

The reference for the Android demo's TemporalSmoother.java and MainSubject.java (the JVM parity test
runs the same frames through both and needs equal masks), and what `edge-deeplab predict --smooth
--main-subject` applies to photos given in frame order. Both work on a person alpha (probability) in
[0, 1], float32, at any resolution; the app runs them at the model's output size, where they are cheap.

Arithmetic is float32 step for step, in the order the Java code does it, so the two agree bit for bit.
"""

from __future__ import annotations

import numpy as np

from edge_deeplab.errors import EdgeDeeplabError

#: Damp small changes to a third per frame, follow changes of ~0.5 at once (the demo's defaults).
SMOOTH_BASE_GAIN = 0.35
SMOOTH_MOTION_GAIN = 1.5
#: A pixel is person when its alpha is at least this.
PERSON_THRESHOLD = 0.5


class TemporalSmoother:
    """A motion-adaptive moving average of the person alpha, against edge flicker between frames.

    ``s += k * (alpha - s)`` per pixel with ``k = min(1, base_gain + motion_gain * |alpha - s|)``: a
    small change (noise) is damped, a large one (the person moved) is followed at once, so a moving edge
    leaves no ghost. The first frame, a frame of another size, or one after `reset()` starts afresh.

    Args:
        base_gain: the gain for an unchanged pixel, in (0, 1].
        motion_gain: how fast the gain rises with the change, >= 0.
    """

    def __init__(self, base_gain: float = SMOOTH_BASE_GAIN, motion_gain: float = SMOOTH_MOTION_GAIN):
        if not (0.0 < base_gain <= 1.0) or not motion_gain >= 0.0:
            raise EdgeDeeplabError(
                f"temporal smoothing gains {base_gain:g}, {motion_gain:g}: base gain in (0, 1] and "
                f"motion gain >= 0, e.g. {SMOOTH_BASE_GAIN} and {SMOOTH_MOTION_GAIN}"
            )
        self.base_gain = np.float32(base_gain)
        self.motion_gain = np.float32(motion_gain)
        self._state = None

    def reset(self) -> None:
        """Forget the past frames: the next frame starts afresh (a new video, a cut)."""
        self._state = None

    def apply(self, alpha: np.ndarray) -> np.ndarray:
        """The smoothed alpha of this frame (float32, the frame's shape); `alpha` is not changed."""
        alpha = np.asarray(alpha, dtype=np.float32)
        if self._state is None or self._state.shape != alpha.shape:
            self._state = alpha.copy()
            return alpha.copy()
        delta = alpha - self._state
        gain = np.minimum(np.float32(1.0), self.base_gain + self.motion_gain * np.abs(delta))
        self._state = self._state + gain * delta
        return self._state.copy()


def main_subject(alpha: np.ndarray, threshold: float = PERSON_THRESHOLD) -> np.ndarray:
    """The alpha with every person region but the largest cleared (a passer-by behind the subject).

    Regions are 4-connected pixels with alpha >= `threshold`; the largest wins, a tie goes to the
    region met first in row-major order. The cleared regions' pixels become 0; pixels under the
    threshold (the soft edges) are kept as they are. An alpha with no person pixel is returned as is.
    """
    from scipy import ndimage

    alpha = np.asarray(alpha, dtype=np.float32)
    if alpha.ndim != 2:
        raise ValueError(f"main_subject takes a [H, W] alpha, not {list(alpha.shape)}")
    person = alpha >= np.float32(threshold)
    labels, count = ndimage.label(person)  # 4-connectivity: scipy's default structure in 2-D
    if count <= 1:
        return alpha.copy()
    flat = labels.ravel()
    sizes = np.bincount(flat, minlength=count + 1)[1:]
    # The first pixel of each region in row-major order breaks ties, whatever numbering scipy chose.
    region_ids, first = np.unique(flat, return_index=True)
    first_pixel = dict(zip(region_ids.tolist(), first.tolist()))
    best = min(range(1, count + 1), key=lambda r: (-sizes[r - 1], first_pixel[r]))
    out = alpha.copy()
    out[person & (labels != best)] = 0.0
    return out


def relabel(
    labels: np.ndarray, alpha: np.ndarray, person_class: int, background_class: int, threshold: float = PERSON_THRESHOLD
) -> np.ndarray:
    """A label map made to agree with a filtered person alpha: person where alpha >= threshold; a pixel
    that was person and no longer is becomes `background_class`; other classes are kept."""
    person = alpha >= np.float32(threshold)
    was_person = labels == person_class
    return np.where(person, person_class, np.where(was_person, background_class, labels)).astype(labels.dtype)

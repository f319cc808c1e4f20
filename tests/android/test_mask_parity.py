"""Parity: the Android demo's temporal smoothing and main-subject selection (TemporalSmoother.java,
MainSubject.java) give the same masks as edge_deeplab/segment/masks.py, bit for bit.

Python makes sequences of person alphas (moving people with soft edges, a passer-by, noise that
flickers at the edges, a cut to another scene), runs TemporalSmoother then main_subject on each frame,
and saves inputs and outputs; the Java MaskParityTest runs the same frames and compares every value.
"""

import numpy as np

from android_tools import run_java_cases
from edge_deeplab.segment.masks import (
    PERSON_THRESHOLD,
    SMOOTH_BASE_GAIN,
    SMOOTH_MOTION_GAIN,
    TemporalSmoother,
    main_subject,
)


def _blob(h, w, cy, cx, ry, rx):
    """A soft ellipse: 1 inside, falling to 0 over a few pixels (a model's alpha at a person's edge)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    distance = np.sqrt(((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2)
    return np.clip((1.3 - distance) / 0.6, 0.0, 1.0)


def _sequence(h, w, frames, seed, people):
    rng = np.random.default_rng(seed)
    out = []
    for f in range(frames):
        alpha = np.zeros((h, w), np.float32)
        for cy, cx, ry, rx, vy, vx in people:
            alpha = np.maximum(alpha, _blob(h, w, cy + vy * f, cx + vx * f, ry, rx))
        alpha = np.clip(alpha + rng.normal(0, 0.08, alpha.shape), 0, 1)  # edge flicker
        out.append(alpha.astype(np.float32))
    return out


def save_sequence(out_dir, name, frames, base_gain=SMOOTH_BASE_GAIN, motion_gain=SMOOTH_MOTION_GAIN):
    smoother = TemporalSmoother(base_gain, motion_gain)
    smoothed = [smoother.apply(frame) for frame in frames]
    selected = [main_subject(frame, PERSON_THRESHOLD) for frame in smoothed]
    files = {"alpha": f"{name}.alpha.f32", "smoothed": f"{name}.smoothed.f32", "main_subject": f"{name}.main.f32"}
    for key, planes in (("alpha", frames), ("smoothed", smoothed), ("main_subject", selected)):
        (out_dir / files[key]).write_bytes(b"".join(p.astype("<f4").tobytes() for p in planes))
    h, w = frames[0].shape
    cleared = int(sum(((s >= PERSON_THRESHOLD) & (m == 0)).sum() for s, m in zip(smoothed, selected)))
    changed = int(sum((np.abs(s - a) > 1e-6).sum() for s, a in zip(smoothed, frames)))
    return {
        "name": name,
        "width": w,
        "height": h,
        "base_gain": base_gain,
        "motion_gain": motion_gain,
        "threshold": PERSON_THRESHOLD,
        "python_cleared": cleared,
        "python_smoothed": changed,
        **files,
    }


def test_smoothing_and_main_subject_give_the_same_masks_in_java(junit_classpath, tmp_path):
    h, w = 48, 64
    subject_and_passer_by = _sequence(h, w, 8, 1, [(28, 20, 14, 9, 0, 1.5), (12, 54, 6, 4, 0.5, -1)])
    crowd = _sequence(
        h, w, 5, 2, [(24, 32, 10, 10, 0, 0), (10, 8, 4, 4, 0, 0), (40, 58, 5, 5, 0, 0), (8, 56, 3, 3, 0, 0)]
    )
    # A cut to another scene mid-sequence: the gain jumps to 1 where everything changed.
    cut = _sequence(h, w, 3, 3, [(24, 16, 12, 8, 0, 0)]) + _sequence(h, w, 3, 4, [(24, 48, 12, 8, 0, 0)])
    twins = [np.pad(np.ones((4, 4), np.float32), ((2, 2), (2, 10)))]  # one region, then a tie of two
    twins.append(np.pad(np.ones((4, 4), np.float32), ((2, 2), (10, 2))) + twins[0])
    cases = [
        save_sequence(tmp_path, "subject-and-passer-by", subject_and_passer_by),
        save_sequence(tmp_path, "crowd", crowd),
        save_sequence(tmp_path, "scene-cut", cut),
        save_sequence(tmp_path, "tie", twins, base_gain=1.0, motion_gain=0.0),
        save_sequence(tmp_path, "slow-gains", subject_and_passer_by, base_gain=0.1, motion_gain=0.5),
    ]
    # Both operations change something, so equal outputs mean something.
    for case in cases[:3]:
        assert case["python_cleared"] > 0 and case["python_smoothed"] > 0, case
    print(run_java_cases(junit_classpath, "MaskParityTest", "edgedeeplab.masks.dir", tmp_path, cases, "masks", "masks"))

"""Helpers that craft small datasets on disk (imported by tests/data; a unique module name on purpose)."""

from pathlib import Path

import numpy as np
from PIL import Image


def voc_palette() -> list:
    """PASCAL VOC's colour map (bit-interleaved class ids), as its SegmentationClass PNGs carry it."""
    palette = []
    for label in range(256):
        r = g = b = 0
        c = label
        for shift in range(7, -1, -1):
            r |= (c & 1) << shift
            g |= ((c >> 1) & 1) << shift
            b |= ((c >> 2) & 1) << shift
            c >>= 3
        palette += [r, g, b]
    return palette


def scene(seed: int, height: int = 40, width: int = 30, labels=(0, 1)):
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    mask = np.full((height, width), labels[0], np.uint8)
    mask[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4] = labels[1]
    return image, mask


def write_image(path: Path, rgb: np.ndarray):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(path)


def write_palette_mask(path: Path, mask: np.ndarray):
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.frombytes("P", (mask.shape[1], mask.shape[0]), np.ascontiguousarray(mask).tobytes())
    image.putpalette(voc_palette())
    image.save(path)


def write_gray_mask(path: Path, mask: np.ndarray):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(mask).save(path)  # uint8 2-D -> mode L

"""The embedded default dataset: synthetic portrait scenes, no download needed.

Each scene is one or two person-like figures (head, hair, neck, shoulders and torso, sometimes
arms; varied pose, scale, position, skin and clothing colours, textured clothes, shading) over a
textured background (gradients, stripes, checks, smooth noise) with distractor shapes, some
skin-coloured and some in front of the person. Masks: 0 = background, 1 = person. Edges are
blended softly and noise is added, so a model must learn shape and context, not a colour key.

Deterministic: scene k of a split depends only on (seed, split, k), through NumPy's
SeedSequence, never on how many scenes are asked for. Splits draw from disjoint streams.

- synthetic_dataset(num_images, size, seed, split): an in-memory Dataset.
- write_synthetic(root, n_train, n_val, size, seed): the same scenes as an images/ + masks/
  folder (PNG, lossless: reading it back gives the same arrays) with train.txt, val.txt and
  labels.json, which open_dataset reads like any user dataset.
- open_dataset("synthetic", split) gives DEFAULT_SPLITS at DEFAULT_SIZE px with DEFAULT_SEED.
"""

from __future__ import annotations

import dataclasses
import json
import zlib
from pathlib import Path
from typing import Union

import cv2
import numpy as np

from edge_deeplab.data.dataset import ArrayDataset
from edge_deeplab.data.labels import PERSON_CLASSES
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.io import staged_folder

DEFAULT_SIZE = 257
DEFAULT_SEED = 0
DEFAULT_SPLITS = {"train": 256, "val": 64}

SKIN_TONES = np.array(
    [[255, 224, 196], [241, 194, 158], [224, 172, 135], [198, 134, 96], [160, 105, 70], [120, 78, 50], [90, 56, 38]],
    np.float32,
)
HAIR_COLOURS = np.array(
    [[20, 16, 14], [55, 38, 26], [100, 70, 40], [180, 140, 80], [140, 60, 30], [200, 200, 195], [40, 40, 40]],
    np.float32,
)


def synthetic_dataset(
    num_images: int, size: Union[int, tuple] = DEFAULT_SIZE, seed: int = DEFAULT_SEED, split: str = "train"
) -> ArrayDataset:
    """`num_images` scenes of `size` (an int for square, or (height, width)) as a Dataset; the same `seed`
    and `split` give the same scenes."""
    height, width = _size(size)
    if num_images < 1:
        raise EdgeDeeplabError(f"synthetic dataset: num_images must be at least 1, got {num_images}")
    scenes = [render_scene(_rng(seed, split, k), height, width) for k in range(num_images)]
    return ArrayDataset(
        f"synthetic {split}",
        PERSON_CLASSES,
        [f"{split}_{k:05d}" for k in range(num_images)],
        [s[0] for s in scenes],
        [s[1] for s in scenes],
    )


def default_synthetic_dataset(split: str) -> ArrayDataset:
    """The embedded synthetic scenes `--data synthetic` reads: DEFAULT_SPLITS images of DEFAULT_SIZE, seed
    DEFAULT_SEED.

    Args:
        split: "train" or "val".
    """
    if split not in DEFAULT_SPLITS:
        raise EdgeDeeplabError(f"synthetic: no split '{split}'; choose one of {', '.join(DEFAULT_SPLITS)}")
    return synthetic_dataset(DEFAULT_SPLITS[split], DEFAULT_SIZE, DEFAULT_SEED, split)


def write_synthetic(
    root,
    n_train: int = DEFAULT_SPLITS["train"],
    n_val: int = DEFAULT_SPLITS["val"],
    size: Union[int, tuple] = DEFAULT_SIZE,
    seed: int = DEFAULT_SEED,
) -> Path:
    """Write the scenes as an images/ + masks/ dataset folder; `root` must not exist yet (or be empty).

    Written into a temporary folder beside `root` and renamed, so `root` is complete or absent.

    Args:
        root: the dataset folder to write.
        n_train, n_val: scenes in the train and val splits.
        size: an int for square scenes, or (height, width).
        seed: the same seed writes the same scenes.
    """
    from PIL import Image

    root = Path(root)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise EdgeDeeplabError(f"{root}: already exists and is not empty; choose a new folder or delete it")
    with staged_folder(root) as staging:
        (staging / "images").mkdir()
        (staging / "masks").mkdir()
        for split, count in (("train", n_train), ("val", n_val)):
            dataset = synthetic_dataset(count, size, seed, split)
            for sample in dataset:
                Image.fromarray(sample.image).save(staging / "images" / f"{sample.id}.png")
                Image.fromarray(sample.mask).save(staging / "masks" / f"{sample.id}.png")
            (staging / f"{split}.txt").write_text("".join(f"{i}\n" for i in dataset.ids))
        (staging / "labels.json").write_text(json.dumps({"classes": list(PERSON_CLASSES)}) + "\n")
        (staging / "README.md").write_text(
            f"# Synthetic portrait scenes (edge-deeplab)\n\nwrite_synthetic(n_train={n_train}, n_val={n_val}, "
            f"size={_size(size)}, seed={seed}). masks/*.png: 0 = background, 1 = person.\n"
        )
    return root


def _size(size) -> tuple[int, int]:
    height, width = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    if min(height, width) < 32:
        raise EdgeDeeplabError(f"synthetic dataset: size {height}x{width} is too small; use at least 32 px")
    return int(height), int(width)


def _rng(seed: int, split: str, index: int) -> np.random.Generator:
    # crc32, not hash(): Python salts str hashes per process.
    return np.random.default_rng(np.random.SeedSequence([int(seed), zlib.crc32(split.encode()), int(index)]))


def render_scene(rng: np.random.Generator, height: int, width: int):
    """One scene: (RGB uint8 H x W x 3, mask uint8 H x W with 0 = background, 1 = person)."""
    image = _background(rng, height, width)
    for _ in range(rng.integers(2, 7)):
        _distractor(rng, image, None)
    mask = np.zeros((height, width), np.uint8)
    people = 0 if rng.random() < 0.05 else (2 if rng.random() < 0.2 else 1)
    for _ in range(people):
        _person(rng, image, mask)
    # An object in front of the person now and then: what covers the person is background.
    if people and rng.random() < 0.25:
        _distractor(rng, image, mask)
    image = _camera(rng, image)
    return image, mask


def _background(rng, height, width) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = rng.uniform(30, 230, 3).astype(np.float32)
    other = rng.uniform(30, 230, 3).astype(np.float32)
    kind = rng.integers(4)
    if kind == 0:  # linear gradient
        angle = rng.uniform(0, np.pi)
        t = (x * np.cos(angle) + y * np.sin(angle)) / (height + width)
        t = (t - t.min()) / max(np.ptp(t), 1e-6)
    elif kind == 1:  # stripes
        angle, period = rng.uniform(0, np.pi), rng.uniform(6, 40)
        t = 0.5 + 0.5 * np.sin(2 * np.pi * (x * np.cos(angle) + y * np.sin(angle)) / period)
    elif kind == 2:  # checks
        cell = rng.uniform(8, 48)
        t = ((x // cell + y // cell) % 2).astype(np.float32)
    else:  # smooth noise (clouds, foliage)
        t = _smooth_noise(rng, height, width, rng.uniform(4, 24))
    image = base * (1 - t[..., None]) + other * t[..., None]
    grain = float(rng.normal(0, rng.uniform(2, 12)))
    return (image + grain * _smooth_noise(rng, height, width, 3)[..., None]).astype(np.float32)


def _smooth_noise(rng, height, width, blur) -> np.ndarray:
    noise = cv2.GaussianBlur(rng.random((height, width)).astype(np.float32), (0, 0), blur)
    return (noise - noise.min()) / max(np.ptp(noise), 1e-6)


def _distractor(rng, image, mask):
    """A shape over the scene; skin-coloured ellipses and clothing-like blocks are the hard negatives."""
    height, width = image.shape[:2]
    shape = np.zeros((height, width), np.uint8)
    centre = (int(rng.uniform(0, width)), int(rng.uniform(0, height)))
    extent = max(height, width)
    kind = rng.integers(3)
    if kind == 0:
        axes = (int(rng.uniform(0.03, 0.2) * extent), int(rng.uniform(0.03, 0.2) * extent))
        cv2.ellipse(shape, centre, axes, rng.uniform(0, 180), 0, 360, 1, -1)
    elif kind == 1:
        half = rng.uniform(0.03, 0.25, 2) * extent
        box = cv2.boxPoints((centre, (float(2 * half[0]), float(2 * half[1])), rng.uniform(0, 90)))
        cv2.fillPoly(shape, [np.round(box).astype(np.int32)], 1)
    else:
        points = np.array(centre) + rng.normal(0, 0.12 * extent, (rng.integers(3, 7), 2))
        cv2.fillPoly(shape, [np.round(points).astype(np.int32)], 1)
    colour = _skin(rng) if rng.random() < 0.3 else rng.uniform(0, 255, 3)
    _paint(image, shape, colour, _texture(rng, height, width))
    if mask is not None:
        mask[shape > 0] = 0


@dataclasses.dataclass(frozen=True)
class _Figure:
    """Where a figure stands: its unit (the head's half-height, px), the head's centre and the tilt about it."""

    head: float
    cx: float
    cy: float
    tilt: float  # radians

    @property
    def angle(self) -> float:
        """The tilt in degrees, as cv2.ellipse takes it."""
        return float(np.rad2deg(self.tilt))

    def at(self, dx, dy):
        """A point of the figure in units of `head`, tilted about the head's centre."""
        x, y = dx * self.head, dy * self.head
        return (
            self.cx + x * np.cos(self.tilt) - y * np.sin(self.tilt),
            self.cy + x * np.sin(self.tilt) + y * np.cos(self.tilt),
        )

    def poly(self, points):
        """The polygon through `points` (figure units), as cv2.fillPoly takes it."""
        return [np.round(np.array([self.at(*p) for p in points])).astype(np.int32)]


def _person(rng, image, mask):
    """A person-like figure painted into `image` and marked 1 in `mask`: head, neck, shoulders and torso, often
    hair, sometimes arms. The draws from `rng` keep their order, so every scene stays what it was."""
    height, width = image.shape[:2]
    head = rng.uniform(0.07, 0.16) * height  # head half-height, the figure's unit
    cx, cy = rng.uniform(0.15, 0.85) * width, rng.uniform(0.12, 0.5) * height
    figure = _Figure(head, cx, cy, tilt=np.deg2rad(rng.normal(0, 8)))
    lean = rng.normal(0, 0.15)  # the torso sways sideways

    skin, clothes = np.zeros_like(mask), np.zeros_like(mask)
    hair = np.zeros_like(mask)
    head_width = rng.uniform(0.72, 0.88)
    cv2.ellipse(skin, _int(figure.at(0, 0)), _int((head_width * head, head)), figure.angle, 0, 360, 1, -1)
    cv2.fillPoly(skin, figure.poly([(-0.35, 0.6), (0.35, 0.6), (0.4 + lean, 1.5), (-0.4 + lean, 1.5)]), 1)  # neck
    shoulders, top, bottom = _torso(rng, figure, lean, clothes, height)
    if rng.random() < 0.5:  # arms down the sides, in sleeves or bare
        arms = skin if rng.random() < 0.4 else clothes
        for side in (-1, 1):
            x = side * (shoulders + 0.05) + lean
            cv2.fillPoly(
                arms,
                figure.poly(
                    [
                        (x - 0.3, top + 0.4),
                        (x + 0.3, top + 0.4),
                        (x + 0.3 + side * 0.3, bottom),
                        (x - 0.3 + side * 0.3, bottom),
                    ]
                ),
                1,
            )
    if rng.random() < 0.85:
        _hair(rng, figure, head_width, hair, skin)
    _paint_figure(rng, image, mask, skin, clothes, hair)


def _torso(rng, figure: _Figure, lean: float, clothes, height: int) -> tuple[float, float, float]:
    """Shoulders and torso, in clothes, running out of the bottom of the picture; (shoulder half-width, shoulder
    line, bottom) in figure units, where the arms hang."""
    shoulders = rng.uniform(1.5, 2.6)
    top, bottom = rng.uniform(1.35, 1.6), (1.2 * height - figure.cy) / figure.head + 1
    flare = rng.uniform(-0.3, 0.4)
    cv2.fillPoly(
        clothes,
        figure.poly(
            [
                (-shoulders + lean, top + 0.35),
                (-0.5 + lean, top),
                (0.5 + lean, top),
                (shoulders + lean, top + 0.35),
                (shoulders + flare + 2 * lean, bottom),
                (-shoulders - flare + 2 * lean, bottom),
            ]
        ),
        1,
    )
    for side in (-1, 1):  # rounded shoulders
        cv2.ellipse(
            clothes,
            _int(figure.at(side * (shoulders - 0.45) + lean, top + 0.5)),
            _int((0.55 * figure.head, 0.5 * figure.head)),
            figure.angle,
            0,
            360,
            1,
            -1,
        )
    return shoulders, top, bottom


def _hair(rng, figure: _Figure, head_width: float, hair, skin) -> None:
    """A cap over the top of the head, sometimes long hair down to the shoulders (behind the face)."""
    head = figure.head
    cv2.ellipse(
        hair, _int(figure.at(0, -0.25)), _int((head_width * head * 1.08, head * 0.85)), figure.angle, 180, 360, 1, -1
    )
    if rng.random() < 0.4:
        cv2.fillPoly(
            hair,
            figure.poly(
                [
                    (-head_width * 1.05, -0.3),
                    (head_width * 1.05, -0.3),
                    (head_width * 1.1, rng.uniform(0.8, 2.2)),
                    (-head_width * 1.1, rng.uniform(0.8, 2.2)),
                ]
            ),
            1,
        )
        hair[skin > 0] = 0  # long hair falls behind the face, not over it


def _paint_figure(rng, image, mask, skin, clothes, hair) -> None:
    """Colour the figure's regions under one light (textured clothes, a skin tone, a hair colour) and mark them
    person in `mask`."""
    height, width = image.shape[:2]
    shading = _shading(rng, height, width)
    texture = _texture(rng, height, width)
    _paint(image, clothes, rng.uniform(0, 255, 3), texture * shading)
    _paint(image, skin, _skin(rng), shading)
    _paint(image, hair, HAIR_COLOURS[rng.integers(len(HAIR_COLOURS))] + rng.normal(0, 8, 3), shading)
    mask[(skin | clothes | hair) > 0] = 1


def _int(point):
    return tuple(int(round(v)) for v in point)


def _skin(rng) -> np.ndarray:
    return SKIN_TONES[rng.integers(len(SKIN_TONES))] * rng.uniform(0.9, 1.1) + rng.normal(0, 6, 3)


def _texture(rng, height, width) -> np.ndarray:
    """A multiplicative pattern: plain, stripes or noise, as on fabric."""
    kind = rng.integers(3)
    if kind == 0:
        return np.ones((height, width), np.float32)
    if kind == 1:
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        angle, period = rng.uniform(0, np.pi), rng.uniform(4, 20)
        return 0.8 + 0.4 * (np.sin(2 * np.pi * (x * np.cos(angle) + y * np.sin(angle)) / period) > 0)
    return 0.75 + 0.5 * _smooth_noise(rng, height, width, rng.uniform(1, 4))


def _shading(rng, height, width) -> np.ndarray:
    """Light from one side: a gentle gradient across the figure."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    t = (x * np.cos(angle) + y * np.sin(angle)) / max(height, width)
    return 1 + rng.uniform(0.05, 0.3) * (t - t.mean())


def _paint(image, region, colour, pattern):
    """Blend `colour` x `pattern` into `image` where `region`, with a soft (anti-aliased) edge."""
    if not region.any():
        return
    alpha = cv2.GaussianBlur(region.astype(np.float32), (0, 0), 0.8)[..., None]
    layer = np.asarray(colour, np.float32) * np.asarray(pattern, np.float32)[..., None]
    image *= 1 - alpha
    image += alpha * layer


def _camera(rng, image) -> np.ndarray:
    """Exposure, contrast, sensor noise and a little blur, then 8-bit pixels."""
    image = (image - 128) * rng.uniform(0.8, 1.2) + 128 + rng.uniform(-20, 20)
    if rng.random() < 0.3:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.5, 1.2))
    image = image + rng.normal(0, rng.uniform(1, 6), image.shape)
    return np.clip(np.round(image), 0, 255).astype(np.uint8)

"""Small datasets crafted on disk: a PASCAL VOC folder (palette masks) and an images/ + masks/ pair."""

from pathlib import Path

import pytest

from data_crafting import scene, write_gray_mask, write_image, write_palette_mask


@pytest.fixture
def voc_root(tmp_path) -> Path:
    """VOCdevkit/VOC2012 with 3 train and 2 val images; person (15) on a boundary of 255, as in VOC."""
    root = tmp_path / "VOCdevkit" / "VOC2012"
    ids = {"train": ["2007_000001", "2007_000002", "2007_000003"], "val": ["2008_000001", "2008_000002"]}
    for n, image_id in enumerate(ids["train"] + ids["val"]):
        image, mask = scene(n, labels=(0, 15 if n % 2 == 0 else 12))
        mask[9, :] = 255  # an ignore boundary
        write_image(root / "JPEGImages" / f"{image_id}.jpg", image)
        write_palette_mask(root / "SegmentationClass" / f"{image_id}.png", mask)
    for split, names in ids.items():
        (root / "ImageSets" / "Segmentation").mkdir(parents=True, exist_ok=True)
        (root / "ImageSets" / "Segmentation" / f"{split}.txt").write_text("\n".join(names) + "\n")
    return tmp_path


@pytest.fixture
def folder_root(tmp_path) -> Path:
    """images/ + masks/ with train.txt (4 ids) and val.txt (2 ids), masks 0/1, PNG images (exact pixels)."""
    root = tmp_path / "people"
    for n in range(6):
        image, mask = scene(100 + n, height=36 + n, width=28)
        write_image(root / "images" / f"{n:04d}.png", image)
        write_gray_mask(root / "masks" / f"{n:04d}.png", mask)
    (root / "train.txt").write_text("0000\n0001\n0002\n0003\n")
    (root / "val.txt").write_text("0004\n0005\n")
    return root

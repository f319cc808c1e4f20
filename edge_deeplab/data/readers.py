"""open_dataset: the reader for every dataset layout, with its checks at load time.

Layouts, detected from the folder:
- PASCAL VOC: JPEGImages/ID.jpg, SegmentationClass/ID.png (palette PNGs; their palette
  indices are the class ids, 255 = ignore), ImageSets/Segmentation/SPLIT.txt. The root may
  also be VOCdevkit/ or VOCdevkit/VOC2012/'s parent. SegmentationClassAug/ (grayscale, from
  SBD) is used where SegmentationClass/ is missing. Classes: the 21 VOC classes.
- Folder pair: images/ID.{jpg,jpeg,png,bmp,webp}, masks/ID.png, SPLIT.txt at the root
  (one id per line; "all" lists every image when there are no split files). Classes
  background/person (../shared/data/ccp-person: 0 = background, 1 = person).
- "synthetic": the embedded default (edge_deeplab.data.synthetic), no folder needed; a real
  folder of that name is opened with "./synthetic".
The labels config (labels_config=, else the folder's labels.json) gives class names and a
mapping of stored values (see edge_deeplab.data.labels).

Checks, each a one-line EdgeDeeplabError naming the file and the fix: missing folder, split
or split file; empty split; a dataset without masks; and per sample a missing image or mask,
an unreadable image or mask, an image/mask size mismatch, a label outside the class set
(255 excepted). With on_error="skip" a sample's problem is a warning on the console (progress.warn),
the sample dropped and counted (a warning with the count; `dataset.skipped` lists them). verify=False checks only
that the files exist (for very large sets); problems then surface when a sample is read.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional

from edge_deeplab.data.dataset import Dataset, FileDataset, read_image_file, read_mask_file
from edge_deeplab.data.labels import (
    LABELS_FILE,
    PERSON_CLASSES,
    VOC_CLASSES,
    LabelConfig,
    default_labels,
    load_labels_config,
)
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.progress import warn


IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
SYNTHETIC = "synthetic"
ALL_SPLIT = "all"


def open_dataset(
    root, split: str = "train", *, labels_config=None, on_error: str = "raise", verify: bool = True
) -> Dataset:
    """Open one split of a dataset folder (PASCAL VOC or images/ + masks/), or "synthetic".

    Args:
        root: the dataset folder, or "synthetic" (the embedded default).
        split: the split to read (train.txt, val.txt, ...).
        labels_config: how stored mask values map onto classes (edge_deeplab.data.labels), or None.
        on_error: 'raise' or 'skip' (with a warning) for an unreadable or inconsistent sample.
        verify: read every sample once now to check it (else only that its files exist).

    Returns:
        The Dataset; a one-line EdgeDeeplabError for a missing folder or an unknown layout.
    """
    if on_error not in ("raise", "skip"):
        raise EdgeDeeplabError(f"on_error={on_error!r}: choose 'raise' or 'skip'")
    if str(root) == SYNTHETIC:
        from edge_deeplab.data.synthetic import default_synthetic_dataset

        return default_synthetic_dataset(split)
    root = Path(root)
    if not root.is_dir():
        raise EdgeDeeplabError(
            f"{root}: dataset folder not found; pass a PASCAL VOC folder (JPEGImages/, "
            f"SegmentationClass/), an images/ + masks/ folder, or '{SYNTHETIC}'"
        )
    voc = _find_voc(root)
    if voc is not None:
        return _open_voc(voc, split, labels_config, on_error, verify)
    if (root / "images").is_dir():
        return _open_folder(root, split, labels_config, on_error, verify)
    raise EdgeDeeplabError(
        f"{root}: no dataset layout found; expected images/ and masks/ (plus train.txt, "
        f"val.txt) or PASCAL VOC's JPEGImages/ and SegmentationClass/"
    )


def _find_voc(root: Path) -> Optional[Path]:
    for candidate in (root, root / "VOC2012", root / "VOCdevkit" / "VOC2012"):
        if (candidate / "JPEGImages").is_dir():
            return candidate
    return None


def _open_voc(root: Path, split: str, labels_config, on_error, verify) -> Dataset:
    mask_dir = next((root / d for d in ("SegmentationClass", "SegmentationClassAug") if (root / d).is_dir()), None)
    if mask_dir is None or not any(mask_dir.iterdir()):
        raise EdgeDeeplabError(
            f"{root}: has no masks (SegmentationClass/ is missing or empty); segmentation "
            f"needs the VOC segmentation masks"
        )
    split_dir = root / "ImageSets" / "Segmentation"
    ids = _read_split(split_dir / f"{split}.txt", split, split_dir, every_image_split=False)
    labels = load_labels_config(labels_config) or default_labels(VOC_CLASSES)
    images = [root / "JPEGImages" / f"{i}.jpg" for i in ids]
    masks = [mask_dir / f"{i}.png" for i in ids]
    return _checked(f"{root.name} {split}", root, ids, images, masks, labels, on_error, verify)


def _open_folder(root: Path, split: str, labels_config, on_error, verify) -> Dataset:
    mask_dir = root / "masks"
    if not mask_dir.is_dir() or not any(mask_dir.iterdir()):
        raise EdgeDeeplabError(
            f"{root}: has no masks (masks/ is missing or empty); add masks/ID.png for each images/ID.jpg"
        )
    if split == ALL_SPLIT and not (root / f"{ALL_SPLIT}.txt").is_file():
        ids = sorted(p.stem for p in (root / "images").iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
        if not ids:
            raise EdgeDeeplabError(f"{root / 'images'}: holds no images ({', '.join(IMAGE_EXTENSIONS)})")
    else:
        ids = _read_split(root / f"{split}.txt", split, root)
    labels = load_labels_config(labels_config)
    if labels is None and (root / LABELS_FILE).is_file():
        labels = load_labels_config(root / LABELS_FILE)
    labels = labels or default_labels(PERSON_CLASSES)
    images = [_image_path(root / "images", i) for i in ids]
    masks = [mask_dir / f"{Path(i).stem}.png" for i in ids]
    return _checked(f"{root.name} {split}", root, [Path(i).stem for i in ids], images, masks, labels, on_error, verify)


def _image_path(folder: Path, image_id: str) -> Path:
    """images/ID.jpg (or another image extension); an id may carry its extension already."""
    if Path(image_id).suffix.lower() in IMAGE_EXTENSIONS:
        return folder / image_id
    for extension in IMAGE_EXTENSIONS:
        candidate = folder / f"{image_id}{extension}"
        if candidate.is_file():
            return candidate
    return folder / f"{image_id}.jpg"  # missing: reported by the checks, under the usual name


def _read_split(path: Path, split: str, split_dir: Path, every_image_split: bool = True) -> list[str]:
    """every_image_split: the layout can read every image without a split file (images/ + masks/, not VOC)."""
    if not path.is_file():
        available = sorted(p.stem for p in split_dir.glob("*.txt")) if split_dir.is_dir() else []
        # Only `evaluate` takes a split; `train` reads train.txt and val.txt (or --val-data).
        hint = f"add {path.name} listing one image id per line"
        if available:
            hint = f"the split files there are {', '.join(available)}; {hint}"
        if every_image_split:
            hint += f" (`edge-deeplab evaluate --split {ALL_SPLIT}` reads every image without one)"
        raise EdgeDeeplabError(f"{path}: split file for split '{split}' not found; {hint}")
    ids = [line.strip() for line in path.read_text().splitlines()]
    # VOC's per-class lists carry a second column (-1/1); the id is the first word.
    ids = [line.split()[0] for line in ids if line and not line.startswith("#")]
    if not ids:
        raise EdgeDeeplabError(f"{path}: split '{split}' is empty; list one image id per line")
    return ids


def _checked(name, root, ids, images, masks, labels: LabelConfig, on_error, verify) -> FileDataset:
    missing_masks = sum(not m.is_file() for m in masks)
    if missing_masks == len(masks):
        raise EdgeDeeplabError(
            f"{root}: none of the {len(masks)} images of '{name}' has a mask (expected e.g. "
            f"{masks[0]}); evaluation and training need masks"
        )
    check = _check_sample if verify else _check_exists
    workers = min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(workers) as pool:
        # Decoding runs in threads (PIL releases the GIL); results come back in order, so the
        # first problem reported is the same on every run.
        results = list(pool.map(lambda k: check(images[k], masks[k], labels), range(len(ids))))
    keep, skipped, plain = [], [], True
    for index, (problem, mask_mode) in enumerate(results):
        if problem is None:
            keep.append(index)
            plain = plain and mask_mode == "L"
            continue
        if on_error == "raise":
            raise EdgeDeeplabError(problem)
        warn(f"skipped {ids[index]}: {problem}")
        skipped.append((ids[index], problem))
    if skipped:
        warn(f"{name}: skipped {len(skipped)} of {len(ids)} samples with problems (first: {skipped[0][1]})")
    if not keep:
        raise EdgeDeeplabError(f"{root}: every sample of '{name}' has a problem (first: {skipped[0][1]})")
    plain = verify and plain and labels.is_identity and all(masks[k].suffix.lower() == ".png" for k in keep)
    return FileDataset(
        name,
        root,
        [ids[k] for k in keep],
        [images[k] for k in keep],
        [masks[k] for k in keep],
        labels,
        skipped,
        masks_plain=plain,
    )


def _check_exists(image: Path, mask: Path, labels: LabelConfig):
    if not image.is_file():
        return f"{image}: image not found; add it or remove its id from the split file", None
    if not mask.is_file():
        return f"{mask}: mask not found for {image.name}; add it or remove the id from the split file", None
    return None, None


def _check_sample(image: Path, mask: Path, labels: LabelConfig):
    """(problem or None, the mask's PIL mode)."""
    from PIL import Image

    problem, _ = _check_exists(image, mask, labels)
    if problem:
        return problem, None
    try:
        rgb = read_image_file(image)
        values = labels.apply(read_mask_file(mask))
        with Image.open(mask) as opened:
            mode = opened.mode
    except EdgeDeeplabError as error:
        return str(error), None
    if values.shape != rgb.shape[:2]:
        return (
            f"{mask}: mask is {values.shape[1]}x{values.shape[0]} but its image {image.name} is "
            f"{rgb.shape[1]}x{rgb.shape[0]}; masks must match their images pixel for pixel"
        ), None
    unknown = labels.unknown_labels(values)
    if unknown:
        shown = ", ".join(map(str, unknown[:5])) + (", ..." if len(unknown) > 5 else "")
        return (
            f"{mask}: holds label {shown} outside the {len(labels.classes)} classes "
            f"({', '.join(labels.classes)}; 255 = ignore); fix the mask or map the label in a labels config"
        ), None
    return None, mode

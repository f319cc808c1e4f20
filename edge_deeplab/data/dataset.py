"""The one dataset interface every stage reads: samples of (id, RGB image, class-id mask).

A Dataset is a sequence: `len(d)`, `d[i]`, `for sample in d`. A Sample has
- id: the image's name in its split file,
- image: RGB uint8, H x W x 3, pixels as stored (EXIF orientation is NOT applied, as in
  TensorFlow's decoders and in the masks' annotation tools),
- mask: uint8 H x W of class indices, 255 = ignore, after the labels config's mapping.
`class_names` is a tuple, index = class id. A FileDataset also has `image_paths` and
`mask_paths` (lists of str, same order) for tf.data; an ArrayDataset (the synthetic default)
holds its arrays in memory and has None there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import numpy as np

from edge_deeplab.data.labels import LabelConfig
from edge_deeplab.errors import EdgeDeeplabError


@dataclasses.dataclass(frozen=True)
class Sample:
    """One item of a Dataset (the module docstring says what each holds).

    Args:
        id: the image's name in its split file.
        image: RGB uint8, H x W x 3.
        mask: uint8 H x W class ids, 255 = ignore, after the labels config's mapping.
    """

    id: str
    image: np.ndarray
    mask: np.ndarray


class Dataset(Sequence):
    """Samples of one split; subclasses say how an image and a mask are read.

    Args:
        name: what messages call the dataset (its folder, or 'synthetic').
        class_names: the classes its masks' label ids stand for, in order.
        ids: one id per sample (file stem), in the split's order.
        skipped: (id, reason) of every sample dropped at load time with on_error="skip".
    """

    image_paths: Optional[list] = None
    mask_paths: Optional[list] = None

    def __init__(self, name: str, class_names, ids, skipped=()):
        self.name = name
        self.class_names = tuple(class_names)
        self.ids = list(ids)
        #: (id, reason) of every sample dropped at load time with on_error="skip".
        self.skipped = tuple(skipped)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> Sample:
        if not isinstance(index, (int, np.integer)):
            raise TypeError(f"dataset indices are integers, not {type(index).__name__}")
        if not -len(self) <= index < len(self):
            raise IndexError(f"sample {index} of a dataset of {len(self)}")
        index = int(index) % len(self)
        return Sample(self.ids[index], self.read_image(index), self.read_mask(index))

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    @property
    def num_classes(self) -> int:
        """The number of classes (class_names)."""
        return len(self.class_names)

    def read_image(self, index: int) -> np.ndarray:
        """The RGB uint8 image of sample `index`, H x W x 3.

        Args:
            index: the sample's position in the split.
        """
        raise NotImplementedError

    def read_mask(self, index: int) -> np.ndarray:
        """The uint8 class-id mask of sample `index`, H x W, 255 = ignore, after the labels config's mapping.

        Args:
            index: the sample's position in the split.
        """
        raise NotImplementedError

    def __repr__(self):
        return f"<{type(self).__name__} {self.name!r}: {len(self)} samples, classes {', '.join(self.class_names)}>"


class FileDataset(Dataset):
    """Images and masks on disk, read on access; masks mapped by the labels config.

    Args:
        name, ids, skipped: as Dataset's.
        root: the dataset folder.
        image_paths, mask_paths: one file each per id.
        labels: the LabelConfig mapping the stored mask values onto the classes.
        masks_plain: every mask was checked to hold class ids as they are (see the attribute).
    """

    def __init__(
        self, name, root, ids, image_paths, mask_paths, labels: LabelConfig, skipped=(), masks_plain: bool = False
    ):
        super().__init__(name, labels.classes, ids, skipped)
        self.root = Path(root)
        self.image_paths = [str(p) for p in image_paths]
        self.mask_paths = [str(p) for p in mask_paths]
        self.labels = labels
        #: True when every mask was checked to be an 8-bit grayscale PNG holding class ids as
        #: they are (no mapping): TensorFlow's PNG decoder then reads them exactly. Palette
        #: masks are not: TensorFlow expands a palette to colours, so they go through PIL.
        self.masks_plain = masks_plain

    def read_image(self, index: int) -> np.ndarray:
        return read_image_file(self.image_paths[index])

    def read_mask(self, index: int) -> np.ndarray:
        return self.labels.apply(read_mask_file(self.mask_paths[index]))


class ArrayDataset(Dataset):
    """Samples held in memory (the synthetic default, or a user's own arrays).

    Args:
        name, class_names, ids: as Dataset's.
        images: RGB uint8 arrays [H, W, 3], one per id.
        masks: label id arrays [H, W], one per id.
    """

    def __init__(self, name, class_names, ids, images, masks):
        super().__init__(name, class_names, ids)
        if not len(images) == len(masks) == len(self.ids):
            raise ValueError("ids, images and masks must have the same length")
        self.images = list(images)
        self.masks = list(masks)

    def read_image(self, index: int) -> np.ndarray:
        return self.images[index]

    def read_mask(self, index: int) -> np.ndarray:
        return self.masks[index]


def read_image_file(path, fix: str = "remove its id from the split file") -> np.ndarray:
    """RGB uint8 H x W x 3; a missing, unreadable or truncated file is a one-line error ending in `fix`
    (a dataset's image is left out of its split file; a photo given to `predict` is replaced).

    PIL, not OpenCV: OpenCV returns a grey-filled picture for a truncated JPEG where PIL
    fails, and its JPEG decoding equals TensorFlow's with dct_method="INTEGER_ACCURATE".
    """
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.load()
            return np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
    except FileNotFoundError:
        raise EdgeDeeplabError(f"{path}: image not found; add it or {fix}") from None
    except (OSError, ValueError, SyntaxError) as error:  # PIL's UnidentifiedImageError is an OSError
        raise EdgeDeeplabError(f"{path}: unreadable image ({_short(error)}); replace the file or {fix}") from None


def read_mask_file(path) -> np.ndarray:
    """The stored class ids of a mask image, uint8 H x W.

    A palette PNG (PASCAL VOC) gives its palette indices, not its colours; a grayscale
    PNG its values. Colour masks are refused: their colours are not class ids.
    """
    from PIL import Image

    try:
        with Image.open(path) as mask:
            mask.load()
            mode = mask.mode
            values = np.asarray(mask)
    except FileNotFoundError:
        raise EdgeDeeplabError(
            f"{path}: mask not found; add it (same name as the image, .png) or remove the "
            f"image's id from the split file"
        ) from None
    except (OSError, ValueError, SyntaxError) as error:
        raise EdgeDeeplabError(f"{path}: unreadable mask ({_short(error)}); replace the file") from None
    if mode in ("P", "L"):
        return values
    if mode == "1":
        return values.astype(np.uint8)
    if mode in ("I", "I;16", "I;16B", "I;16L") and values.size and 0 <= values.min() and values.max() <= 255:
        return values.astype(np.uint8)
    raise EdgeDeeplabError(
        f"{path}: mask is a {mode} image; masks must hold one class id per pixel "
        f"(8-bit grayscale or palette PNG, 255 = ignore)"
    )


def _short(error: Exception) -> str:
    return " ".join(str(error).split())[:120] or type(error).__name__

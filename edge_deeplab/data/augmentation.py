"""Augmentation: the training augmentation's knobs (TensorFlow-free; data.pipeline applies them).

DeepLab's recipe by default (random scale 0.5-2.0, crop, flip, small colour jitter); the options
beyond it, for photos unlike one dataset's framing, are off by default. from_train_config turns a
TrainConfig's fields into one.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from edge_deeplab.errors import EdgeDeeplabError


@dataclasses.dataclass(frozen=True)
class FramingKnobs:
    """Where people sit in the crop: the random scale range and crops through the frame edge."""

    min_scale: float = 0.5
    max_scale: float = 2.0
    # edge_crop: probability that the crop window is placed with one border through an object pixel,
    # so people are cut by the frame edge.
    edge_crop: float = 0.0


@dataclasses.dataclass(frozen=True)
class CopyPasteKnobs:
    """Simple Copy-Paste (Ghiasi et al. 2021): 0..copy_paste objects (every non-background class, with
    their labels) cut out of the other samples of the batch (drawn from the whole training mix,
    augmented already: no extra decoding) by their masks, scaled so their height is
    copy_paste_min_scale..copy_paste_max_scale of the crop, flipped, placed anywhere (partly outside
    the frame too), occluding what is below. copy_paste_background: probability that they land on a
    plain, noise or blurred-noise background instead of the training image. copy_paste_edge_blur:
    Gaussian sigma (px) softening the pasted edges (labels stay hard)."""

    copy_paste: int = 0
    copy_paste_min_scale: float = 0.1
    copy_paste_max_scale: float = 0.9
    copy_paste_background: float = 0.0
    copy_paste_edge_blur: float = 0.0


@dataclasses.dataclass(frozen=True)
class DegradationKnobs:
    """Camera degradations, after the colour jitter: blur (probability of a Gaussian blur, sigma
    0.5-2 px), noise (max std of Gaussian pixel noise, as a fraction of 255), jpeg (probability of a
    JPEG round trip at quality jpeg_min_quality..95)."""

    blur: float = 0.0
    noise: float = 0.0
    jpeg: float = 0.0
    jpeg_min_quality: int = 30


@dataclasses.dataclass(frozen=True)
class AugmentKnobs(DegradationKnobs, CopyPasteKnobs, FramingKnobs):
    """The knobs TrainConfig and Augmentation share, under the same names (fields in the order
    framing, copy-paste, degradations; all beyond DeepLab's recipe off by default)."""


@dataclasses.dataclass(frozen=True)
class Augmentation(AugmentKnobs):
    """DeepLab's training augmentation; the defaults are the papers' (scale) and small jitter."""

    flip: bool = True
    brightness: float = 0.1  # max delta, on pixels in 0..1
    contrast: float = 0.15  # factor in [1 - c, 1 + c]
    saturation: float = 0.15  # factor in [1 - s, 1 + s]
    hue: float = 0.02  # max delta, in turns of the colour wheel
    # (height, width) every image is first resized to, before the random scale; None keeps each
    # image's own size. Set it to the model input when photos are much larger than the crop: the app
    # resizes the whole frame to the model input, so training should see people at that scale.
    base_size: Optional[tuple] = None

    def __post_init__(self):
        if not 0 < self.min_scale <= self.max_scale:
            raise EdgeDeeplabError(f"scale range {self.min_scale}-{self.max_scale}: need 0 < min <= max")
        if not (
            0 <= self.contrast < 1 and 0 <= self.saturation < 1 and 0 <= self.hue <= 0.5 and 0 <= self.brightness <= 1
        ):
            raise EdgeDeeplabError(
                "photometric jitter out of range: brightness 0..1, contrast and saturation 0..<1, hue 0..0.5"
            )
        for name in ("edge_crop", "copy_paste_background", "blur", "jpeg"):
            if not 0 <= getattr(self, name) <= 1:
                raise EdgeDeeplabError(f"{name} {getattr(self, name)} is a probability: give 0..1")
        if not 0 <= self.copy_paste <= 16:
            raise EdgeDeeplabError(f"copy_paste {self.copy_paste}: paste 0..16 objects per image")
        if not 0 < self.copy_paste_min_scale <= self.copy_paste_max_scale <= 4:
            raise EdgeDeeplabError(
                f"copy-paste scale range {self.copy_paste_min_scale}-{self.copy_paste_max_scale}: "
                "need 0 < min <= max <= 4 (object height / crop height)"
            )
        if not (0 <= self.copy_paste_edge_blur <= 3 and 0 <= self.noise <= 0.5):
            raise EdgeDeeplabError("copy_paste_edge_blur is a sigma of 0..3 px and noise a std of 0..0.5")
        if not 1 <= self.jpeg_min_quality <= 95:
            raise EdgeDeeplabError(f"jpeg_min_quality {self.jpeg_min_quality}: give 1..95")


NO_AUGMENTATION = Augmentation(
    min_scale=1.0, max_scale=1.0, flip=False, brightness=0.0, contrast=0.0, saturation=0.0, hue=0.0
)


#: The default jitter strengths that TrainConfig.color_jitter scales.
_COLOUR = {"brightness": 0.1, "contrast": 0.15, "saturation": 0.15, "hue": 0.02}
#: TrainConfig fields that are Augmentation fields of the same name.
_SHARED = tuple(f.name for f in dataclasses.fields(AugmentKnobs))


def from_train_config(config, base_size: Optional[tuple] = None) -> Augmentation:
    """The Augmentation of a TrainConfig (augment=False: none at all, only base_size resizing)."""
    if not config.augment:
        return dataclasses.replace(NO_AUGMENTATION, base_size=base_size)
    strength = config.color_jitter
    colour = {name: min(value * strength, 0.99 if name != "hue" else 0.5) for name, value in _COLOUR.items()}
    return Augmentation(base_size=base_size, **colour, **{name: getattr(config, name) for name in _SHARED})

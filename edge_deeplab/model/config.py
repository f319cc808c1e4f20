"""DeepLabConfig: every knob of the model, under the papers' names, frozen and saved with it.

Chen et al., "Rethinking Atrous Convolution for Semantic Image Segmentation" (DeepLab v3, 2017)
and "Encoder-Decoder with Atrous Separable Convolution" (DeepLab v3+, 2018); Sandler et al.,
"MobileNetV2" (2018) for depth_multiplier.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional

from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.settings import Settings

OUTPUT_STRIDES = (8, 16, 32)
# The papers' ASPP rates: 6/12/18 at output stride 16, doubled at 8 (v3, section 3.3);
# halved at 32 so that the branches keep covering the same part of the image.
DEFAULT_ATROUS_RATES = {8: (12, 24, 36), 16: (6, 12, 18), 32: (3, 6, 9)}
# DeepLab v2's ASPP-L rates (v2, section 3.3), which it used at output stride 8; kept as they are
# at every stride, as the paper gives them (--atrous-rates scales them by hand).
V2_ATROUS_RATES = (6, 12, 18, 24)
ASPP_VERSIONS = ("v3", "v2")
MIN_DEPTH_MULTIPLIER, MAX_DEPTH_MULTIPLIER = 0.35, 1.4
# The largest input side accepted: above Cityscapes' 1025x2049, the largest crop the papers train on.
MAX_INPUT_SIDE = 4097


@dataclasses.dataclass(frozen=True)
class DeepLabConfig(Settings):
    """A DeepLab v3 / v3+ model with a MobileNet-v2 backbone. `replace` gives a copy with some knobs
    changed, e.g. evaluation at output_stride 8 with the same weights: ASPP rates left at their
    default follow the new output stride, as in the papers (train at 16 with 6/12/18, evaluate at 8
    with 12/24/36).

    num_classes: number of output classes (logits channels), background included.
    input_size: (height, width) of the network input. Odd sizes such as 257 = 16 * 16 + 1
        keep feature maps aligned with the image corners, as DeepLab's crop sizes do.
    depth_multiplier: MobileNet-v2 width multiplier (alpha), 0.35 to 1.4.
    divisible_by: channel counts times depth_multiplier are rounded to a multiple of this. 8 is
        Keras' and TF-slim's default (Keras' ImageNet weights need it); TF-DeepLab builds widths
        other than 1.0 with 1 (research/deeplab/core/feature_extractor.py), so its width-0.5 model
        has 12-channel blocks where Keras has 16.
    output_stride: ratio of input to backbone feature resolution: 8, 16 or 32. Strides past it
        are replaced by atrous (dilated) convolution.
    aspp_version: "v3" for v3's ASPP (image pooling, a 1x1 branch, atrous branches with batch norm,
        a projection; v3+ makes the branches depthwise-separable, as here); "v2" for DeepLab v2's:
        plain 3x3 atrous convolutions straight to logits, summed, no batch norm, no image pooling.
        It gives the logits itself, so it takes no decoder (use_decoder False).
    atrous_rates: dilation rates of the ASPP 3x3 branches; None picks the papers' defaults for
        the output stride (v2: 6, 12, 18, 24); () means no 3x3 branch at all (image pooling and the
        1x1 branch only), TF-DeepLab's setting for MobileNet-v2 (Google's published mobile DeepLab v3).
    multi_grid: unit rates of the last stage (blocks 14, 15, 16), multiplied by the stage's rate
        (v3, section 3.2); None for (1, 1, 1).
    aspp_channels: width of each ASPP branch and of its projection (256 in the papers).
    use_decoder: the v3+ decoder; False gives DeepLab v3 (logits at output stride).
    encoder_logits: with the decoder, keep the encoder's own logits layer (v3's, on the ASPP output) and
        add the decoder's logits to them, upsampled to stride 4: the score fusion of FCN's skip
        connections (Long et al. 2015). The decoder's logits layer starts at zero, so a model
        initialised from an imported v3 starts as exactly that model, and the decoder learns a
        correction at the edges. Why: with a fresh logits layer on the decoder, training on portraits
        (no animals) taught "anything in front is a person" (95 % of the golden photo's horse after
        two epochs); the imported head knows a horse from a person. False: v3+'s single logits layer.
    decoder_channels: width of the decoder's two separable 3x3 convolutions.
    low_level_channels: the decoder's 1x1 reduction of the stride-4 features (48 in v3+).
    batch_norm_momentum: moving-average momentum of every BatchNormalization layer. 0.9, not the
        papers' 0.9997: their moving averages settle over 30k+ steps, ours over the few thousand a
        CPU fine-tuning run takes (measured: at 0.99 a ccp-person model predicted no person at all in
        inference mode after 112 steps while it segmented well in training mode).
    dropout_rate: dropout after the ASPP projection (v3+ keeps 0.9 of activations).
    align_corners: bilinear upsampling maps corner pixels onto corner pixels, as TF-DeepLab's
        resizes do (tf.image.resize_bilinear(align_corners=True)); False uses half-pixel centres,
        tf.image.resize's convention. With input sizes of output_stride * n + 1 the two differ by
        under a pixel; an imported TF-DeepLab model needs True for exact parity. The mobile GPU
        delegate runs either (it rejects only both flags at once).
    source_classes, person_row: the background merge of an imported many-class model (`model import
        --classes background,person`). The logits layer keeps all source_classes rows; the output is
        two classes, person = row person_row and background = every other row together, the log of
        the sum of their probabilities (MergeBackground). Keeping only the background row instead
        made "background" mean VOC's class 0, so a horse beside a person became a person. None: the
        logits layer has num_classes rows.
    """

    _OPTION, _SOURCE = "model option", "config"

    num_classes: int = 2
    input_size: tuple[int, int] = (257, 257)
    depth_multiplier: float = 1.0
    divisible_by: int = 8
    output_stride: int = 16
    aspp_version: str = "v3"
    atrous_rates: Optional[tuple[int, ...]] = None
    multi_grid: Optional[tuple[int, int, int]] = None
    aspp_channels: int = 256
    use_decoder: bool = True
    encoder_logits: bool = False
    decoder_channels: int = 256
    low_level_channels: int = 48
    batch_norm_momentum: float = 0.9
    dropout_rate: float = 0.1
    align_corners: bool = False
    source_classes: Optional[int] = None
    person_row: Optional[int] = None

    def __post_init__(self):
        # Normalise JSON lists to tuples so that configs compare and hash.
        object.__setattr__(self, "input_size", tuple(int(v) for v in self.input_size))
        if self.atrous_rates is not None:
            object.__setattr__(self, "atrous_rates", tuple(int(v) for v in self.atrous_rates))
        if self.multi_grid is not None:
            object.__setattr__(self, "multi_grid", tuple(int(v) for v in self.multi_grid))
        self._validate()

    def _validate(self):
        for field in dataclasses.fields(self):  # first: NaN passes every comparison below
            value = getattr(self, field.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise EdgeDeeplabError(f"{field.name} {value} must be a finite number")
        if not 0 <= self.batch_norm_momentum <= 1:
            raise EdgeDeeplabError(f"batch_norm_momentum {self.batch_norm_momentum} must be in [0, 1], e.g. 0.9")
        if self.output_stride not in OUTPUT_STRIDES:
            raise EdgeDeeplabError(f"output_stride {self.output_stride} is not supported: use 8, 16 or 32")
        if not MIN_DEPTH_MULTIPLIER <= self.depth_multiplier <= MAX_DEPTH_MULTIPLIER:
            raise EdgeDeeplabError(
                f"depth_multiplier (alpha) {self.depth_multiplier} is out of range: "
                f"use {MIN_DEPTH_MULTIPLIER} to {MAX_DEPTH_MULTIPLIER}"
            )
        if self.divisible_by < 1:
            raise EdgeDeeplabError(
                f"divisible_by {self.divisible_by} must be a positive integer (8, or 1 as "
                "TF-DeepLab at widths other than 1.0)"
            )
        if self.num_classes < 2:
            raise EdgeDeeplabError(
                f"num_classes {self.num_classes} is too small: a segmentation model needs "
                "at least 2 (background and one class)"
            )
        if len(self.input_size) != 2 or min(self.input_size) < 2 * self.output_stride:
            raise EdgeDeeplabError(
                f"input_size {self.input_size} is too small: give (height, width) of at "
                f"least {2 * self.output_stride} pixels each"
            )
        if max(self.input_size) > MAX_INPUT_SIDE:
            gigabytes = self.input_size[0] * self.input_size[1] * 3 * 4 / 1e9
            raise EdgeDeeplabError(
                f"input_size {self.input_size} is too large: at most {MAX_INPUT_SIDE} pixels a side "
                f"(one such image alone is {gigabytes:.3g} GB as float32 input, before any "
                "activation); DeepLab trains at 513 or 1025x2049"
            )
        if self.aspp_version not in ASPP_VERSIONS:
            raise EdgeDeeplabError(f"aspp_version {self.aspp_version!r} is unknown: use v3 (DeepLab v3/v3+) or v2")
        if self.encoder_logits and (not self.use_decoder or self.aspp_version == "v2"):
            raise EdgeDeeplabError(
                "encoder_logits adds the decoder's logits to the encoder's: it needs the v3+ "
                "decoder (--decoder) and v3's ASPP"
            )
        if self.aspp_version == "v2" and self.use_decoder:
            raise EdgeDeeplabError(
                "aspp_version v2 gives the logits itself (DeepLab v2 had no decoder): "
                "add --no-decoder (use_decoder false)"
            )
        if self.aspp_version == "v2" and self.source_classes is not None:
            raise EdgeDeeplabError(
                "aspp_version v2 cannot carry an imported model's merged classes (source_classes): "
                "imports are DeepLab v3"
            )
        if self.aspp_version == "v2" and not self.atrous_rates_or_default:
            raise EdgeDeeplabError("aspp_version v2 needs at least one atrous rate, e.g. 6,12,18,24")
        if any(r <= 0 for r in self.atrous_rates_or_default):
            raise EdgeDeeplabError(
                f"atrous_rates {self.atrous_rates} must be positive integers, e.g. 6,12,18, or none (no atrous branch)"
            )
        if self.multi_grid is not None and (len(self.multi_grid) != 3 or any(r <= 0 for r in self.multi_grid)):
            raise EdgeDeeplabError(f"multi_grid {self.multi_grid} must be three positive integers, e.g. 1,2,4")
        for name in ("aspp_channels", "decoder_channels", "low_level_channels"):
            if getattr(self, name) <= 0:
                raise EdgeDeeplabError(f"{name} {getattr(self, name)} must be a positive number of channels")
        if not 0.0 <= self.dropout_rate < 1.0:
            raise EdgeDeeplabError(f"dropout_rate {self.dropout_rate} must be in [0, 1)")
        if self.source_classes is not None and (
            self.num_classes != 2
            or self.source_classes < 3
            or self.person_row is None
            or not 0 <= self.person_row < self.source_classes
        ):
            raise EdgeDeeplabError(
                f"source_classes {self.source_classes} with person_row {self.person_row}: merging "
                "background needs 2 classes, 3 or more source classes and the person's row "
                "among them"
            )

    @property
    def atrous_rates_or_default(self) -> tuple[int, ...]:
        """The ASPP's atrous rates: atrous_rates where given, else the papers' for the output stride (v2: its own)."""
        if self.atrous_rates is not None:
            return self.atrous_rates
        return V2_ATROUS_RATES if self.aspp_version == "v2" else DEFAULT_ATROUS_RATES[self.output_stride]

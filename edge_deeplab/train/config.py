"""TrainConfig: the training knobs, under the papers' names, saved with each run.

Defaults follow DeepLab's recipe (Chen et al. 2017/2018): SGD with momentum 0.9, the "poly" learning
rate policy (1 - step / total_steps) ** 0.9, weight decay, batch-norm trained, random scale 0.5-2.0,
crops, flips. AdamW is the alternative for short fine-tuning runs.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional

from edge_deeplab.data.augmentation import AugmentKnobs
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.refine import require as require_refinement
from edge_deeplab.settings import Settings

OPTIMIZERS = ("sgd", "adamw")
LOSSES = ("ce", "ce+dice", "ce+lovasz")
STRATEGIES = ("none", "mirrored", "multi-worker")
# Decoupled weight decay per optimizer when none is given: DeepLab's 4e-5 for SGD, AdamW's usual 1e-2.
DEFAULT_WEIGHT_DECAY = {"sgd": 4e-5, "adamw": 1e-2}


_LATER_OPTIONS_OFF = {
    "freeze_batch_norm_after_epochs": None,
    "qat_range_images": 0,
    "distill_weight": 1.0,
    "distill_refine": "none",
    "label_weight": 1.0,
}


#: Named sets of augmentation knobs (`--augment-preset NAME`); options given explicitly win.
AUGMENT_PRESETS = {
    # DeepLab's recipe as in the papers: the defaults.
    "deeplab": {},
    # For photos unlike one dataset's single, centred, standing subject: small people (scale down
    # to 0.25), people cut by the frame, several pasted people per image, other backgrounds, harsher
    # colour, blur, noise and JPEG.
    "world": {
        "min_scale": 0.25,
        "max_scale": 2.0,
        "edge_crop": 0.3,
        "copy_paste": 3,
        "copy_paste_min_scale": 0.1,
        "copy_paste_max_scale": 0.9,
        "copy_paste_background": 0.15,
        "copy_paste_edge_blur": 1.0,
        "color_jitter": 2.0,
        "blur": 0.2,
        "noise": 0.03,
        "jpeg": 0.3,
        "jpeg_min_quality": 30,
    },
}


@dataclasses.dataclass(frozen=True)
class TrainConfig(Settings, AugmentKnobs):
    """epochs: passes over the training split. batch_size: global batch (split across replicas).
    optimizer: 'sgd' (momentum) or 'adamw'. learning_rate: base rate of the poly schedule.
    poly_power: exponent of the poly policy (0.9 in the papers). warmup_epochs: linear warm-up
    before poly decay. weight_decay: decoupled weight decay, None for the optimizer's default; batch
    norm and biases are exempt. loss: cross-entropy ignoring label 255, optionally plus a Dice or
    Lovasz-softmax term (region losses suited to binary person masks), weighted by aux_loss_weight.
    seed: data order, augmentation and initialisation. strategy: tf.distribute strategy.
    checkpoint_every_steps: a checkpoint every N steps as well as each epoch (0: epochs only). cache: keep the
    decoded images in memory after the first epoch.
    min_scale, max_scale: the range of random rescaling (0.5 to 2.0 in the papers). augment: False
    trains on the plain images (no rescaling, flips or colour jitter), e.g. to check that a model fits.
    resize_to_input: resize each image to the model input before the random scale, as inference
    resizes the whole frame: a phone photo shows a person at the scale the model will see.
    Beyond one dataset's framing (edge_deeplab.data.pipeline.Augmentation says how each works; all
    off by default): edge_crop (probability of a crop through an object), copy_paste (max objects
    pasted per image, Simple Copy-Paste) with copy_paste_min_scale and copy_paste_max_scale (object height / crop),
    copy_paste_background (probability of a plain/noise background under the pasted objects),
    copy_paste_edge_blur (sigma px), color_jitter (strength of the colour jitter, 1 = the default
    brightness 0.1, contrast 0.15, saturation 0.15, hue 0.02), blur (probability), noise (max std /
    255), jpeg (probability) with jpeg_min_quality. AUGMENT_PRESETS name ready-made sets of them.
    fine_tune_batch_norm: TF-DeepLab's flag of the same name. True updates every batch norm from each
    batch (training from ImageNet with large batches). False freezes the batch norm of pretrained
    layers (backbone weights, --init-from) at their statistics and scale, as small CPU batches and
    weights imported with batch norm folded into biases (`model import`) need: a batch of 8 would
    overwrite them at the first step. New layers' batch norm learns either way.
    freeze_backbone: train only what follows MobileNet-v2 (ASPP, decoder, logits), keeping features
    learnt on a larger dataset intact (measured: fine-tuning a COCO+VOC import end to end on 903
    single-subject photos halved its person IoU on everyday photos within 3 epochs).
    freeze_batch_norm_after_epochs: after this many epochs (fractions allowed; counted in steps,
    round(epochs * steps per epoch)) every batch norm stops updating its moving statistics and runs in
    inference mode for the rest of the run (None: never). The quantization recipe of TF-DeepLab and of
    the TF quantization whitepaper: QAT trains with batch norm updating for a warm-up, then freezes it.
    The step depends only on the run's config, so a resumed run freezes at the same step.
    qat_range_images: QAT only: before the first step, set every activation quantizer's range to the
    min/max its float activations reach on this many representative training images, the set int8
    export calibrates on (edge_deeplab.data.representative); 0 keeps tfmot's [-6, 6] start.
    distill_weight: with a teacher (`train --distill-from`), the weight of its distillation term
    (edge_deeplab/train/distill.py) next to the loss on the labels.
    label_weight: the weight of the loss on the labels; 0 learns from the teachers alone, e.g. QAT of a
    real-photo model on the embedded synthetic scenes, whose cartoon labels it should not follow.
    distill_refine: 'crf' refines each TFLite teacher's person probability with the dense CRF of
    DeepLab v1/v2 (edge_deeplab/refine.py) over the training crop itself before the student learns it,
    so soft teacher edges snap to the photo's edges; 'none' uses them as they are.
    """

    _OPTION, _SOURCE = "training option", "training config"

    epochs: int = 20
    batch_size: int = 8
    optimizer: str = "sgd"
    learning_rate: float = 0.02  # docs/training.md's ccp-person recipe (SGD, batch 8, poly, 1 warm-up epoch)
    momentum: float = 0.9
    poly_power: float = 0.9
    warmup_epochs: float = 0.5
    weight_decay: Optional[float] = None
    loss: str = "ce"
    aux_loss_weight: float = 1.0
    seed: int = 0
    strategy: str = "none"
    checkpoint_every_steps: int = 0
    cache: bool = False
    augment: bool = True
    resize_to_input: bool = True
    color_jitter: float = 1.0
    # min_scale ... jpeg_min_quality: AugmentKnobs (edge_deeplab/data/augmentation.py)
    fine_tune_batch_norm: bool = True
    freeze_backbone: bool = False
    freeze_batch_norm_after_epochs: Optional[float] = None
    qat_range_images: int = 0
    distill_weight: float = 1.0
    distill_refine: str = "none"
    label_weight: float = 1.0

    def __post_init__(self):
        for field in dataclasses.fields(self):  # first: NaN passes every comparison below
            value = getattr(self, field.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise EdgeDeeplabError(f"{field.name} {value} must be a finite number")
        if self.optimizer not in OPTIMIZERS:
            raise EdgeDeeplabError(f"optimizer {self.optimizer!r} is unknown: choose {' or '.join(OPTIMIZERS)}")
        if self.loss not in LOSSES:
            raise EdgeDeeplabError(f"loss {self.loss!r} is unknown: choose one of {', '.join(LOSSES)}")
        if self.strategy not in STRATEGIES:
            raise EdgeDeeplabError(f"strategy {self.strategy!r} is unknown: choose one of {', '.join(STRATEGIES)}")
        for name in ("epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise EdgeDeeplabError(f"{name} {getattr(self, name)} must be at least 1")
        if self.learning_rate <= 0:
            raise EdgeDeeplabError(f"learning_rate {self.learning_rate} must be positive")
        if self.freeze_batch_norm_after_epochs is not None and self.freeze_batch_norm_after_epochs < 0:
            raise EdgeDeeplabError(
                f"freeze_batch_norm_after_epochs {self.freeze_batch_norm_after_epochs} must not "
                "be negative (None: never freeze)"
            )
        if not 0 <= self.momentum < 1:
            raise EdgeDeeplabError(f"momentum {self.momentum} must be in [0, 1), e.g. 0.9")
        for name in ("poly_power", "weight_decay", "aux_loss_weight"):
            if getattr(self, name) is not None and getattr(self, name) < 0:
                raise EdgeDeeplabError(f"{name} {getattr(self, name)} must not be negative")
        if not 0 <= self.seed < 2**32:
            raise EdgeDeeplabError(f"seed {self.seed} must be 0 to {2**32 - 1}")
        if self.label_weight < 0:
            raise EdgeDeeplabError(f"label_weight {self.label_weight} must not be negative")
        if self.distill_weight < 0:
            raise EdgeDeeplabError(f"distill_weight {self.distill_weight} must not be negative")
        require_refinement(self.distill_refine)  # a missing CRF package stops the run before it starts
        if self.qat_range_images < 0:
            raise EdgeDeeplabError(f"qat_range_images {self.qat_range_images} must not be negative")
        if self.warmup_epochs < 0 or self.checkpoint_every_steps < 0:
            raise EdgeDeeplabError("warmup_epochs and checkpoint_every_steps must not be negative")
        if not 0 <= self.color_jitter <= 4:
            raise EdgeDeeplabError(f"color_jitter {self.color_jitter}: give a strength of 0..4 (1 = default)")
        self.augmentation()  # checks the augmentation knobs now, not at the first epoch

    def augmentation(self, base_size=None):
        """The data pipeline's Augmentation for these knobs (None sizes: each image's own)."""
        from edge_deeplab.data.augmentation import from_train_config

        return from_train_config(self, base_size)

    @property
    def weight_decay_or_default(self) -> float:
        """weight_decay, or the optimizer's default (DEFAULT_WEIGHT_DECAY) where it is None."""
        return DEFAULT_WEIGHT_DECAY[self.optimizer] if self.weight_decay is None else self.weight_decay

    def to_dict(self) -> dict:
        """The knobs as a plain dict, without the options added later while they are at their "off" value."""
        # Options added later are left out at their "off" value, so that run.json files and pipeline
        # fingerprints written before them stay the same.
        return {
            key: value
            for key, value in super().to_dict().items()
            if not (key in _LATER_OPTIONS_OFF and value == _LATER_OPTIONS_OFF[key])
        }


#: Quantization-aware fine-tuning of a trained float model: `edge-deeplab qat` and the pipeline's QAT
#: stage both start from here. SGD, no warm-up of the rate, 1 epoch at 0.0005; activation ranges start
#: from the float activations on the 100 representative images int8 export calibrates on; batch norm
#: updates for a quarter epoch, then its statistics freeze (TF-DeepLab / whitepaper recipe).
#: Chosen by benchmarks/qat_sweep.py on the synthetic default (benchmarks/results/qat_sweep.md): QAT-int8 86.02
#: mIoU vs float 85.59 and post-training int8 85.73; without the freeze (lr 0.0005, 1 epoch) 85.19.
#: The recipe before (2 epochs at 0.002, no freeze, tfmot's [-6, 6] start) lost 0.57-3 points there.
#: Both also distil from the float model (distill_weight 1; `qat --no-distill` turns it off): QAT of
#: preset:person on ccp-person alone took its int8 from 70.06 to 58.81 person IoU on coco-people, 65.18
#: with it. (The sweep above ran without it; with it the synthetic main job's QAT-int8 is 85.59.)
QAT_DEFAULTS = TrainConfig(
    epochs=1,
    batch_size=8,
    optimizer="sgd",
    learning_rate=0.0005,
    warmup_epochs=0.0,
    checkpoint_every_steps=25,
    freeze_batch_norm_after_epochs=0.25,
    qat_range_images=100,
)

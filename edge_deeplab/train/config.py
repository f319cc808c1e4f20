"""TrainConfig: the training knobs, under the papers' names, saved with each run.

Defaults follow DeepLab's recipe (Chen et al. 2017/2018): SGD with momentum 0.9, the "poly" learning
rate policy (1 - step / total_steps) ** 0.9, weight decay, batch-norm trained, random scale 0.5-2.0,
crops, flips. AdamW is the alternative for short fine-tuning runs.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Optional

from edge_deeplab.errors import EdgeDeeplabError

OPTIMIZERS = ("sgd", "adamw")
LOSSES = ("ce", "ce+dice", "ce+lovasz")
STRATEGIES = ("none", "mirrored", "multi-worker")
# Decoupled weight decay per optimizer when none is given: DeepLab's 4e-5 for SGD, AdamW's usual 1e-2.
DEFAULT_WEIGHT_DECAY = {"sgd": 4e-5, "adamw": 1e-2}


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """epochs: passes over the training split. batch_size: global batch (split across replicas).
    optimizer: 'sgd' (momentum) or 'adamw'. learning_rate: base rate of the poly schedule.
    poly_power: exponent of the poly policy (0.9 in the papers). warmup_epochs: linear warm-up
    before poly decay. weight_decay: decoupled weight decay, None for the optimizer's default; batch
    norm and biases are exempt. loss: cross-entropy ignoring label 255, optionally plus a Dice or
    Lovasz-softmax term (region losses suited to binary person masks), weighted by aux_loss_weight.
    seed: data order, augmentation and initialisation. strategy: tf.distribute strategy.
    checkpoint_every_steps: a checkpoint every N steps as well as each epoch (0: epochs only).
    min_scale, max_scale: the range of random rescaling (0.5 to 2.0 in the papers). augment: False
    trains on the plain images (no rescaling, flips or colour jitter), e.g. to check that a model fits.
    resize_to_input: resize each image to the model input before the random scale, as inference
    resizes the whole frame: a phone photo shows a person at the scale the model will see.
    """

    epochs: int = 20
    batch_size: int = 8
    optimizer: str = "sgd"
    learning_rate: float = 0.01
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
    min_scale: float = 0.5
    max_scale: float = 2.0
    resize_to_input: bool = True

    def __post_init__(self):
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
        if self.warmup_epochs < 0 or self.checkpoint_every_steps < 0:
            raise EdgeDeeplabError("warmup_epochs and checkpoint_every_steps must not be negative")

    @property
    def weight_decay_or_default(self) -> float:
        return DEFAULT_WEIGHT_DECAY[self.optimizer] if self.weight_decay is None else self.weight_decay

    def replace(self, **changes) -> "TrainConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict, source: str = "training config") -> "TrainConfig":
        from edge_deeplab.settings import from_dict

        return from_dict(cls, data, source, "training option")

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

"""Training: losses, the poly schedule, the resumable training loop and `edge-deeplab train`."""

from edge_deeplab.train.config import TrainConfig
from edge_deeplab.train.loop import train
from edge_deeplab.train.spec import TrainSpec

__all__ = ["TrainConfig", "TrainSpec", "train"]

"""The DeepLab v3 / v3+ MobileNet-v2 model: config, parts, build, save and load."""
from edge_deeplab.model.config import DeepLabConfig
from edge_deeplab.model.deeplab import build_deeplab
from edge_deeplab.model.saving import load_model, read_model_json, save_model

__all__ = ["DeepLabConfig", "build_deeplab", "load_model", "read_model_json", "save_model"]

"""The DeepLab v3 / v3+ MobileNet-v2 model: config, parts, build, save and load.

Names resolve on first use, so that importing a submodule (the CLI's, for `--help`) does not load
TensorFlow.
"""
import importlib

_HOMES = {"DeepLabConfig": "edge_deeplab.model.config", "build_deeplab": "edge_deeplab.model.deeplab",
          "load_model": "edge_deeplab.model.saving", "read_model_json": "edge_deeplab.model.saving",
          "save_model": "edge_deeplab.model.saving"}

__all__ = ["DeepLabConfig", "build_deeplab", "load_model", "read_model_json", "save_model"]


def __getattr__(name):
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

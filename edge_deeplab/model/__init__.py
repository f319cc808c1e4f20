"""The DeepLab v3 / v3+ MobileNet-v2 model: config, parts, build, save and load.

The names load on first use (PEP 562): `edge-deeplab model --help` reaches model/cli.py through this
package and must not load TensorFlow, which model/deeplab.py does.
"""

import importlib

_HOMES = {
    "DeepLabConfig": "config",
    "build_deeplab": "deeplab",
    "load_model": "saving",
    "read_model_json": "saving",
    "save_model": "saving",
}
__all__ = list(_HOMES)


def __getattr__(name):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)

"""edge-deeplab: DeepLab v3+ with a MobileNet-v2 backbone, from training to a phone.

tensorflow-model-optimization needs Keras 2 (tf_keras). TensorFlow picks its Keras
when it is first imported, so the switch is set here, in the one module every other
package of this project (converters, calibration) imports before TensorFlow.
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from edge_deeplab.errors import EdgeDeeplabError  # noqa: E402
from edge_deeplab.quiet import quiet_native_logs  # noqa: E402

# TensorFlow's and LiteRT's native start-up chatter buries our one-line errors: quiet it before
# anything loads TensorFlow (edge_deeplab/quiet.py says what was measured). `edge-deeplab --verbose`
# or EDGE_DEEPLAB_VERBOSE=1 keeps it.
quiet_native_logs()

__version__ = "0.1.0"

# The Python API for finished models, loaded on first use (PEP 562): `import edge_deeplab` and
# `edge-deeplab --help` must not load TensorFlow, which running a model does.
#     result = edge_deeplab.predict("preset:person", "photo.jpg"); result.labels, result.person_probability
_LAZY = {
    "predict": "edge_deeplab.segment.predict",
    "open_model": "edge_deeplab.segment.predict",
    "blur_background": "edge_deeplab.segment.predict",
    "Segmentation": "edge_deeplab.segment.predict",
}
__all__ = ["EdgeDeeplabError", "__version__", *_LAZY]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)

"""edge-deeplab: DeepLab v3+ with a MobileNet-v2 backbone, from training to a phone.

tensorflow-model-optimization needs Keras 2 (tf_keras). TensorFlow picks its Keras
when it is first imported, so the switch is set here, in the one module every other
package of this project (converters, calibration) imports before TensorFlow.
"""
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
# TensorFlow's C++ start-up chatter buries our one-line errors; users can raise it again.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from edge_deeplab.errors import EdgeDeeplabError  # noqa: E402

__version__ = "0.1.0"
__all__ = ["EdgeDeeplabError", "__version__"]

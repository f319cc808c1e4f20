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
__all__ = ["EdgeDeeplabError", "__version__"]

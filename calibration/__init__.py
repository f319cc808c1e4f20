"""Representative data for post-training quantization, and per-layer quantization analysis."""
if __name__ != "edge_deeplab.calibration":
    # The folder sits at the repository root (the product owner's layout) but is part of edge_deeplab:
    # imported as a top-level `calibration` (the checkout on sys.path) its modules would exist twice.
    raise ImportError("`calibration` is installed as `edge_deeplab.calibration`: import edge_deeplab.calibration instead")

import edge_deeplab  # noqa: F401,E402  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)

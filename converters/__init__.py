"""Keras to TFLite: export formats, quantization-aware training, the GPU-delegate gate."""

if __name__ != "edge_deeplab.converters":
    # The folder sits at the repository root (the product owner's layout) but is part of edge_deeplab:
    # imported as a top-level `converters` (the checkout on sys.path) its modules would exist twice.
    raise ImportError("`converters` is installed as `edge_deeplab.converters`: import edge_deeplab.converters instead")

import edge_deeplab  # noqa: F401,E402  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)

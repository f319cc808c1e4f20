"""Keras to TFLite: export formats, quantization-aware training, the GPU-delegate gate."""
import edge_deeplab  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)

"""Representative data for post-training quantization, and per-layer quantization analysis."""
import edge_deeplab  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)

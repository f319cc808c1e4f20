"""Tiny .tflite models converted once per session, GPU-friendly and unfriendly on purpose.

33 x 33 inputs keep conversion and the software-Vulkan runs to about a second each.
"""

import edge_deeplab  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)

import pytest

from converter_models import build_keras, convert


@pytest.fixture(scope="session")
def tiny_tflite(tmp_path_factory):
    """name -> path: "friendly" (batch 1), "argmax_int64" (an int64 ARG_MAX head), "batch_none" (the
    same friendly layers with batch None: the dilated conv becomes SPACE_TO_BATCH_ND ... BATCH_TO_SPACE_ND)."""
    folder = tmp_path_factory.mktemp("tiny_tflite")
    variants = {"friendly": {}, "argmax_int64": {"head": "argmax_int64"}, "batch_none": {"batch_size": None}}
    paths = {}
    for name, options in variants.items():
        paths[name] = folder / f"{name}.tflite"
        paths[name].write_bytes(convert(build_keras(**options)))
    return paths

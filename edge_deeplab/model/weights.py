"""Backbone initialisation from a Keras no-top MobileNet-v2 ImageNet weights file, by layer name.

The backbone keeps Keras' layer names, so each layer of the file finds its namesake here. The
file's Conv_1 / Conv_1_bn (the 1280-channel head) have no counterpart: DeepLab's features end at
block 16. The report says how many backbone layers matched and which file layers went unused.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import h5py
import numpy as np

from edge_deeplab.errors import EdgeDeeplabError

# The widths Keras publishes ImageNet weights for (tf_keras.applications.MobileNetV2).
KERAS_IMAGENET_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
KERAS_WEIGHTS_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
    "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{alpha}_224_no_top.h5"
)
HEAD_PREFIXES = ("aspp", "decoder", "logits", "upsample_logits")


@dataclasses.dataclass
class BackboneReport:
    """How backbone weights loaded; str() says it in one line.

    Args:
        source: the weights file.
        matched: the backbone layers that got weights.
        backbone_layers: the backbone layers with weights.
        unused_file_layers: the file's layers with weights that the model has no layer for.
    """

    source: str
    matched: int
    backbone_layers: int
    unused_file_layers: list

    def __str__(self):
        unused = f"; unused in the file: {', '.join(self.unused_file_layers)}" if self.unused_file_layers else ""
        return f"backbone weights from {self.source}: {self.matched}/{self.backbone_layers} layers matched{unused}"


def backbone_layers(model):
    """Layers with weights that belong to MobileNet-v2 (everything before ASPP)."""
    return [layer for layer in model.layers if layer.weights and not layer.name.startswith(HEAD_PREFIXES)]


def imagenet_weights_file(depth_multiplier: float) -> str:
    """Keras' standard download (cached under ~/.keras); offline, a one-line error naming the fix."""
    if depth_multiplier not in KERAS_IMAGENET_ALPHAS:
        raise EdgeDeeplabError(
            f"Keras publishes no ImageNet MobileNet-v2 weights for alpha {depth_multiplier}: "
            f"use one of {', '.join(map(str, KERAS_IMAGENET_ALPHAS))} or random initialisation"
        )
    import tf_keras

    url = KERAS_WEIGHTS_URL.format(alpha=f"{depth_multiplier:g}" if depth_multiplier != 1.0 else "1.0")
    try:
        return tf_keras.utils.get_file(url.rsplit("/", 1)[1], url, cache_subdir="models")
    except Exception as error:  # urllib raises several kinds; all mean "not available here"
        raise EdgeDeeplabError(
            f"could not download the ImageNet backbone ({type(error).__name__}): pass a local "
            "Keras no-top MobileNet-v2 weights file instead, e.g. --backbone-weights "
            "../shared/weights/mobilenet_v2_1.0_imagenet160_no_top.h5"
        ) from None


def load_backbone_weights(model, weights, depth_multiplier=1.0) -> BackboneReport:
    """Load MobileNet-v2 ImageNet weights into the model's backbone, layer by layer by Keras' names.

    Args:
        model: the Keras DeepLab model.
        weights: "imagenet" (Keras' file for the width, cached under ~/.keras) or the path of a Keras no-top
            MobileNet-v2 .h5.
        depth_multiplier: the backbone width, to pick the ImageNet file.

    Returns:
        The BackboneReport; a one-line EdgeDeeplabError for a missing file, a file that is not Keras weights,
        or weights of another width.
    """
    path = imagenet_weights_file(depth_multiplier) if weights == "imagenet" else str(weights)
    if not Path(path).is_file():
        raise EdgeDeeplabError(
            f"backbone weights file {path} does not exist: give the path of a Keras no-top "
            "MobileNet-v2 .h5 file, or 'imagenet'"
        )
    try:
        handle = h5py.File(path, "r")
    except OSError:
        raise EdgeDeeplabError(f"{path} is not a Keras HDF5 weights file: give a no-top MobileNet-v2 .h5") from None
    with handle:
        group = handle["model_weights"] if "model_weights" in handle else handle
        if "layer_names" not in group.attrs:
            raise EdgeDeeplabError(f"{path} holds no Keras layer weights: give a no-top MobileNet-v2 .h5")
        file_layers = [name.decode() if isinstance(name, bytes) else name for name in group.attrs["layer_names"]]
        layers = backbone_layers(model)
        by_name = {layer.name: layer for layer in layers}
        matched, unused = 0, []
        for name in file_layers:
            names = [n.decode() if isinstance(n, bytes) else n for n in group[name].attrs["weight_names"]]
            if not names:
                continue  # ReLU, Add, ...: nothing to load
            layer = by_name.get(name)
            if layer is None:
                unused.append(name)
                continue
            values = [np.asarray(group[name][n]) for n in names]
            expected = [tuple(w.shape) for w in layer.weights]
            if [v.shape for v in values] != expected:
                raise EdgeDeeplabError(
                    f"{path}: layer {name} has shapes {[v.shape for v in values]}, the model expects {expected}: "
                    f"the file is for another width than alpha {depth_multiplier}"
                )
            layer.set_weights(values)
            matched += 1
    return BackboneReport(str(path), matched, len(layers), unused)

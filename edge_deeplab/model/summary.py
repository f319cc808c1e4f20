"""What a DeepLab configuration costs and sees: parameters, multiply-accumulates, the output shape,
stride and theoretical receptive field of each stage.

MACs are counted from the Keras graph, layer by layer: a KxK convolution producing an HxWxC_out
map from C_in channels costs H*W*K*K*C_in*C_out (depthwise: H*W*K*K*C). Batch norm is not
counted (it folds into the convolution at export), nor are ReLU, add, pooling and resizes.

The theoretical receptive field follows the usual recursion, r_out = r_in + (k_eff - 1) * j_in and
j_out = j_in * stride, with an atrous kernel's effective span k_eff = k + (k - 1)(r - 1). The
image-pooling branch sees the whole image; it is reported apart.
"""

from __future__ import annotations

import math

import tensorflow as tf
import tf_keras

from edge_deeplab.tables import text_table

PARTS = (("aspp", "aspp"), ("decoder", "decoder"), ("head", "logits"), ("head", "upsample_logits"))


def part_of(layer_name: str) -> str:
    """The part of the network a layer belongs to, by its name's prefix: aspp, decoder, head or backbone.

    Args:
        layer_name: the Keras layer's name.
    """
    for part, prefix in PARTS:
        if layer_name.startswith(prefix):
            return part
    return "backbone"


def layer_macs(layer) -> int:
    """The multiply-accumulates of one layer (the module docstring gives the formula); 0 for layers other than
    convolutions.

    Args:
        layer: a Keras layer of a built model.
    """
    if not isinstance(layer, (tf_keras.layers.Conv2D, tf_keras.layers.DepthwiseConv2D)):
        return 0
    out_h, out_w = layer.output.shape[1:3]
    k_h, k_w = layer.kernel_size
    in_channels = layer.input.shape[-1]
    if isinstance(layer, tf_keras.layers.DepthwiseConv2D):  # a subclass of Conv2D: test it first
        return out_h * out_w * k_h * k_w * in_channels * layer.depth_multiplier
    return out_h * out_w * k_h * k_w * in_channels * layer.filters


def effective_span(kernel_size: int, rate: int) -> int:
    """The span of an atrous kernel: k + (k - 1)(r - 1)."""
    return kernel_size + (kernel_size - 1) * (rate - 1)


def receptive_fields(model) -> dict:
    """layer name -> (receptive field in input pixels, jump = stride in input pixels, sees_whole_image).

    The field counts the convolutions only; a layer downstream of global pooling also sees the
    whole image, which the third value says.
    """
    fields = {}
    for layer in model.layers:
        inbound = (
            []
            if isinstance(layer, tf_keras.layers.InputLayer)
            else [
                node_layer.name for node in layer.inbound_nodes for node_layer in tf.nest.flatten(node.inbound_layers)
            ]
        )
        if not inbound:
            fields[layer.name] = (1, 1.0, False)
            continue
        spatial = [fields[name] for name in inbound if not math.isinf(fields[name][1])]
        whole_image = any(fields[name][2] for name in inbound)
        if not spatial:  # the image-pooling branch before its upsampling: one pixel for the whole image
            fields[layer.name] = (math.inf, math.inf, True)
            continue
        # Parallel inputs (concat, add): the widest field; the jumps agree.
        rf, jump = max(f[0] for f in spatial), min(f[1] for f in spatial)
        if isinstance(layer, tf_keras.layers.GlobalAveragePooling2D):
            rf, jump, whole_image = math.inf, math.inf, True
        elif isinstance(layer, (tf_keras.layers.Conv2D, tf_keras.layers.DepthwiseConv2D)):
            rf = rf + (effective_span(layer.kernel_size[0], layer.dilation_rate[0]) - 1) * jump
            jump = jump * layer.strides[0]
        elif type(layer).__name__ == "ResizeBilinear":
            jump = jump * (layer.input.shape[1] - 1) / max(layer.output.shape[1] - 1, 1)
        fields[layer.name] = (rf, jump, whole_image)
    return fields


def stage_layers(model) -> list:
    """(stage label, layer name) of the points a reader wants to see, in data-flow order."""
    names = {layer.name for layer in model.layers}
    stages = [
        ("stem", "Conv1_relu"),
        ("block 0", "expanded_conv_project_BN"),
        ("low-level features (decoder input)", "block_2_depthwise_relu"),
    ]
    for block in (2, 5, 9, 12, 15, 16):
        stages.append(
            (f"block {block}", f"block_{block}_add" if f"block_{block}_add" in names else f"block_{block}_project_BN")
        )
    stages += [
        ("ASPP image pooling", "aspp_image_pooling_conv_relu"),
        ("ASPP", "aspp_projection_relu"),
        ("ASPP v2 (summed logits)", "aspp_v2_sum"),
        ("decoder", "decoder_conv1_pointwise_relu"),
        ("logits", "logits"),
        ("output", "upsample_logits"),
    ]
    return [(label, name) for label, name in stages if name in names]


def summarize(model, config=None) -> dict:
    """What the model costs and sees, as a dict: parameters, multiply-accumulates (by part), input and output
    shapes, the largest dilation rate, and each stage's output shape, stride and receptive field.

    Args:
        model: the Keras DeepLab model.
        config: its DeepLabConfig, copied into the summary (None: left out).
    """
    fields = receptive_fields(model)
    macs = {"backbone": 0, "aspp": 0, "decoder": 0, "head": 0}
    dilations = {}
    for layer in model.layers:
        macs[part_of(layer.name)] += layer_macs(layer)
        if isinstance(layer, tf_keras.layers.DepthwiseConv2D):
            dilations[layer.name] = layer.dilation_rate[0]
    stages = []
    for label, name in stage_layers(model):
        layer = model.get_layer(name)
        rf, jump, whole_image = fields[name]
        stages.append(
            {
                "stage": label,
                "layer": name,
                "output_shape": list(layer.output.shape[1:]),
                "stride": None if math.isinf(jump) else round(jump),
                "receptive_field": None if math.isinf(rf) else int(rf),
                "sees_whole_image": whole_image,
            }
        )
    params = model.count_params()
    trainable = sum(int(w.shape.num_elements()) for w in model.trainable_weights)
    return {
        "name": model.name,
        "config": config.to_dict() if config is not None else None,
        "input_shape": list(model.input.shape[1:]),
        "output_shape": list(model.output.shape[1:]),
        "params": params,
        "trainable_params": trainable,
        "macs": sum(macs.values()),
        "macs_by_part": macs,
        "max_dilation_rate": max(dilations.values(), default=1),
        "stages": stages,
    }


def format_summary(summary: dict) -> str:
    """The summary as text: one header block, then one line per stage.

    Args:
        summary: summarize's result.
    """
    lines = [
        f"{summary['name']}: input {summary['input_shape']} -> output {summary['output_shape']}",
        f"parameters: {summary['params']:,} ({summary['trainable_params']:,} trainable)",
        f"multiply-accumulates: {summary['macs'] / 1e9:.3f} G ("
        + ", ".join(f"{part} {value / 1e9:.3f} G" for part, value in summary["macs_by_part"].items())
        + ")",
        "",
    ]
    rows = []
    for stage in summary["stages"]:
        shape = "x".join(str(v) for v in stage["output_shape"])
        rf = "" if stage["receptive_field"] is None else f"{stage['receptive_field']} px"
        rf = f"{rf} + pooling" if stage["sees_whole_image"] and rf else (rf or "whole image")
        stride = "-" if stage["stride"] is None else str(stage["stride"])
        rows.append([stage["stage"], stage["layer"], shape, stride, rf])
    table = text_table(["stage", "layer", "output shape", "stride", "receptive field"], rows, right=(3, 4))
    return "\n".join(lines) + "\n" + table

"""Import a published TF-DeepLab v3 MobileNet-v2 .tflite into our Keras builder, weights and all.

Google's mobile DeepLab v3 (research/deeplab, exported with TOCO) is a TF-slim graph: tensors named
MobilenetV2/expanded_conv_N/{expand,depthwise,project}, image_pooling, aspp0, concat_projection,
logits/semantic, with batch norm folded into each convolution's weights and bias. Two exports import:
- float32 (Google's DLv3 257): weights named e.g. MobilenetV2/Conv/weights, input (x - 127.5) / 127.5.
- uint8 from quantization-aware training (Coral's deeplabv3_mnv2_pascal_quant): TOCO joins the fused
  ops' names with ';' (MobilenetV2/Conv/Conv2D_Fold;MobilenetV2/Conv/weights_quant/FakeQuantWithMinMaxVars,
  bias MobilenetV2/Conv/BatchNorm_Fold/bias); the first name's scope is the layer. Weights (uint8) and
  biases (int32) are dequantized with each tensor's own scale and zero point; the uint8 input's
  parameters are the normalisation (scale 1/128, zero point 128: (x - 128) / 128). The activations
  stay float in Keras, so the import matches the .tflite up to its activation quantization only.

The structure is read from the file, never assumed: width from the last block's channels, output
stride from the feature map size, the dilation of every depthwise conv (checked against our atrous
schedule), the ASPP branches present, the resize convention (align_corners), and the classes from the logits.
Then every convolution is checked against its namesake in build_deeplab(config) (kind, shape,
stride, dilation, 'SAME' padding, fused activation) and copied:

- weights: TFLite stores convolutions as [out, h, w, in] and depthwise ones as [1, h, w, channels];
  Keras wants [h, w, in, out] and [h, w, channels, 1]: both are a transpose (1, 2, 3, 0).
- folded batch norm: our layers stay Conv + BatchNormalization (layer names unchanged, so ImageNet
  weights, tfmot and the rest of the toolkit treat the model as any other); each BN becomes the
  identity plus the folded bias: gamma 1, beta = bias, moving mean 0, moving variance 1 - epsilon,
  so that gamma / sqrt(variance + epsilon) = 1 to float rounding.

Anything the builder cannot express exactly (a decoder, atrous ASPP branches, other strides or
activations, float16 weights) is refused with one line naming it. This module reads a graph
already parsed (edge_deeplab.litert.tensors, the one place that imports LiteRT).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from edge_deeplab.errors import EdgeDeeplabError

STEM = "MobilenetV2/Conv"
LAST_PROJECT = "MobilenetV2/expanded_conv_16/project"
LOGITS = "logits/semantic"
#: TFLite's ActivationFunctionType values.
NONE, RELU, RELU6 = 0, 1, 3
#: TFLite's Padding value for 'SAME', the padding TF-slim uses everywhere (stride 2 included), which
#: Keras' padding="same" reproduces exactly.
SAME = 0
BATCH_NORM_EPSILON = 1e-3  # our builder's BatchNormalization epsilon
#: DeepLab's input normalisation, (x - 127.5) / 127.5 (research/deeplab/core/preprocess_utils).
DEEPLAB_MEAN = DEEPLAB_STD = (127.5, 127.5, 127.5)


def tensor_scope(tensor_name: str) -> str:
    """The TF-slim scope a weights tensor belongs to: MobilenetV2/Conv/weights -> MobilenetV2/Conv, and for
    TOCO's fused names the first one's, MobilenetV2/Conv/Conv2D_Fold;...FakeQuantWithMinMaxVars -> MobilenetV2/Conv."""
    return tensor_name.split(";", 1)[0].rsplit("/", 1)[0]


def tfslim_scope(keras_name: str) -> Optional[str]:
    """The TF-slim scope of one of our convolution layers, or None if TF-DeepLab v3 has no namesake."""
    if keras_name == "Conv1":
        return STEM
    match = re.fullmatch(r"expanded_conv_(depthwise|project)", keras_name)
    if match:
        return f"MobilenetV2/expanded_conv/{match.group(1)}"
    match = re.fullmatch(r"block_(\d+)_(expand|depthwise|project)", keras_name)
    if match:
        return f"MobilenetV2/expanded_conv_{match.group(1)}/{match.group(2)}"
    return {
        "aspp_image_pooling_conv": "image_pooling",
        "aspp0": "aspp0",
        "aspp_projection": "concat_projection",
        "logits": LOGITS,
    }.get(keras_name)


def expected_activation(keras_name: str) -> int:
    """The fused activation our layer of this name has: none for the logits and the linear projections, ReLU in
    the ASPP, ReLU6 in MobileNet-v2. An imported convolution must have the same.

    Args:
        keras_name: the layer's name in our model.

    Returns:
        TFLite's activation code: NONE (0), RELU (1) or RELU6 (3).
    """
    if keras_name == "logits" or keras_name.endswith("project"):
        return NONE
    return RELU if keras_name.startswith("aspp") else RELU6


@dataclasses.dataclass
class ImportReport:
    """What `model import` made of a .tflite file; str() says it in one line.

    Args:
        source: the .tflite file.
        config: the DeepLabConfig the file's structure gives.
        labels: the class names kept.
        logit_rows: the source logit row of each kept class.
        layers: the convolutions mapped.
        source_classes: the classes of the source model.
        weights: how the file stores its weights, e.g. "uint8 (dequantized)".
    """

    source: str
    config: object  # DeepLabConfig
    labels: tuple
    logit_rows: tuple  # the source logit row of each kept class
    layers: int  # convolutions mapped
    source_classes: int
    weights: str = "float32"  # how the file stores them, e.g. "uint8 (dequantized)"

    def structure(self) -> str:
        """The imported network in one line: width, input size, output stride, ASPP branches, upsampling
        convention, classes and weights.
        """
        c = self.config
        branches = ["image pooling", "1x1"] + [f"3x3 rate {r}" for r in c.atrous_rates_or_default]
        return (
            f"DeepLab v3, MobileNet-v2 width {c.depth_multiplier:g}, input {c.input_size[0]}x{c.input_size[1]}, "
            f"output stride {c.output_stride}, ASPP {c.aspp_channels} wide ({' + '.join(branches)}), "
            f"{'align_corners' if c.align_corners else 'half-pixel'} bilinear upsampling, "
            f"{self.source_classes} classes, {self.weights} weights"
        )

    def __str__(self):
        kept = ", ".join(f"{name}=row {row}" for name, row in zip(self.labels, self.logit_rows))
        if self.config.source_classes is not None:
            kept = (
                f"person=row {self.config.person_row}, background=the other {self.source_classes - 1} rows "
                "merged (every class but person)"
            )
        return f"imported {self.source}: {self.structure()}; {self.layers} convolutions mapped; classes kept: {kept}"


def _conv_ops(graph) -> dict:
    """TF-slim scope -> (op, weights name, bias name) for every CONV_2D / DEPTHWISE_CONV_2D."""
    convs = {}
    for op in graph.ops:
        if op.kind not in ("CONV_2D", "DEPTHWISE_CONV_2D") or len(op.inputs) < 2:
            continue
        weights = op.inputs[1]
        scope = tensor_scope(weights)
        convs[scope] = (op, weights, op.inputs[2] if len(op.inputs) > 2 else None)
    return convs


def read_structure(graph, classes: int = None) -> "DeepLabConfig":  # noqa: F821
    """The DeepLabConfig that describes a TF-DeepLab v3 graph exactly (refusing what it cannot)."""
    from edge_deeplab.model.backbone import atrous_schedule
    from edge_deeplab.model.config import DeepLabConfig

    name = graph.path
    convs = _conv_ops(graph)
    if STEM not in convs or LOGITS not in convs or LAST_PROJECT not in convs:
        missing = next(s for s in (STEM, LAST_PROJECT, LOGITS) if s not in convs)
        raise EdgeDeeplabError(
            f"{name} is not a TF-DeepLab MobileNet-v2 model (no {missing} convolution): "
            "only Google's DeepLab v3 MobileNet-v2 .tflite files import"
        )
    weights_kind(graph)  # refuses weights it cannot read as float
    decoder = [scope for scope in convs if scope.startswith("decoder")]
    if decoder:
        raise EdgeDeeplabError(
            f"{name} has a v3+ decoder ({decoder[0]}): only DeepLab v3 (no decoder) imports; "
            "build a v3+ with `edge-deeplab train --init-from` from an imported v3"
        )
    atrous = [scope for scope in convs if re.match(r"aspp[1-9]", scope)]
    if atrous:
        raise EdgeDeeplabError(
            f"{name} has atrous ASPP branches ({atrous[0]}): only TF-DeepLab's MobileNet-v2 "
            "ASPP (image pooling + 1x1) imports"
        )
    if len(graph.inputs) != 1 or len(graph.shapes[graph.inputs[0]]) != 4 or graph.shapes[graph.inputs[0]][3] != 3:
        raise EdgeDeeplabError(
            f"{name}: input {[graph.shapes[i] for i in graph.inputs]} is not one RGB image [1, height, width, 3]"
        )
    _, height, width, _ = graph.shapes[graph.inputs[0]]
    features = graph.shapes[convs[LAST_PROJECT][0].outputs[0]]
    output_stride = (height - 1) // max(features[1] - 1, 1)
    if output_stride not in (8, 16, 32) or (features[1] - 1) * output_stride + 1 != height:
        raise EdgeDeeplabError(
            f"{name}: features of {features[1]}x{features[2]} at input {height}x{width} give no "
            "output stride of 8, 16 or 32 (input sizes must be stride * n + 1)"
        )
    schedule = atrous_schedule(output_stride)
    for block, (stride, rate) in enumerate(schedule):
        scope = f"MobilenetV2/expanded_conv{f'_{block}' if block else ''}/depthwise"
        if scope not in convs:
            raise EdgeDeeplabError(f"{name}: no {scope} convolution: not the 17-block MobileNet-v2 of TF-DeepLab")
        options = convs[scope][0].options
        found = (options.get("strideH"), options.get("dilationHFactor", 1))
        if found != (stride, rate):
            raise EdgeDeeplabError(
                f"{name}: {scope} has stride {found[0]}, dilation {found[1]}, but output stride "
                f"{output_stride} gives stride {stride}, dilation {rate} (multi-grid models "
                "do not import)"
            )
    resizes = [op for op in graph.ops if op.kind == "RESIZE_BILINEAR"]
    if not resizes:
        raise EdgeDeeplabError(f"{name} upsamples its logits without RESIZE_BILINEAR: not a TF-DeepLab model")
    if any(op.options.get("halfPixelCenters") for op in resizes):
        align_corners = False
        if any(op.options.get("alignCorners") for op in resizes):
            raise EdgeDeeplabError(f"{name} mixes align_corners and half_pixel_centers resizes: cannot be built")
    else:
        align_corners = all(op.options.get("alignCorners") for op in resizes)
    for scope in ("image_pooling", "aspp0", "concat_projection"):
        if scope not in convs:
            raise EdgeDeeplabError(f"{name}: no {scope} convolution: not TF-DeepLab's MobileNet-v2 ASPP")
    depth_multiplier = graph.shapes[convs[LAST_PROJECT][1]][0] / 320
    # TF-DeepLab rounds channels to multiples of 8 only at width 1.0 (feature_extractor.py).
    divisible_by = 8 if depth_multiplier == 1.0 else 1
    try:
        return DeepLabConfig(
            num_classes=classes or graph.shapes[convs[LOGITS][1]][0],
            input_size=(height, width),
            depth_multiplier=depth_multiplier,
            divisible_by=divisible_by,
            output_stride=output_stride,
            atrous_rates=(),
            aspp_channels=graph.shapes[convs["aspp0"][1]][0],
            use_decoder=False,
            align_corners=align_corners,
        )
    except EdgeDeeplabError as error:
        raise EdgeDeeplabError(f"{name}: our builder cannot express this model ({error})") from None


def weights_kind(graph) -> str:
    """'float32' or e.g. 'uint8 (dequantized)': every convolution's weights and bias must be stored in the file,
    float32 or integers with their quantization parameters (anything else is refused, one line)."""
    kinds = set()
    for _, weights, bias in _conv_ops(graph).values():
        for tensor in (weights, bias):
            if tensor is None:
                continue
            dtype = graph.dtypes[tensor]
            if tensor not in graph.constants or dtype not in ("float32", "uint8", "int8", "int32"):
                raise EdgeDeeplabError(
                    f"{graph.path}: {tensor} is no stored float32 or 8-bit tensor ({dtype}; "
                    "float16 models compute it at run time): import the float32 or int8 model"
                )
            if dtype != "float32" and tensor not in graph.quantization:
                raise EdgeDeeplabError(
                    f"{graph.path}: {tensor} is {dtype} without a scale and zero point: cannot be dequantized"
                )
            if tensor == weights:
                kinds.add(dtype)
    if len(kinds) > 1:
        raise EdgeDeeplabError(
            f"{graph.path} mixes {' and '.join(sorted(kinds))} weights: import a model stored one way"
        )
    kind = kinds.pop()
    return kind if kind == "float32" else f"{kind} (dequantized)"


def input_normalisation(graph) -> tuple:
    """(mean, std) per RGB channel the model expects, read from its input: a float32 input is TF-DeepLab's
    (x - 127.5) / 127.5; a uint8 input takes the pixels themselves and means (q - zero point) * scale,
    i.e. mean = zero point, std = 1 / scale (Coral's: 128 and 128)."""
    tensor = graph.inputs[0]
    dtype = graph.dtypes[tensor]
    if dtype == "float32":
        return DEEPLAB_MEAN, DEEPLAB_STD
    if dtype == "uint8" and tensor in graph.quantization and graph.quantization[tensor][0].size == 1:
        scales, zero_points, _ = graph.quantization[tensor]
        return (float(zero_points[0]),) * 3, (float(1.0 / scales[0]),) * 3
    raise EdgeDeeplabError(
        f"{graph.path}: its input is {dtype} without one scale and zero point, so the pixel "
        "normalisation is unknown: import a model with float32 or quantized uint8 input"
    )


def class_rows(source_labels: Sequence[str], classes: Sequence[str] = None, label_config=None):
    """(kept class names, the source logit row of each) for --classes names or a --labels mapping."""
    if classes is None and label_config is None:
        return tuple(source_labels), tuple(range(len(source_labels)))
    if classes is not None:
        names = tuple(c.strip() for c in classes)
        unknown = [c for c in names if c not in source_labels]
        if unknown:
            raise EdgeDeeplabError(
                f"class {unknown[0]!r} is not one of the model's classes: choose from {', '.join(source_labels)}"
            )
        rows = tuple(source_labels.index(c) for c in names)
    else:
        names, rows = tuple(label_config.classes), []
        for index, target in enumerate(names):
            sources = [
                v
                for v in range(len(source_labels))
                if (label_config.lookup[v] if label_config.lookup is not None else v) == index
            ]
            if len(sources) == 1:
                rows.append(sources[0])
            elif target in source_labels and source_labels.index(target) in sources:
                rows.append(source_labels.index(target))  # e.g. background, also the target of "*"
            else:
                raise EdgeDeeplabError(
                    f"{label_config.source}: class {target!r} gathers "
                    f"{len(sources)} of the model's classes; keeping logits needs one source "
                    "class per kept class (map it once, or name it like a model class)"
                )
        rows = tuple(rows)
    if len(set(rows)) != len(rows) or len(rows) < 2:
        raise EdgeDeeplabError(f"classes {', '.join(names)} must be at least two distinct model classes")
    return names, rows


def import_graph(
    graph,
    classes: Sequence[str] = None,
    label_config=None,
    source_labels: Sequence[str] = None,
    input_size: Sequence[int] = None,
):
    """(tf_keras model, DeepLabConfig, ModelContract, ImportReport) for a parsed TF-DeepLab v3 graph.
    input_size (height, width) replaces the file's (e.g. Coral's 513): the weights do not depend on it."""
    from edge_deeplab.contract import ModelContract, person_class_of
    from edge_deeplab.data.labels import VOC_CLASSES
    from edge_deeplab.model.deeplab import build_deeplab

    full = read_structure(graph)
    mean, std = input_normalisation(graph)
    if source_labels is None:
        source_labels = (
            VOC_CLASSES
            if full.num_classes == len(VOC_CLASSES)
            else tuple(f"class_{i}" for i in range(full.num_classes))
        )
    labels, rows = class_rows(tuple(source_labels), classes, label_config)
    config, merge = _imported_config(full, labels, rows, label_config, input_size)
    model = build_deeplab(config, batch_size=None)
    used = _copy_conv_weights(graph, model, rows, merge)
    contract = ModelContract(
        labels=labels,
        input_height=config.input_size[0],
        input_width=config.input_size[1],
        mean=mean,
        std=std,
        person_class=person_class_of(labels),
    )
    report = ImportReport(graph.path, config, labels, rows, len(used), full.num_classes, weights_kind(graph))
    return model, config, contract, report


def _imported_config(full, labels: Sequence[str], rows: Sequence[int], label_config, input_size):
    """(DeepLabConfig, merge) of the model we build: the file's structure with the kept classes and, if given,
    another input size; merge: background + person kept out of more classes, the logits left whole."""
    config = full.replace(num_classes=len(rows))
    if input_size is not None:
        try:
            config = config.replace(input_size=tuple(input_size))
        except EdgeDeeplabError as error:
            raise EdgeDeeplabError(f"--input-size {'x'.join(map(str, input_size))}: {error}") from None
    # background + person out of more classes: background is every other class (config.py, MergeBackground)
    merge = (
        label_config is None
        and [label.lower() for label in labels] == ["background", "person"]
        and full.num_classes > 2
    )
    if merge:
        config = config.replace(source_classes=full.num_classes, person_row=rows[1])
    return config, merge


def _copy_conv_weights(graph, model, rows: Sequence[int], merge: bool) -> set:
    """Give every conv of `model` the weights of its TF-slim namesake in `graph` (the logits only the kept
    `rows`, unless merged); the scopes used. A conv either side without its namesake is refused: a partial
    copy would be a different network."""
    import tf_keras

    convs = _conv_ops(graph)
    used = set()
    for layer in model.layers:
        if not isinstance(layer, (tf_keras.layers.Conv2D, tf_keras.layers.DepthwiseConv2D)):
            continue
        scope = tfslim_scope(layer.name)
        if scope not in convs:
            raise EdgeDeeplabError(
                f"{graph.path}: our layer {layer.name} has no TF-slim namesake {scope}: "
                "not the DeepLab v3 this importer maps"
            )
        op, weights_name, bias_name = convs[scope]
        used.add(scope)
        depthwise = isinstance(layer, tf_keras.layers.DepthwiseConv2D)
        if op.kind != ("DEPTHWISE_CONV_2D" if depthwise else "CONV_2D"):
            raise EdgeDeeplabError(f"{graph.path}: {scope} is a {op.kind}, our {layer.name} is not")
        kernel = np.transpose(graph.float_constant(weights_name), (1, 2, 3, 0))
        channels = kernel.shape[2] if depthwise else kernel.shape[3]
        bias = graph.float_constant(bias_name) if bias_name else np.zeros(channels, np.float32)
        if layer.name == "logits" and not merge:
            kernel, bias = kernel[..., list(rows)], bias[list(rows)]
        _check_conv_matches(graph, scope, op, weights_name, layer, kernel)
        _set_conv_weights(model, layer, kernel, bias)
    unused = sorted(set(convs) - used)
    if unused:
        raise EdgeDeeplabError(
            f"{graph.path} has convolutions our DeepLab v3 has no place for ({', '.join(unused)}): "
            "it is not the model this importer maps"
        )
    return used


def _check_conv_matches(graph, scope: str, op, weights_name: str, layer, kernel: np.ndarray) -> None:
    """Refuse a TF-slim conv whose weights' shape, stride, dilation, padding or fused activation differ from our
    layer's, naming every difference."""
    expected = tuple(layer.weights[0].shape)
    options = op.options
    problems = []
    if kernel.shape != expected:
        problems.append(f"weights {tuple(graph.shapes[weights_name])} where we need {expected} (Keras layout)")
    if (options.get("strideH"), options.get("strideW")) != tuple(layer.strides):
        problems.append(f"stride {options.get('strideH')} where we use {layer.strides[0]}")
    if (options.get("dilationHFactor", 1), options.get("dilationWFactor", 1)) != tuple(layer.dilation_rate):
        problems.append(f"dilation {options.get('dilationHFactor', 1)} where we use {layer.dilation_rate[0]}")
    if options.get("padding") != SAME and max(layer.kernel_size) > 1:
        problems.append("VALID padding where TF-slim and we use SAME")
    if options.get("fusedActivationFunction", NONE) != expected_activation(layer.name):
        problems.append(
            f"activation {options.get('fusedActivationFunction')} where we apply "
            f"{expected_activation(layer.name)} (0 none, 1 ReLU, 3 ReLU6)"
        )
    if problems:
        raise EdgeDeeplabError(f"{graph.path}: {scope} does not match our {layer.name}: {'; '.join(problems)}")


def _set_conv_weights(model, layer, kernel: np.ndarray, bias: np.ndarray) -> None:
    """The kernel into `layer`; the TFLite bias into the layer's own bias or, where our conv has none, into its
    BatchNormalization as an identity transform plus that bias (TFLite folded the batch norm into the bias)."""
    if layer.use_bias:
        layer.set_weights([kernel, bias])
        return
    layer.set_weights([kernel])
    batch_norm = model.get_layer(f"{layer.name}_BN" if layer.name != "Conv1" else "bn_Conv1")
    ones = np.ones_like(bias, dtype=np.float32)
    # variance = 1 - epsilon, so that sqrt(variance + epsilon) = 1: the batch norm adds the bias and nothing else.
    batch_norm.set_weights([ones, bias.astype(np.float32), np.zeros_like(ones), ones - np.float32(batch_norm.epsilon)])


def import_tflite(path, output=None, classes: Sequence[str] = None, labels=None, input_size: Sequence[int] = None):
    """Read a TF-DeepLab v3 .tflite, map it onto build_deeplab and (with `output`) save the model folder.

    classes: names of the source classes to keep, in order (e.g. background, person); labels: a
    labels config (file, preset or dict; edge_deeplab.data.labels) naming the kept classes and which
    source class each comes from; input_size: (height, width) instead of the file's. Returns (model, config,
    contract, report)."""
    from edge_deeplab.data.labels import load_labels_config
    from edge_deeplab.litert.tensors import read_tflite

    if classes is not None and labels is not None:
        raise EdgeDeeplabError("give --classes or --labels, not both")
    graph = read_tflite(path)
    model, config, contract, report = import_graph(graph, classes, load_labels_config(labels), input_size=input_size)
    if output is not None:
        from edge_deeplab.model.saving import save_model

        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        save_model(
            model,
            config,
            contract,
            output,
            extra={
                "imported_from": {
                    "file": str(path),
                    "sha256": digest,
                    "structure": report.structure(),
                    "logit_rows": list(report.logit_rows),
                }
            },
        )
    return model, config, contract, report

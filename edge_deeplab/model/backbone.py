"""MobileNet-v2 (Sandler et al. 2018) as DeepLab's feature extractor, with atrous convolution.

Written out rather than taken from tf_keras.applications.MobileNetV2, which cannot dilate.
Layer names are Keras' own (Conv1, bn_Conv1, expanded_conv_*, block_N_expand / depthwise /
project[_BN]), so the official no-top ImageNet weights load by name.

Like tensorflow/models research/deeplab, the features end at the 320-channel layer (block 16);
Keras' final 1x1 Conv_1 to 1280 channels is not part of DeepLab's backbone.
"""

import tf_keras

# (expansion t, output channels c, stride s) of each inverted residual block, Table 2 of the paper.
INVERTED_RESIDUAL_BLOCKS = (
    (1, 16, 1),
    (6, 24, 2),
    (6, 24, 1),
    (6, 32, 2),
    (6, 32, 1),
    (6, 32, 1),
    (6, 64, 2),
    (6, 64, 1),
    (6, 64, 1),
    (6, 64, 1),
    (6, 96, 1),
    (6, 96, 1),
    (6, 96, 1),
    (6, 160, 2),
    (6, 160, 1),
    (6, 160, 1),
    (6, 320, 1),
)
#: The units of the last stage, which multi-grid rates apply to (DeepLab v3, section 3.2).
MULTI_GRID_BLOCKS = (14, 15, 16)
#: The stride-4 features the v3+ decoder refines with (DeepLab's 'layer_4/depthwise_output').
LOW_LEVEL_FEATURES = "block_2_depthwise_relu"
STEM_FILTERS = 32


def make_divisible(value, divisor=8):
    """Round channels to a multiple of `divisor` (8) as MobileNet-v2 does, never losing more than 10 %."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def atrous_schedule(output_stride, multi_grid=None):
    """(stride, dilation rate) of the stem and of each block under DeepLab's output_stride rule.

    Once the accumulated stride reaches output_stride, each further stride becomes 1 and the
    dilation rate of the layers after it is multiplied by that stride instead, so the feature
    map keeps its resolution while the layers keep their field of view
    (tensorflow/models research/slim/nets/mobilenet/mobilenet.py).
    """
    current_stride, rate = 2, 1  # the stride-2 stem
    schedule = []
    for block_id, (_, _, stride) in enumerate(INVERTED_RESIDUAL_BLOCKS):
        if current_stride == output_stride and stride > 1:
            layer_stride, layer_rate = 1, rate
            rate *= stride
        else:
            layer_stride, layer_rate = stride, rate
            current_stride *= stride
        if multi_grid is not None and block_id in MULTI_GRID_BLOCKS:
            layer_rate = rate * multi_grid[MULTI_GRID_BLOCKS.index(block_id)]
        schedule.append((layer_stride, layer_rate))
    return schedule


def inverted_residual_block(x, block_id, expansion, filters, stride, rate, depth_multiplier, momentum, divisible_by=8):
    """One MobileNet-v2 inverted residual block (Sandler et al. 2018): 1x1 expansion (not in block 0), 3x3
    depthwise convolution at `stride` and atrous `rate`, linear 1x1 projection, and the residual add when
    the shapes allow; Keras' layer names, so that its ImageNet weights load by name.

    Args:
        x: the block's input.
        block_id: the block's index (0 is Keras' "expanded_conv").
        expansion: the expansion factor of the 1x1 expansion.
        filters: the output channels at width 1.0.
        stride: the depthwise convolution's stride.
        rate: its dilation rate (atrous, once output_stride is reached).
        depth_multiplier: the network width (alpha).
        momentum: batch norm's moving-average momentum.
        divisible_by: channels are rounded to a multiple of this (Keras' rounding).

    Returns:
        (the block's output, the depthwise ReLU's output: the decoder's low-level features in block 2).
    """
    in_channels = x.shape[-1]
    out_channels = make_divisible(int(filters * depth_multiplier), divisible_by)  # Keras' rounding at 8
    prefix = f"block_{block_id}_" if block_id else "expanded_conv_"
    inputs = x
    if block_id:
        x = tf_keras.layers.Conv2D(expansion * in_channels, 1, padding="same", use_bias=False, name=prefix + "expand")(
            x
        )
        x = tf_keras.layers.BatchNormalization(epsilon=1e-3, momentum=momentum, name=prefix + "expand_BN")(x)
        x = tf_keras.layers.ReLU(6.0, name=prefix + "expand_relu")(x)
    # "same" padding also for stride 2: the same weights as Keras' explicit ZeroPadding2D, and
    # one PAD op fewer per stride in the exported graph.
    x = tf_keras.layers.DepthwiseConv2D(
        3, strides=stride, dilation_rate=rate, padding="same", use_bias=False, name=prefix + "depthwise"
    )(x)
    x = tf_keras.layers.BatchNormalization(epsilon=1e-3, momentum=momentum, name=prefix + "depthwise_BN")(x)
    x = depthwise_output = tf_keras.layers.ReLU(6.0, name=prefix + "depthwise_relu")(x)
    x = tf_keras.layers.Conv2D(out_channels, 1, padding="same", use_bias=False, name=prefix + "project")(x)
    x = tf_keras.layers.BatchNormalization(epsilon=1e-3, momentum=momentum, name=prefix + "project_BN")(x)
    if in_channels == out_channels and stride == 1:
        x = tf_keras.layers.Add(name=prefix + "add")([inputs, x])
    return x, depthwise_output


def mobilenet_v2_features(
    inputs, depth_multiplier=1.0, output_stride=16, multi_grid=None, momentum=0.9, divisible_by=8
):
    """Backbone features at output_stride and the stride-4 low-level features for the decoder."""
    x = tf_keras.layers.Conv2D(
        make_divisible(STEM_FILTERS * depth_multiplier, divisible_by),
        3,
        strides=2,
        padding="same",
        use_bias=False,
        name="Conv1",
    )(inputs)
    x = tf_keras.layers.BatchNormalization(epsilon=1e-3, momentum=momentum, name="bn_Conv1")(x)
    x = tf_keras.layers.ReLU(6.0, name="Conv1_relu")(x)
    low_level = None
    schedule = atrous_schedule(output_stride, multi_grid)
    for block_id, ((expansion, filters, _), (stride, rate)) in enumerate(zip(INVERTED_RESIDUAL_BLOCKS, schedule)):
        x, depthwise_output = inverted_residual_block(
            x, block_id, expansion, filters, stride, rate, depth_multiplier, momentum, divisible_by
        )
        if depthwise_output.name.startswith(LOW_LEVEL_FEATURES):
            low_level = depthwise_output
    return x, low_level

"""Atrous Spatial Pyramid Pooling (DeepLab v3, section 3.3; v3+, section 3.2).

Parallel branches over the backbone features: one 1x1 convolution, one depthwise-separable
atrous 3x3 convolution per rate, and image pooling (global average pooling, 1x1 convolution,
bilinear upsampling back), each with batch norm and ReLU; concatenated and projected by a
1x1 convolution. aspp_channels sets the width of every branch and of the projection. No rates
gives image pooling and the 1x1 branch alone, TF-DeepLab's ASPP for MobileNet-v2.

aspp_v2 is DeepLab v2's original form (Chen et al. 2017, section 3.3, "ASPP-L"): parallel plain 3x3
atrous convolutions at rates 6, 12, 18 and 24, each producing class logits directly, summed. No
batch norm, no image pooling, no 1x1 branch, no projection: the branches' outputs are the logits.
"""

import tf_keras

from edge_deeplab.model.layers import ResizeBilinear, conv_bn_relu, separable_conv_bn_relu


def aspp(features, atrous_rates, channels, momentum, dropout_rate, align_corners=False):
    """The v3+ ASPP over the backbone features (the module docstring says what each branch is).

    Args:
        features: the backbone's output at output_stride.
        atrous_rates: the rates of the separable 3x3 branches, one branch each (none: image pooling and 1x1 only).
        channels: the width of every branch and of the projection (aspp_channels).
        momentum: batch norm's moving-average momentum.
        dropout_rate: dropout after the projection (0: none).
        align_corners: the image-pooling upsampling's resize convention (True: align_corners, False: half-pixel).

    Returns:
        The projected ASPP output, `channels` wide, at the features' resolution.
    """
    height, width = features.shape[1], features.shape[2]
    # Image pooling: image-level context, the branch that stands in for the largest rates
    # when they would only see padding (v3, section 3.3).
    pooled = tf_keras.layers.GlobalAveragePooling2D(keepdims=True, name="aspp_image_pooling")(features)
    pooled = conv_bn_relu(pooled, channels, "aspp_image_pooling_conv", momentum)
    pooled = ResizeBilinear((height, width), align_corners, name="aspp_image_pooling_upsample")(pooled)

    branches = [pooled, conv_bn_relu(features, channels, "aspp0", momentum)]
    for index, rate in enumerate(atrous_rates, start=1):
        branches.append(separable_conv_bn_relu(features, channels, f"aspp{index}", momentum, dilation_rate=rate))

    x = tf_keras.layers.Concatenate(name="aspp_concat")(branches)
    x = conv_bn_relu(x, channels, "aspp_projection", momentum)
    if dropout_rate:
        x = tf_keras.layers.Dropout(dropout_rate, name="aspp_dropout")(x)
    return x


def aspp_v2(features, atrous_rates, num_classes):
    """DeepLab v2's ASPP: one 3x3 atrous convolution to logits per rate (with bias, as in the paper's
    Caffe model, since there is no batch norm to carry it), summed into the logits."""
    branches = [
        tf_keras.layers.Conv2D(num_classes, 3, padding="same", dilation_rate=rate, name=f"aspp_v2_rate{rate}")(features)
        for rate in atrous_rates
    ]
    if len(branches) == 1:
        return branches[0]
    # The sum is v2's fusion (its figure 4): each rate votes for every class, with no learned mixing.
    return tf_keras.layers.Add(name="aspp_v2_sum")(branches)

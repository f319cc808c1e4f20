"""The DeepLab v3+ decoder (section 3.1): refine the ASPP output with stride-4 features.

The low-level features are reduced to few channels (48) by a 1x1 convolution so that they do
not outweigh the rich encoder features, concatenated with the upsampled ASPP output, and
refined by two depthwise-separable 3x3 convolutions.
"""

import tf_keras

from edge_deeplab.model.layers import ResizeBilinear, conv_bn_relu, separable_conv_bn_relu


def decoder(encoder_output, low_level_features, low_level_channels, channels, momentum, align_corners=False):
    """The v3+ decoder (the module docstring says how it refines).

    Args:
        encoder_output: the ASPP output.
        low_level_features: the backbone's stride-4 features.
        low_level_channels: what the 1x1 convolution reduces them to (48 in the paper).
        channels: the width of the two separable 3x3 convolutions (decoder_channels).
        momentum: batch norm's moving-average momentum.
        align_corners: the upsampling's resize convention.

    Returns:
        The refined features, `channels` wide, at the low-level features' resolution.
    """
    low_level = conv_bn_relu(low_level_features, low_level_channels, "decoder_low_level", momentum)
    upsampled = ResizeBilinear(tuple(low_level.shape[1:3]), align_corners, name="decoder_upsample")(encoder_output)
    x = tf_keras.layers.Concatenate(name="decoder_concat")([upsampled, low_level])
    x = separable_conv_bn_relu(x, channels, "decoder_conv0", momentum)
    return separable_conv_bn_relu(x, channels, "decoder_conv1", momentum)

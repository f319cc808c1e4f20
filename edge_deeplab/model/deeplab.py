"""DeepLab v3+ (and v3) with a MobileNet-v2 backbone, built from a DeepLabConfig.

Data flow: image -> MobileNet-v2 (atrous after output_stride) -> ASPP -> [v3+ decoder with the
stride-4 features] -> 1x1 logits -> bilinear upsampling to the input size. With DeepLab v2's ASPP
(aspp_version "v2") its summed branches are the logits.

One flat functional model: no nested sub-model and no Lambda, so that tfmot can quantize
every layer and the converter sees each op (../shared/FIELD_NOTES.md).
"""

import tf_keras

from edge_deeplab.model.aspp import aspp, aspp_v2
from edge_deeplab.model.backbone import mobilenet_v2_features
from edge_deeplab.model.config import DeepLabConfig
from edge_deeplab.model.decoder import decoder
from edge_deeplab.model.layers import MergeBackground, ResizeBilinear

INPUT_NAME = "image"


def build_deeplab(config: DeepLabConfig, backbone_weights=None, batch_size=None) -> tf_keras.Model:
    """The Keras model for `config`; its input is the normalised image, its output logits.

    backbone_weights: None (random), "imagenet" (Keras' download) or the path of a Keras no-top
        MobileNet-v2 weights file (loaded by layer name; see edge_deeplab.model.weights).
    batch_size: None for training; 1 for export, where a fixed batch keeps dilated convolutions
        as dilated DEPTHWISE_CONV_2D instead of SPACE_TO_BATCH_ND, which GPU delegates reject.
    """
    height, width = config.input_size
    inputs = tf_keras.Input(shape=(height, width, 3), batch_size=batch_size, name=INPUT_NAME)
    features, low_level = mobilenet_v2_features(
        inputs,
        config.depth_multiplier,
        config.output_stride,
        config.multi_grid,
        config.batch_norm_momentum,
        config.divisible_by,
    )
    if config.aspp_version == "v2":
        x = aspp_v2(features, config.atrous_rates_or_default, config.num_classes)
    else:
        x = aspp(
            features,
            config.atrous_rates_or_default,
            config.aspp_channels,
            config.batch_norm_momentum,
            config.dropout_rate,
            config.align_corners,
        )
        rows = config.source_classes or config.num_classes
        encoder = x
        if config.use_decoder:
            x = decoder(
                x,
                low_level,
                config.low_level_channels,
                config.decoder_channels,
                config.batch_norm_momentum,
                config.align_corners,
            )
        if config.use_decoder and config.encoder_logits:
            # Score fusion (config.py): the encoder's logits, upsampled to the decoder's stride, plus the
            # decoder's, which start at zero, so the model starts as the encoder's v3 prediction.
            base = tf_keras.layers.Conv2D(rows, 1, padding="same", name="logits")(encoder)
            base = ResizeBilinear(tuple(x.shape[1:3]), config.align_corners, name="upsample_encoder_logits")(base)
            correction = tf_keras.layers.Conv2D(
                rows, 1, padding="same", kernel_initializer="zeros", name="decoder_logits"
            )(x)
            x = tf_keras.layers.Add(name="fused_logits")([base, correction])
        else:
            x = tf_keras.layers.Conv2D(rows, 1, padding="same", name="logits")(x)
        if config.source_classes is not None:  # an imported model's classes, background merged (config.py)
            x = MergeBackground(config.person_row, name="merge_background")(x)
    outputs = ResizeBilinear((height, width), config.align_corners, name="upsample_logits")(x)
    name = (
        "deeplab_v2_aspp" if config.aspp_version == "v2" else "deeplab_v3_plus" if config.use_decoder else "deeplab_v3"
    )
    model = tf_keras.Model(inputs, outputs, name=name)
    if backbone_weights is not None:
        from edge_deeplab.model.weights import load_backbone_weights

        model.backbone_report = load_backbone_weights(model, backbone_weights, config.depth_multiplier)
    return model

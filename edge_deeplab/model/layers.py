"""Layers shared by the backbone, ASPP and decoder.

Only layer kinds that tfmot's quantize_apply accepts and the mobile GPU delegate runs
(../shared/FIELD_NOTES.md): Conv2D, DepthwiseConv2D (dilations kept), BatchNormalization,
ReLU, Concatenate, GlobalAveragePooling2D(keepdims=True), and ResizeBilinear below.
"""

import tensorflow as tf
import tf_keras


@tf_keras.utils.register_keras_serializable(package="edge_deeplab")
class ResizeBilinear(tf_keras.layers.Layer):
    """Bilinear resize to a fixed (height, width).

    A layer of its own, not a Lambda or a raw tf.image.resize, because tfmot can annotate it
    (edge_deeplab/model/qat.py gives it a QuantizeConfig that quantizes nothing) and it serialises its
    size as integers. tf.image.resize uses half-pixel centres without align_corners, which
    converts to a RESIZE_BILINEAR that the GPU delegate accepts; align_corners=True (TF-DeepLab's
    convention, needed to reproduce its models) converts to one with align_corners alone, which
    the delegate accepts too.
    """

    def __init__(self, size, align_corners=False, **kwargs):
        super().__init__(**kwargs)
        self.size = (int(size[0]), int(size[1]))
        self.align_corners = bool(align_corners)

    def call(self, inputs):
        if self.align_corners:
            # The raw op: tf.compat.v1's wrapper does the same but prints a deprecation notice.
            resized = tf.raw_ops.ResizeBilinear(
                images=inputs, size=self.size, align_corners=True, half_pixel_centers=False
            )
            return tf.cast(resized, inputs.dtype)
        return tf.image.resize(inputs, self.size, method="bilinear")

    def compute_output_shape(self, input_shape):
        return tf.TensorShape([input_shape[0], self.size[0], self.size[1], input_shape[-1]])

    def get_config(self):
        return {**super().get_config(), "size": list(self.size), "align_corners": self.align_corners}


@tf_keras.utils.register_keras_serializable(package="edge_deeplab")
class MergeBackground(tf_keras.layers.Layer):
    """Logits of many classes -> two, person against everything else, exactly: background =
    log(sum of exp(every row but the person's)), person = its row; their softmax is the person
    probability of the full softmax. Written as max + log(sum(exp(x - max))) (REDUCE_MAX, SUB, EXP,
    SUM, LOG, ADD, ops the GPU delegate and int8 kernels run), not tf.reduce_logsumexp, whose
    infinity guards convert to ops the delegate rejects."""

    def __init__(self, person_row, **kwargs):
        super().__init__(**kwargs)
        self.person_row = int(person_row)

    def call(self, logits):
        row = self.person_row
        others = tf.concat([logits[..., :row], logits[..., row + 1 :]], axis=-1)
        top = tf.reduce_max(others, axis=-1, keepdims=True)
        rest = top + tf.math.log(tf.reduce_sum(tf.exp(others - top), axis=-1, keepdims=True))
        return tf.concat([rest, logits[..., row : row + 1]], axis=-1)

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(list(input_shape[:-1]) + [2])

    def get_config(self):
        return {**super().get_config(), "person_row": self.person_row}


def conv_bn_relu(x, filters, name, momentum, kernel_size=1, relu6=False):
    """1x1 (or kxk) convolution, batch norm, ReLU: the papers' basic unit."""
    x = tf_keras.layers.Conv2D(filters, kernel_size, padding="same", use_bias=False, name=name)(x)
    x = tf_keras.layers.BatchNormalization(epsilon=1e-3, momentum=momentum, name=f"{name}_BN")(x)
    return tf_keras.layers.ReLU(6.0 if relu6 else None, name=f"{name}_relu")(x)


def separable_conv_bn_relu(x, filters, name, momentum, dilation_rate=1):
    """Depthwise-separable 3x3 convolution (v3+, section 3.2): an atrous depthwise 3x3 and a
    pointwise 1x1, each followed by batch norm and ReLU.

    An atrous 3x3 has the parameters of a plain 3x3; its span is k + (k - 1)(r - 1).
    """
    x = tf_keras.layers.DepthwiseConv2D(
        3, padding="same", dilation_rate=dilation_rate, use_bias=False, name=f"{name}_depthwise"
    )(x)
    x = tf_keras.layers.BatchNormalization(epsilon=1e-3, momentum=momentum, name=f"{name}_depthwise_BN")(x)
    x = tf_keras.layers.ReLU(name=f"{name}_depthwise_relu")(x)
    return conv_bn_relu(x, filters, f"{name}_pointwise", momentum)

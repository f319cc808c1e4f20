"""Tiny tf_keras models for the converter tests, made by TFLiteConverter (see conftest.py)."""

import edge_deeplab  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)

SIZE = 33


def build_keras(batch_size=1, head="logits", depth_multiplier=1):
    """Conv (stride 2), a dilated (atrous) depthwise conv, 1x1 logits, bilinear resize back to the
    input size: the layer kinds of the DeepLab model, in miniature."""
    import tensorflow as tf
    import tf_keras

    from edge_deeplab.model.layers import ResizeBilinear

    tf_keras.utils.set_random_seed(0)
    inputs = tf_keras.Input(shape=(SIZE, SIZE, 3), batch_size=batch_size)
    x = tf_keras.layers.Conv2D(8, 3, strides=2, padding="same")(inputs)
    x = tf_keras.layers.ReLU(6.0)(x)
    x = tf_keras.layers.DepthwiseConv2D(3, padding="same", dilation_rate=2, depth_multiplier=depth_multiplier)(x)
    x = tf_keras.layers.ReLU()(x)
    x = tf_keras.layers.Conv2D(3, 1)(x)
    x = ResizeBilinear((SIZE, SIZE))(x)
    if head == "argmax_int64":
        # tf.argmax's default output type is int64: the GPU cannot run it.
        x = tf_keras.layers.Lambda(lambda t: tf.argmax(t, axis=-1))(x)
    return tf_keras.Model(inputs, x)


def convert(model) -> bytes:
    import tensorflow as tf

    return tf.lite.TFLiteConverter.from_keras_model(model).convert()


def op_names(path) -> list:
    """The builtin op names of a .tflite's main subgraph, in order."""
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model(str(path))
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    return [
        names[flatbuffer_utils.get_builtin_code_from_operator_code(model.operatorCodes[op.opcodeIndex])]
        for op in model.subgraphs[0].operators
    ]

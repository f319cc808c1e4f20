"""Quantization-aware training with tfmot (Jacob et al. 2018; tensorflow-model-optimization 0.8).

The recipe measured in ../shared/FIELD_NOTES.md: every resize layer is annotated with a
QuantizeConfig that quantizes nothing (tfmot has no rule for a custom layer, and a bilinear resize
of quantized values needs no fake-quant of its own); the rest of the model gets tfmot's default
8-bit scheme; quantize_apply runs inside quantize_scope with both registered. The result cannot be
saved in Keras' formats (.h5 reload fails on weight counts, .keras on variables), so a QAT model
is saved as weights and rebuilt: build float model -> quantize_deeplab -> load_weights.
"""

import tf_keras

from edge_deeplab.model.layers import MergeBackground, ResizeBilinear


def _tfmot():
    import tensorflow_model_optimization as tfmot

    return tfmot


def _no_op_config_class():
    tfmot = _tfmot()

    class NoOpQuantizeConfig(tfmot.quantization.keras.QuantizeConfig):
        """Quantize no weights, no activations, no output: resize layers pass values through."""

        def get_weights_and_quantizers(self, layer):
            return []

        def get_activations_and_quantizers(self, layer):
            return []

        def set_quantize_weights(self, layer, quantize_weights):
            pass

        def set_quantize_activations(self, layer, quantize_activations):
            pass

        def get_output_quantizers(self, layer):
            return []

        def get_config(self):
            return {}

    return NoOpQuantizeConfig


_NO_OP = None


def no_op_quantize_config():
    """The one NoOpQuantizeConfig (quantize nothing: resize layers pass values through), made on first use so
    that importing this module does not load tfmot.
    """
    global _NO_OP
    if _NO_OP is None:
        _NO_OP = _no_op_config_class()
    return _NO_OP


def quantize_scope():
    """The custom objects a QAT DeepLab needs, for quantize_apply and for cloning it."""
    from edge_deeplab.model.heads import ClassProbability, LabelMap

    config = no_op_quantize_config()
    return _tfmot().quantization.keras.quantize_scope(
        {
            "ResizeBilinear": ResizeBilinear,
            "MergeBackground": MergeBackground,
            "NoOpQuantizeConfig": config,
            "LabelMap": LabelMap,
            "ClassProbability": ClassProbability,
        }
    )


def quantize_deeplab(model):
    """The QAT version of a float DeepLab model, starting from its weights."""
    tfmot = _tfmot()
    annotate_layer = tfmot.quantization.keras.quantize_annotate_layer
    config = no_op_quantize_config()

    def annotate(layer):
        if isinstance(layer, (ResizeBilinear, MergeBackground)):
            return annotate_layer(layer, quantize_config=config())
        return annotate_layer(layer) if _quantizable(layer) else layer

    with quantize_scope():
        annotated = tf_keras.models.clone_model(model, clone_function=annotate)
        # clone_model makes fresh weights; the annotation wrappers keep their layer's weight order.
        annotated.set_weights(model.get_weights())
        return tfmot.quantization.keras.quantize_apply(annotated)


def _quantizable(layer):
    # Input layers are not annotated; every other layer of the DeepLab graph has a tfmot default rule.
    return not isinstance(layer, tf_keras.layers.InputLayer)


def batch_norm_layers(model) -> list:
    """The BatchNormalization layers of a model; in a QAT model, the ones inside their QuantizeWrapper."""
    return [
        inner
        for inner in (getattr(layer, "layer", layer) for layer in model.layers)
        if isinstance(inner, tf_keras.layers.BatchNormalization)
    ]


def freeze_batch_norm_statistics(model) -> int:
    """Freeze the moving statistics of every batch norm of `model`: from now on each normalises with
    its moving mean and variance and stops updating them, whatever the `training` flag, while its
    scale and offset keep learning. That is the QAT recipe of the TF quantization whitepaper and of
    TF-DeepLab after a warm-up: the fake-quantized ranges then see what inference computes.

    Done by making each layer's call run in inference mode (tfmot's QuantizeWrapper calls the wrapped
    layer's `call` with the `training` flag). Not `trainable = False`: that would move gamma and beta to
    the non-trainable weights, and the saved weights file (.h5, by order) would no longer load into a
    freshly built model. A tf.function that trains the model must be traced again. Returns how many
    layers were frozen."""
    layers = batch_norm_layers(model)
    for layer in layers:
        if not getattr(layer, "_edge_deeplab_frozen", False):
            layer.call = _inference_call(layer.call)
            layer._edge_deeplab_frozen = True
    return len(layers)


def _inference_call(call):
    def frozen_call(inputs, training=None, **kwargs):
        return call(inputs, training=False, **kwargs)

    return frozen_call


def init_activation_ranges(model, images, batch_size: int = 8) -> int:
    """Set the QAT model's activation ranges to the min/max its float activations reach on `images`.

    tfmot starts every activation quantizer at [-6, 6] and moves it by an EMA with decay 0.999: after
    the few hundred steps of a QAT fine-tune the ranges are still mostly that guess, not the model's.
    This is min/max calibration, as the TFLite converter calibrates post-training int8 on its
    representative set: give it the same images. The model runs in inference mode (batch norm on its
    moving statistics, no dropout) with activations passed through unquantized while their ranges are
    recorded (weights quantized from their current values, the input layer's range recorded too).
    Returns how many activation ranges were set."""
    import numpy as np
    import tensorflow as tf
    from tensorflow_model_optimization.python.core.quantization.keras import quant_ops

    moving_average, last_value, all_values = (
        quant_ops.MovingAvgQuantize,
        quant_ops.LastValueQuantize,
        quant_ops.AllValuesQuantize,
    )
    seen = set()

    def record(
        inputs,
        min_var,
        max_var,
        per_channel=False,
        ema_decay=0.999,
        name_prefix="MovingAvgQuantize",
        is_training=True,
        num_bits=8,
        narrow_range=False,
        symmetric=False,
    ):
        if per_channel or symmetric:  # not in tfmot's default 8-bit activation scheme: its own training update
            return moving_average(
                inputs,
                min_var,
                max_var,
                per_channel=per_channel,
                ema_decay=ema_decay,
                name_prefix=name_prefix,
                is_training=True,
                num_bits=num_bits,
                narrow_range=narrow_range,
                symmetric=symmetric,
            )
        low = tf.minimum(tf.reduce_min(inputs), 0.0)  # TFLite needs 0 inside every range
        high = tf.maximum(tf.reduce_max(inputs), 0.0)
        key = min_var.ref()
        if key in seen:
            low, high = tf.minimum(low, min_var), tf.maximum(high, max_var)
        seen.add(key)
        min_var.assign(low)
        max_var.assign(high)
        return inputs

    def training_mode(function):
        return lambda *args, **kwargs: function(*args, **{**kwargs, "is_training": True})

    quant_ops.MovingAvgQuantize = record
    quant_ops.LastValueQuantize = training_mode(last_value)
    quant_ops.AllValuesQuantize = training_mode(all_values)
    try:
        images = np.asarray(images, np.float32)
        for start in range(0, len(images), batch_size):
            model(tf.constant(images[start : start + batch_size]), training=False)  # eager: the patches apply
    finally:
        quant_ops.MovingAvgQuantize, quant_ops.LastValueQuantize, quant_ops.AllValuesQuantize = (
            moving_average,
            last_value,
            all_values,
        )
    return len(seen)

"""Quantization-aware training with tfmot (Jacob et al. 2018; tensorflow-model-optimization 0.8).

The recipe measured in ../shared/FIELD_NOTES.md: every resize layer is annotated with a
QuantizeConfig that quantizes nothing (tfmot has no rule for a custom layer, and a bilinear resize
of quantized values needs no fake-quant of its own); the rest of the model gets tfmot's default
8-bit scheme; quantize_apply runs inside quantize_scope with both registered. The result cannot be
saved in Keras' formats (.h5 reload fails on weight counts, .keras on variables), so a QAT model
is saved as weights and rebuilt: build float model -> quantize_deeplab -> load_weights.
"""
import tf_keras

from edge_deeplab.model.layers import ResizeBilinear


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
    global _NO_OP
    if _NO_OP is None:
        _NO_OP = _no_op_config_class()
    return _NO_OP


def quantize_scope():
    """The custom objects a QAT DeepLab needs, for quantize_apply and for cloning it."""
    from edge_deeplab.model.heads import ClassProbability, LabelMap

    config = no_op_quantize_config()
    return _tfmot().quantization.keras.quantize_scope({
        "ResizeBilinear": ResizeBilinear, "NoOpQuantizeConfig": config,
        "LabelMap": LabelMap, "ClassProbability": ClassProbability})


def quantize_deeplab(model):
    """The QAT version of a float DeepLab model, starting from its weights."""
    tfmot = _tfmot()
    annotate_layer = tfmot.quantization.keras.quantize_annotate_layer
    config = no_op_quantize_config()

    def annotate(layer):
        if isinstance(layer, ResizeBilinear):
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

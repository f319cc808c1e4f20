"""Output heads added at export: what the app receives from the model's single output tensor.

logits        [1, H, W, C] float   the network's raw output
probabilities [1, H, W, C] float   softmax over classes
label_map     [1, H, W]    int32   argmax; int32 because an INT64 ARG_MAX is rejected by GPU delegates
person_alpha  [1, H, W, 1] float   softmax probability of the person class (portrait mode's matte)

Layers of their own, registered, not Lambdas: they serialise, and the converter sees plain ops.
"""

import tensorflow as tf
import tf_keras

from edge_deeplab.errors import EdgeDeeplabError


@tf_keras.utils.register_keras_serializable(package="edge_deeplab")
class LabelMap(tf_keras.layers.Layer):
    """The label_map head: the class id of each pixel, argmax over the logits' last axis, int32."""

    def call(self, logits):
        return tf.argmax(logits, axis=-1, output_type=tf.int32)


@tf_keras.utils.register_keras_serializable(package="edge_deeplab")
class ClassProbability(tf_keras.layers.Layer):
    """Softmax probability of one class, keeping a channel axis: [1, H, W, 1]."""

    def __init__(self, class_index, **kwargs):
        super().__init__(**kwargs)
        self.class_index = int(class_index)

    def call(self, logits):
        probabilities = tf.nn.softmax(logits, axis=-1)
        return probabilities[..., self.class_index : self.class_index + 1]

    def get_config(self):
        return {**super().get_config(), "class_index": self.class_index}


def with_head(model, output_kind: str, person_class=None):
    """`model` (logits out) with the head of `output_kind` on top, as one flat Keras model."""
    logits = model.output
    if output_kind == "logits":
        return model
    if output_kind == "probabilities":
        out = tf_keras.layers.Softmax(axis=-1, name="probabilities")(logits)
    elif output_kind == "label_map":
        out = LabelMap(name="label_map")(logits)
    elif output_kind == "person_alpha":
        if person_class is None:
            raise EdgeDeeplabError("output kind person_alpha needs a class named 'person' in the model's labels")
        out = ClassProbability(person_class, name="person_alpha")(logits)
    else:
        raise EdgeDeeplabError(
            f"output kind {output_kind!r} is unknown: choose logits, probabilities, label_map or person_alpha"
        )
    return tf_keras.Model(model.input, out, name=f"{model.name}_{output_kind}")

"""Real, tiny TFLite segmentation models for the Android tests, made by TFLiteConverter from tf_keras.

Each carries its edge-deeplab contract in the `edge_deeplab_contract` metadata buffer, as exported
models do. `embed_contract` uses edge_deeplab.contract.embed_contract when the converters provide it;
until then it writes the buffer itself with LiteRT's flatbuffer tools.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import edge_deeplab  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
from edge_deeplab.contract import TFLITE_METADATA_NAME, ModelContract

LABELS = ("background", "person", "cat")
SIZE = 16


def embed_contract(tflite: bytes, contract: ModelContract) -> bytes:
    """The model with the contract JSON added as a named metadata buffer (the project's own
    edge_deeplab.contract.embed_contract where it exists, so the tests use what exports use)."""
    from edge_deeplab import contract as contract_module

    official = getattr(contract_module, "embed_contract", None)
    if official is not None:
        return official(tflite, contract)
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model_from_bytearray(bytearray(tflite))
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(contract.to_json().encode("utf-8"), dtype=np.uint8)
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = TFLITE_METADATA_NAME
    entry.buffer = len(model.buffers) - 1
    model.metadata = (model.metadata or []) + [entry]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def _backbone(classes: int, contract: ModelContract, batch=1):
    """Two convs and a 1x1 classifier whose biases are centred on random images, so every class
    (and, for one channel, both sides of 0.5) occurs in the outputs the tests compare."""
    import tf_keras

    inputs = tf_keras.Input(shape=(SIZE, SIZE, 3), batch_size=batch)
    x = tf_keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    x = tf_keras.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    classifier = tf_keras.layers.Conv2D(classes, 1)
    logits = classifier(x)
    images = contract.normalize(np.random.default_rng(1).integers(0, 256, size=(4, SIZE, SIZE, 3)))
    scores = tf_keras.Model(inputs, logits).predict(images, batch_size=1, verbose=0)
    kernel, bias = classifier.get_weights()
    classifier.set_weights([kernel, bias - np.median(scores.reshape(-1, classes), axis=0)])
    return inputs, logits


def _keras_model(head: str, seed: int, contract: ModelContract, batch=1):
    import tensorflow as tf
    import tf_keras

    tf_keras.utils.set_random_seed(seed)
    inputs, logits = _backbone(1 if head == "sigmoid" else len(LABELS), contract, batch)
    if head == "softmax":
        outputs = tf_keras.layers.Softmax()(logits)
    elif head == "argmax":
        outputs = tf_keras.layers.Lambda(lambda t: tf.argmax(t, axis=-1, output_type=tf.int32))(logits)
    elif head == "sigmoid":
        outputs = tf_keras.layers.Activation("sigmoid")(logits)
    else:
        outputs = logits
    return tf_keras.Model(inputs, outputs)


def _representative(contract: ModelContract):
    rng = np.random.default_rng(0)

    def data():
        for _ in range(8):
            rgb = rng.integers(0, 256, size=(1, SIZE, SIZE, 3)).astype(np.float32)
            yield [contract.normalize(rgb).astype(np.float32)]

    return data


def convert(model, contract: ModelContract, io_type=None) -> bytes:
    """float model, or full-integer int8 with `io_type` (tf.int8 / tf.uint8) inputs and outputs."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if io_type is not None:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = _representative(contract)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = io_type
        converter.inference_output_type = io_type
    return converter.convert()


def build(out_dir: Path) -> dict[str, tuple[Path, ModelContract]]:
    """name -> (.tflite path, contract), one model per output kind and quantisation case."""
    import tensorflow as tf

    out_dir.mkdir(parents=True, exist_ok=True)
    deeplab_norm = dict(mean=(127.5,) * 3, std=(127.5,) * 3)
    cases = {
        # name: (head, io_type, contract)
        "logits-f32": (
            "logits",
            None,
            ModelContract(LABELS, SIZE, SIZE, output_kind="logits", person_class=1, **deeplab_norm),
        ),
        "logits-int8": (
            "logits",
            tf.int8,
            ModelContract(LABELS, SIZE, SIZE, output_kind="logits", person_class=1, **deeplab_norm),
        ),
        "probabilities-f32": (
            "softmax",
            None,
            ModelContract(LABELS, SIZE, SIZE, output_kind="probabilities", person_class=None, **deeplab_norm),
        ),
        "probabilities-int8": (
            "softmax",
            tf.int8,
            ModelContract(LABELS, SIZE, SIZE, output_kind="probabilities", person_class=1, **deeplab_norm),
        ),
        "label-map-i32": (
            "argmax",
            None,
            ModelContract(LABELS, SIZE, SIZE, output_kind="label_map", person_class=1, **deeplab_norm),
        ),
        "alpha-uint8": (
            "sigmoid",
            tf.uint8,
            ModelContract(
                ("background", "person"),
                SIZE,
                SIZE,
                output_kind="person_alpha",
                person_class=1,
                mean=(0.0, 0.0, 0.0),
                std=(255.0, 255.0, 255.0),
            ),
        ),
    }
    built = {}
    for seed, (name, (head, io_type, contract)) in enumerate(cases.items()):
        tflite = embed_contract(convert(_keras_model(head, seed, contract), contract, io_type), contract)
        path = out_dir / f"{name}.tflite"
        path.write_bytes(tflite)
        built[name] = (path, contract)
    return built


def dynamic_batch_model(out_dir: Path) -> tuple[Path, ModelContract]:
    """A model converted with batch None (shape signature -1): the app must refuse it."""
    contract = ModelContract(LABELS, SIZE, SIZE, output_kind="logits", person_class=1)
    tflite = embed_contract(convert(_keras_model("logits", 0, contract, batch=None), contract), contract)
    path = out_dir / "dynamic-batch.tflite"
    path.write_bytes(tflite)
    return path, contract

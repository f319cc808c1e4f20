"""Runners: Google's golden vector, our .tflite in every I/O type, a Keras model, and bad models."""

import numpy as np
import pytest

from edge_deeplab.contract import ModelContract
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab import peers
from edge_deeplab.evaluate import inference, runners

SIZE = 16
CONTRACT = ModelContract(labels=("background", "person"), input_height=SIZE, input_width=SIZE, person_class=1)


# ---- peers -------------------------------------------------------------------------------------


def test_deeplab_runner_reproduces_googles_golden_mask(shared):
    import cv2

    folder = shared / "peers" / "deeplabv3-mnv2-dm05-voc"
    runner = runners.peer_runner("peer:deeplabv3-voc", threads=2)
    rgb = cv2.cvtColor(cv2.imread(str(folder / "golden_input.jpg")), cv2.COLOR_BGR2RGB)
    golden = cv2.imread(str(folder / "golden_mask_x10.png"), cv2.IMREAD_UNCHANGED) // 10
    predicted = np.argmax(inference.predict_probabilities(runner, rgb), axis=-1)
    agreement = float(np.mean(predicted == golden))
    assert set(np.unique(golden)) >= {0, 15}  # the vector holds a person, so this tests class 15
    assert agreement >= 0.999, f"{agreement:.5f} of the pixels agree with Google's golden mask"


def test_peers_are_described_by_their_publishers_preprocessing(shared):
    deeplab = runners.peer_runner("peer:deeplabv3-voc", threads=1)
    selfie = runners.peer_runner("peer:mediapipe-selfie", threads=1)
    assert (deeplab.format, selfie.format) == ("tflite fp32", "tflite fp16")
    assert deeplab.contract.labels[15] == "person" and deeplab.contract.std == (127.5,) * 3
    assert selfie.contract.output_kind == "person_alpha" and selfie.contract.std == (255.0,) * 3
    # the selfie model returns a probability: all of a plain white frame scores between 0 and 1
    alpha = selfie.forward(np.full((256, 256, 3), 255, np.uint8))
    assert alpha.shape == (256, 256, 1) and 0.0 <= alpha.min() and alpha.max() <= 1.0


def test_unknown_peer_and_a_tflite_without_contract_stop_with_one_line(shared):
    with pytest.raises(EdgeDeeplabError, match="unknown peer; choose one of peer:deeplabv3-voc"):
        peers.resolve_peer("peer:nope")
    with pytest.raises(EdgeDeeplabError) as error:
        runners.open_runner(str(shared / "peers" / "mediapipe-selfie" / "selfie_segmentation.tflite"))
    assert "carries no edge-deeplab contract" in str(error.value) and "\n" not in str(error.value)


def test_a_file_that_is_no_tflite_is_refused(tmp_path):
    fake = tmp_path / "model.tflite"
    fake.write_bytes(b"not a flatbuffer at all")
    with pytest.raises(EdgeDeeplabError, match="model.tflite: "):
        runners.TfliteRunner(fake, contract=CONTRACT)


# ---- our models: a tiny tf_keras model, converted ----------------------------------------------------


def _tiny_model():
    import tf_keras

    tf_keras.utils.set_random_seed(0)
    inputs = tf_keras.Input(shape=(SIZE, SIZE, 3), batch_size=1)
    features = tf_keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    return tf_keras.Model(inputs, tf_keras.layers.Conv2D(2, 1)(features))


def _images(count=8):
    return [np.random.default_rng(i).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8) for i in range(count)]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The Keras model and its .tflite conversions: fp32, and int8 with float, int8 and uint8 I/O."""
    import tensorflow as tf

    model = _tiny_model()
    folder = tmp_path_factory.mktemp("tiny")

    def convert(name, io_type=None, int8=False):
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
        if int8:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = lambda: ([CONTRACT.normalize(i)[None]] for i in _images(16))
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if io_type is not None:
            converter.inference_input_type = converter.inference_output_type = io_type
        path = folder / f"{name}.tflite"
        path.write_bytes(converter.convert())
        return path

    return model, {
        "fp32": convert("fp32"),
        "int8": convert("int8", int8=True),
        "int8-io": convert("int8-io", tf.int8, int8=True),
        "uint8-io": convert("uint8-io", tf.uint8, True),
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    "variant, expected_format, tolerance",
    [
        ("fp32", "tflite fp32", 1e-4),
        ("int8", "tflite int8", 0.05),
        ("int8-io", "tflite int8, int8 I/O", 0.05),
        ("uint8-io", "tflite int8, uint8 I/O", 0.05),
    ],
)
def test_tflite_runner_matches_keras_in_every_io_type(tiny, variant, expected_format, tolerance):
    model, paths = tiny
    runner = runners.TfliteRunner(paths[variant], contract=CONTRACT)
    assert runner.format == expected_format
    spread = 0.0
    for rgb in _images(4):
        expected = model(CONTRACT.normalize(rgb)[None]).numpy()[0]
        got = runner.forward(rgb)
        assert got.dtype == np.float32 and got.shape == expected.shape
        spread = max(spread, float(np.abs(got - expected).max() / (np.ptp(expected) + 1e-9)))
    assert spread <= tolerance, f"{variant}: worst difference {spread:.3f} of the output range"
    assert len(runner.invoke_ms) == 4 and runners.median_latency_ms(runner) > 0


@pytest.mark.slow
def test_keras_runner_runs_the_model_and_checks_its_contract(tiny):
    model, _ = tiny
    runner = runners.KerasRunner(model, CONTRACT, name="tiny")
    rgb = _images(1)[0]
    assert np.allclose(runner.forward(rgb), model(CONTRACT.normalize(rgb)[None]).numpy()[0], atol=1e-6)
    three = ModelContract(labels=("background", "person", "cat"), input_height=SIZE, input_width=SIZE)
    with pytest.raises(EdgeDeeplabError, match="does not hold 3 class scores"):
        runners.KerasRunner(model, three, name="tiny")
    wrong_size = ModelContract(labels=("background", "person"), input_height=32, input_width=32)
    with pytest.raises(EdgeDeeplabError, match="input is 16x16 but its contract says 32x32"):
        runners.KerasRunner(model, wrong_size, name="tiny")


@pytest.mark.slow
def test_saved_keras_model_loads_with_its_contract_beside_it(tiny, tmp_path):
    model, _ = tiny
    path = tmp_path / "tiny.h5"
    model.save(path)
    with pytest.raises(EdgeDeeplabError, match="no contract found beside the model"):
        runners.open_runner(str(path))
    (tmp_path / "tiny.contract.json").write_text(CONTRACT.to_json())
    runner = runners.open_runner(str(path))
    assert runner.format == "keras fp32" and runner.contract == CONTRACT and runner.size_bytes == path.stat().st_size


@pytest.mark.slow
def test_tflite_runner_reads_the_contract_stored_in_the_model(tiny, tmp_path):
    from edge_deeplab import contract as contract_module

    if not hasattr(contract_module, "embed_contract"):
        pytest.skip("edge_deeplab.contract.embed_contract has not landed yet")
    _, paths = tiny
    stored = ModelContract(
        labels=("background", "person"),
        input_height=SIZE,
        input_width=SIZE,
        mean=(0.0,) * 3,
        std=(255.0,) * 3,
        person_class=1,
    )
    path = tmp_path / "with-contract.tflite"
    path.write_bytes(contract_module.embed_contract(paths["uint8-io"].read_bytes(), stored))
    runner = runners.open_runner(str(path))
    assert runner.contract == stored and runner.format == "tflite int8, uint8 I/O"

"""The model's contract travels inside the .tflite as a named metadata buffer."""

import edge_deeplab  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)

import numpy as np
import pytest

from converter_models import SIZE
from edge_deeplab.contract import TFLITE_METADATA_NAME, ModelContract
from edge_deeplab.litert.flatbuffer import embed_contract, load_tflite_bytes, read_tflite_contract
from edge_deeplab.errors import EdgeDeeplabError

CONTRACT = ModelContract(
    labels=("background", "person", "cat"),
    input_height=SIZE,
    input_width=SIZE,
    mean=(0.0, 0.0, 0.0),
    std=(255.0, 255.0, 255.0),
    output_kind="logits",
    person_class=1,
)


def _metadata_names(data: bytes) -> list:
    from ai_edge_litert import schema_py_generated as schema

    model = schema.Model.GetRootAs(data, 0)
    return [model.Metadata(i).Name().decode() for i in range(model.MetadataLength())]


def _outputs(data: bytes) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=data)
    runner = interpreter.get_signature_runner()
    image = np.random.default_rng(0).uniform(-1, 1, (1, SIZE, SIZE, 3)).astype(np.float32)
    return next(iter(runner(**{next(iter(runner.get_input_details())): image}).values()))


@pytest.mark.slow
def test_contract_round_trips_through_the_tflite(tiny_tflite, tmp_path):
    path = tmp_path / "with-contract.tflite"
    path.write_bytes(embed_contract(tiny_tflite["friendly"].read_bytes(), CONTRACT))
    assert read_tflite_contract(path) == CONTRACT
    assert read_tflite_contract(str(path)) == CONTRACT  # str paths too, as the CLI passes them


@pytest.mark.slow
def test_embedding_leaves_the_graph_untouched(tiny_tflite):
    original = tiny_tflite["friendly"].read_bytes()
    embedded = embed_contract(original, CONTRACT)
    # The converter's own metadata (min_runtime_version, ...) stays; ours is added.
    assert set(_metadata_names(original)) | {TFLITE_METADATA_NAME} == set(_metadata_names(embedded))
    np.testing.assert_array_equal(_outputs(original), _outputs(embedded))


@pytest.mark.slow
def test_embedding_again_replaces_the_contract(tiny_tflite, tmp_path):
    first = embed_contract(tiny_tflite["friendly"].read_bytes(), CONTRACT)
    changed = CONTRACT.with_output_kind("probabilities")
    second = embed_contract(first, changed)
    assert _metadata_names(second).count(TFLITE_METADATA_NAME) == 1
    path = tmp_path / "again.tflite"
    path.write_bytes(second)
    assert read_tflite_contract(path) == changed


@pytest.mark.slow
def test_a_model_without_contract_reads_as_none(tiny_tflite):
    assert read_tflite_contract(tiny_tflite["friendly"]) is None


def test_missing_file_is_a_one_line_error(tmp_path):
    path = tmp_path / "absent.tflite"
    for call in (load_tflite_bytes, read_tflite_contract):
        with pytest.raises(EdgeDeeplabError, match="model file not found") as caught:
            call(path)
        assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_file_that_is_not_tflite_is_a_one_line_error(tmp_path):
    path = tmp_path / "notes.tflite"
    path.write_text("these are notes, not a model")
    for call in (load_tflite_bytes, read_tflite_contract):
        with pytest.raises(EdgeDeeplabError, match="not a TFLite model") as caught:
            call(path)
        assert "\n" not in str(caught.value)
    with pytest.raises(EdgeDeeplabError, match="not a TFLite model"):
        embed_contract(b"not a model", CONTRACT)


def test_a_damaged_flatbuffer_is_a_one_line_error(tmp_path):
    path = tmp_path / "damaged.tflite"
    path.write_bytes(b"\x10\x00\x00\x00TFL3" + b"\xff" * 64)  # the identifier, then garbage
    with pytest.raises(EdgeDeeplabError, match="damaged"):
        read_tflite_contract(path)

"""`edge-deeplab export-android MODEL`: a valid model lands in the demo's assets; anything the app
would refuse is refused here with one line naming the problem and the fix, and nothing is written."""
import json
import shutil

import pytest
from click.testing import CliRunner

import tiny_models
from android_tools import DEMO
from edge_deeplab.cli import main
from edge_deeplab.contract import TFLITE_METADATA_NAME, ModelContract
from edge_deeplab.deploy.android import CONTRACT_ASSET, MODEL_ASSET, export_android
from edge_deeplab.litert.flatbuffer import contract_text
from edge_deeplab.errors import EdgeDeeplabError

pytestmark = pytest.mark.slow  # converts tiny models


@pytest.fixture
def app(tmp_path):
    """A copy of the real demo project (small: sources and resources, no build output)."""
    copy = tmp_path / "android_demo"
    shutil.copytree(DEMO, copy, ignore=shutil.ignore_patterns("build", ".gradle", "*.tflite", "contract.json"))
    return copy


def assets(app):
    return app / "app/src/main/assets"


def run(*args):
    result = CliRunner().invoke(main, ["export-android", *map(str, args)])
    return result.exit_code, result.output


def assert_refused(app, args, *fragments):
    code, output = run(*args)
    assert code == 1, output
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    written = list(assets(app).iterdir()) if assets(app).exists() else []
    assert written == [], f"files left behind: {written}"


def with_contract(tmp_path, source, contract, name):
    """A copy of `source` whose embedded contract is replaced by `contract`."""
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model_from_bytearray(bytearray(source.read_bytes()))
    model.metadata = [m for m in model.metadata or [] if m.name.decode() != TFLITE_METADATA_NAME]
    stripped = bytes(flatbuffer_utils.convert_object_to_bytearray(model))
    path = tmp_path / name
    path.write_bytes(tiny_models.embed_contract(stripped, contract) if contract is not None else stripped)
    return path


def test_installs_the_model_and_its_contract(app, tiny_tflite):
    path, contract = tiny_tflite["logits-int8"]
    code, output = run(path, "--app", app)
    assert code == 0, output
    installed = assets(app) / MODEL_ASSET
    assert installed.read_bytes() == path.read_bytes()
    assert ModelContract.from_json((assets(app) / CONTRACT_ASSET).read_text()) == contract
    assert contract_text(installed.read_bytes()) == contract.to_json()
    assert sorted(p.name for p in assets(app).iterdir()) == [CONTRACT_ASSET, MODEL_ASSET]  # no temp files
    for expected in ("installed for the Android demo", str(installed), "int8 [1, 16, 16, 3] scale 0.00784314",
                     "(logits)", "person class   1"):
        assert expected in output, output


def test_a_second_export_replaces_the_first(app, tiny_tflite):
    first, _ = tiny_tflite["logits-f32"]
    second, contract = tiny_tflite["alpha-uint8"]
    installed = export_android(first, app)
    installed = export_android(second, app)
    assert installed.model_path.read_bytes() == second.read_bytes()
    assert installed.contract == contract
    assert "uint8" in installed.input and installed.contract.output_kind == "person_alpha"


def test_refuses_what_is_not_an_exported_model(app, tmp_path, tiny_tflite):
    assert_refused(app, [tmp_path / "missing.tflite", "--app", app], "missing.tflite: model file not found")
    text = tmp_path / "notes.tflite"
    text.write_text("not a model at all")
    assert_refused(app, [text, "--app", app], "not a TFLite model")
    damaged = tmp_path / "damaged.tflite"
    damaged.write_bytes(tiny_tflite["logits-f32"][0].read_bytes()[:200])
    assert_refused(app, [damaged, "--app", app], "damaged.tflite")
    no_contract = with_contract(tmp_path, tiny_tflite["logits-f32"][0], None, "plain.tflite")
    assert_refused(app, [no_contract, "--app", app], "carries no edge-deeplab contract", "edge-deeplab export")


def test_refuses_a_contract_that_does_not_describe_the_model(app, tmp_path, tiny_tflite):
    source, good = tiny_tflite["logits-f32"]
    wrong_size = with_contract(tmp_path, source, ModelContract(good.labels, 32, 32, person_class=1), "size.tflite")
    assert_refused(app, [wrong_size, "--app", app], "input is 16x16 but its contract says 32x32")
    wrong_kind = with_contract(tmp_path, source, ModelContract(good.labels, 16, 16, output_kind="person_alpha",
                                                               person_class=1), "kind.tflite")
    assert_refused(app, [wrong_kind, "--app", app], "a person alpha [1, h, w, 1]")
    wrong_labels = with_contract(tmp_path, source, ModelContract(("background", "person"), 16, 16, person_class=1),
                                 "labels.tflite")
    assert_refused(app, [wrong_labels, "--app", app], "does not hold 2 class scores")
    no_person = with_contract(tmp_path, source, ModelContract(("background", "cat", "dog"), 16, 16), "cats.tflite")
    assert_refused(app, [no_person, "--app", app], "name no 'person'")


def test_refuses_a_dynamic_batch(app, tmp_path):
    path, _ = tiny_models.dynamic_batch_model(tmp_path)
    assert_refused(app, [path, "--app", app], "dynamic shape", "batch 1")


def test_refuses_a_folder_that_is_not_the_demo(tmp_path, tiny_tflite):
    code, output = run(tiny_tflite["logits-f32"][0], "--app", tmp_path)
    assert code == 1 and "not the Android demo" in output and "--app" in output
    with pytest.raises(EdgeDeeplabError):
        export_android(tiny_tflite["logits-f32"][0], tmp_path / "nowhere")


def test_the_installed_contract_json_is_the_embedded_one(app, tiny_tflite):
    path, contract = tiny_tflite["label-map-i32"]
    export_android(path, app)
    assert json.loads((assets(app) / CONTRACT_ASSET).read_text()) == json.loads(contract.to_json())

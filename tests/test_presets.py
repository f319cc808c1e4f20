"""preset:person: shipped inside the package, resolvable by every command, the Android demo's default."""

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from edge_deeplab import presets
from edge_deeplab.cli import main
from edge_deeplab.errors import EdgeDeeplabError

DEMO = Path(__file__).resolve().parents[1] / "android_demo"


def test_the_person_preset_has_its_models_and_card():
    assert "person" in presets.available()
    for kind in ("keras", "int8", "fp16"):
        assert presets.resolve("preset:person", kind).exists()
    assert (presets.PRESETS_DIR / "person" / "MODEL_CARD.md").read_text().startswith("# preset:person")
    assert presets.resolve("runs/x/best") == Path("runs/x/best")  # not a preset: unchanged


def test_an_unknown_preset_names_the_ones_there_are():
    with pytest.raises(EdgeDeeplabError, match="no such preset; choose from preset:person"):
        presets.resolve("preset:cat")


def test_the_preset_exports_carry_the_person_contract():
    from edge_deeplab.litert.flatbuffer import read_tflite_contract
    from edge_deeplab.model.saving import read_model_json

    config = read_model_json(presets.resolve("preset:person", "keras"))[0]
    for kind in ("int8", "fp16"):
        contract = read_tflite_contract(presets.resolve("preset:person", kind))
        assert contract.labels == ("background", "person") and contract.person_class == 1
        assert (contract.input_height, contract.input_width) == tuple(config.input_size)


def test_export_android_installs_the_preset_by_default_and_the_demo_ships_it(tmp_path):
    app = tmp_path / "android_demo"
    shutil.copytree(DEMO, app, ignore=shutil.ignore_patterns("build", ".gradle", "*.tflite", "*.json"))
    result = CliRunner().invoke(main, ["export-android", "--app", str(app)])
    assert result.exit_code == 0, result.output
    for name, kind in (("model_fp16.tflite", "fp16"), ("model_int8.tflite", "int8")):
        installed = app / "app/src/main/assets" / name
        # The preset ends in logits: the installed copy carries a softmax more, so it is a little larger.
        assert 0 < len(installed.read_bytes()) - presets.resolve("preset:person", kind).stat().st_size < 4096
        assert (DEMO / "app/src/main/assets" / name).read_bytes() == installed.read_bytes()


def test_a_spec_may_name_its_kind_and_an_unknown_kind_is_one_line():
    assert presets.resolve("preset:person:fp16", "int8").name == "fp16.tflite"
    with pytest.raises(EdgeDeeplabError, match="a preset offers keras, int8, fp16"):
        presets.resolve("preset:person:int4")


@pytest.mark.xfail(
    strict=True,
    reason="issue 23, open: the shipped preset calls 94 % of the golden photo's horse a "
    "person (trained on photos with nobody but people in front; benchmarks/results/"
    "generalize_experiments.md); strict, so the fix is noticed",
)
def test_the_preset_says_background_for_the_golden_photo_s_horse(shared):
    """Background means every class but person (issue 23): on Google's golden photo the horse the rider
    sits on (label 13) is not a person, in the Keras model and in both exports."""
    import cv2
    import numpy as np

    from edge_deeplab.evaluate.inference import predict_probabilities
    from edge_deeplab.evaluate.runners import open_runner

    folder = shared / "peers" / "deeplabv3-mnv2-dm05-voc"
    rgb = cv2.cvtColor(cv2.imread(str(folder / "golden_input.jpg")), cv2.COLOR_BGR2RGB)
    labels = cv2.imread(str(folder / "golden_mask_x10.png"), cv2.IMREAD_UNCHANGED) // 10
    for kind in ("keras", "int8", "fp16"):
        person = np.argmax(predict_probabilities(open_runner(f"preset:person:{kind}"), rgb), axis=-1) == 1
        assert person[labels == 13].mean() < 0.05, kind
        assert person[labels == 15].mean() > 0.8, kind

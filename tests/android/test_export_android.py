"""`edge-deeplab export-android GPU_MODEL CPU_MODEL`: a valid model pair lands in the demo's assets (the
float model for the GPU, the int8 one for the CPU, both with probabilities out); anything the app
would refuse is refused here with one line naming the problem and the fix, and nothing is written."""

import json
import shutil

import numpy as np

import pytest
from click.testing import CliRunner

import tiny_models
from android_tools import DEMO
from edge_deeplab.cli import main
from edge_deeplab.contract import TFLITE_METADATA_NAME, ModelContract
from edge_deeplab.deploy.android import CONTRACT_ASSET, CPU_ASSET, GPU_ASSET, MODELS_ASSET, export_android
from edge_deeplab.litert.flatbuffer import contract_text
from edge_deeplab.errors import EdgeDeeplabError

pytestmark = pytest.mark.slow  # converts tiny models


@pytest.fixture
def app(tmp_path):
    """A copy of the real demo project (small: sources and resources, no build output)."""
    copy = tmp_path / "android_demo"
    shutil.copytree(DEMO, copy, ignore=shutil.ignore_patterns("build", ".gradle", "*.tflite", "*.json"))
    return copy


def assets(app):
    return app / "app/src/main/assets"


def installed_files(app):
    """The files in the assets folder (its shaders/ folder is the app's own, not the installer's)."""
    return [p for p in assets(app).iterdir() if p.is_file()] if assets(app).exists() else []


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
    written = installed_files(app)
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


def run_litert(path, image):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    details = interpreter.get_input_details()[0]
    interpreter.set_tensor(details["index"], image.astype(details["dtype"]))
    interpreter.invoke()
    output = interpreter.get_output_details()[0]
    raw = interpreter.get_tensor(output["index"])
    scale, zero_point = output["quantization"]
    return (raw.astype(np.float32) - zero_point) * scale if scale else raw


def test_installs_both_models_with_probabilities_out(app, tiny_tflite):
    from edge_deeplab.litert.outputs import softmax

    gpu, contract = tiny_tflite["logits-f32"]
    cpu, _ = tiny_tflite["logits-int8"]
    code, output = run(gpu, cpu, "--app", app)
    assert code == 0, output
    assert sorted(p.name for p in installed_files(app)) == sorted(
        [CONTRACT_ASSET, CPU_ASSET, GPU_ASSET, MODELS_ASSET]
    )  # no temp files
    probabilities = contract.with_output_kind("probabilities")
    assert ModelContract.from_json((assets(app) / CONTRACT_ASSET).read_text()) == probabilities
    for source, asset in ((gpu, GPU_ASSET), (cpu, CPU_ASSET)):
        installed = assets(app) / asset
        assert contract_text(installed.read_bytes()) == probabilities.to_json()
        # The appended head is the softmax of the model's own logits (the int8 logits dequantised first).
        image = np.random.default_rng(3).uniform(-1, 1, (1, 16, 16, 3))
        if "int8" in asset:
            image = np.round(image / (1 / 127.5)).clip(-128, 127)  # the tiny int8 model's input quantisation
        expected = softmax(run_litert(source, image))
        got = run_litert(installed, image)
        assert got.dtype == np.float32 and np.abs(got - expected).max() < 1e-5
    models = json.loads((assets(app) / MODELS_ASSET).read_text())
    assert models["gpu"]["file"] == GPU_ASSET and models["cpu"]["file"] == CPU_ASSET
    assert models["gpu"]["output"] == {"type": "FLOAT32", "shape": [1, 16, 16, 3], "scale": 0.0, "zero_point": 0}
    assert models["cpu"]["input"]["type"] == "INT8" and models["cpu"]["input"]["scale"] > 0
    for expected in (
        "installed for the Android demo",
        str(assets(app) / GPU_ASSET),
        "tflite fp32",
        "tflite int8",
        "softmax appended",
        "output         probabilities",
        "person class   1",
    ):
        assert expected in output, output


def test_the_default_installs_the_presets_fp16_and_int8(app):
    code, output = run("--app", app)
    assert code == 0, output
    models = json.loads((assets(app) / MODELS_ASSET).read_text())
    assert models["gpu"]["format"] == "tflite fp16" and models["cpu"]["format"] == "tflite int8"
    assert models["gpu"]["output"]["shape"] == [1, 321, 321, 2]


def test_a_second_export_replaces_the_first_and_a_stale_single_model(app, tmp_path, tiny_tflite):
    (assets(app)).mkdir(parents=True, exist_ok=True)
    (assets(app) / "model.tflite").write_bytes(b"an earlier install")
    export_android(tiny_tflite["logits-f32"][0], tiny_tflite["logits-int8"][0], app)
    cpu, contract = tiny_tflite["probabilities-int8"]
    second = with_contract(tmp_path, tiny_tflite["probabilities-f32"][0], contract, "probabilities.tflite")
    installation = export_android(second, cpu, app)
    assert installation.gpu.path.read_bytes() == second.read_bytes()  # probabilities already: copied as is
    assert not installation.gpu.head_added and installation.contract.output_kind == "probabilities"
    assert not (assets(app) / "model.tflite").exists()


def test_refuses_a_pair_in_the_wrong_formats_or_of_different_models(app, tmp_path, tiny_tflite):
    f32, _ = tiny_tflite["logits-f32"]
    int8, _ = tiny_tflite["logits-int8"]
    assert_refused(app, [int8, int8, "--app", app], "GPU model must be float")
    assert_refused(app, [f32, f32, "--app", app], "CPU model must be full-integer int8")
    assert_refused(app, [f32, "--app", app], "two needed (GPU and CPU)")
    assert_refused(app, [tiny_tflite["probabilities-f32"][0], int8, "--app", app], "contracts differ")


def test_refuses_what_is_not_an_exported_model(app, tmp_path, tiny_tflite):
    int8 = tiny_tflite["logits-int8"][0]
    assert_refused(app, [tmp_path / "missing.tflite", int8, "--app", app], "missing.tflite: model file not found")
    text = tmp_path / "notes.tflite"
    text.write_text("not a model at all")
    assert_refused(app, [text, int8, "--app", app], "not a TFLite model")
    damaged = tmp_path / "damaged.tflite"
    damaged.write_bytes(tiny_tflite["logits-f32"][0].read_bytes()[:200])
    assert_refused(app, [damaged, int8, "--app", app], "damaged.tflite")
    no_contract = with_contract(tmp_path, tiny_tflite["logits-f32"][0], None, "plain.tflite")
    assert_refused(app, [no_contract, int8, "--app", app], "carries no edge-deeplab contract", "edge-deeplab export")


def test_refuses_a_contract_that_does_not_describe_the_model(app, tmp_path, tiny_tflite):
    int8 = tiny_tflite["logits-int8"][0]
    source, good = tiny_tflite["logits-f32"]
    wrong_size = with_contract(tmp_path, source, ModelContract(good.labels, 32, 32, person_class=1), "size.tflite")
    assert_refused(app, [wrong_size, int8, "--app", app], "input is 16x16 but its contract says 32x32")
    wrong_kind = with_contract(
        tmp_path, source, ModelContract(good.labels, 16, 16, output_kind="person_alpha", person_class=1), "kind.tflite"
    )
    assert_refused(app, [wrong_kind, int8, "--app", app], "a person alpha [1, h, w, 1]")
    wrong_labels = with_contract(
        tmp_path, source, ModelContract(("background", "person"), 16, 16, person_class=1), "labels.tflite"
    )
    assert_refused(app, [wrong_labels, int8, "--app", app], "does not hold 2 class scores")
    no_person = with_contract(tmp_path, source, ModelContract(("background", "cat", "dog"), 16, 16), "cats.tflite")
    assert_refused(app, [no_person, int8, "--app", app], "name no 'person'")


def test_refuses_a_dynamic_batch(app, tmp_path, tiny_tflite):
    int8 = tiny_tflite["logits-int8"][0]
    path, _ = tiny_models.dynamic_batch_model(tmp_path)
    assert_refused(app, [path, int8, "--app", app], "dynamic shape", "batch 1")


def test_refuses_a_folder_that_is_not_the_demo(tmp_path, tiny_tflite):
    code, output = run(tiny_tflite["logits-f32"][0], tiny_tflite["logits-int8"][0], "--app", tmp_path)
    assert code == 1 and "not the Android demo" in output and "--app" in output
    with pytest.raises(EdgeDeeplabError):
        export_android(tiny_tflite["logits-f32"][0], tiny_tflite["logits-int8"][0], tmp_path / "nowhere")


def test_the_installed_contract_json_is_the_embedded_one(app, tiny_tflite):
    installation = export_android(tiny_tflite["logits-f32"][0], tiny_tflite["logits-int8"][0], app)
    embedded = contract_text((assets(app) / GPU_ASSET).read_bytes())
    assert json.loads((assets(app) / CONTRACT_ASSET).read_text()) == json.loads(embedded)
    assert installation.contract.output_kind == "probabilities"


def test_the_gpu_model_with_its_appended_softmax_stays_whole_on_the_gpu(app, tiny_tflite):
    """The head export-android adds must not push the model off the GPU: the project's GPU gate, static
    (each op's constraints) and dynamic (LiteRT's GPU accelerator alone, on the software Vulkan driver)."""
    from edge_deeplab.converters import gpu_gate

    installation = export_android(tiny_tflite["logits-f32"][0], tiny_tflite["logits-int8"][0], app)
    assert installation.gpu.head_added
    static = gpu_gate.static_check(installation.gpu.path)
    assert static.status == gpu_gate.PASS, static.summary
    dynamic = gpu_gate.dynamic_check(installation.gpu.path)
    if dynamic.status == gpu_gate.NOT_RUN:
        pytest.skip(f"no Vulkan device for the dynamic GPU check: {dynamic.summary}")
    assert dynamic.status == gpu_gate.PASS, dynamic.summary

"""The GPU-delegate gate: the static check reads each op's attributes, the dynamic one compiles the
model with LiteRT's GPU accelerator alone on the software Vulkan driver that scripts/test.sh installs.

This process has loaded TensorFlow (the fixtures convert with it), as an exporter has: the dynamic
check must work from such a process."""

import edge_deeplab  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)

import pytest

from converter_models import build_keras, convert, op_names
from edge_deeplab.converters import gpu_gate
from edge_deeplab.errors import EdgeDeeplabError

pytestmark = pytest.mark.slow  # every test converts a model


@pytest.fixture(scope="module")
def dynamic(tiny_tflite):
    """name -> dynamic result; skips the dynamic tests only where no Vulkan adapter exists."""
    results = {name: gpu_gate.dynamic_check(path) for name, path in tiny_tflite.items()}
    if results["friendly"].status == gpu_gate.NOT_RUN:
        pytest.skip(f"no Vulkan device for the dynamic GPU check: {results['friendly'].summary}")
    return results


def test_friendly_model_has_the_deeplab_op_kinds(tiny_tflite):
    ops = op_names(tiny_tflite["friendly"])
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "RESIZE_BILINEAR"} <= set(ops)
    assert "SPACE_TO_BATCH_ND" not in ops  # batch 1 keeps the dilation inside the depthwise conv


def test_static_check_passes_a_friendly_model(tiny_tflite):
    result = gpu_gate.static_check(tiny_tflite["friendly"])
    assert result.status == "pass", result.summary
    assert result.offenders == () and result.op_count == len(op_names(tiny_tflite["friendly"]))


def test_dynamic_check_runs_a_friendly_model_fully_on_the_gpu(dynamic):
    result = dynamic["friendly"]
    assert result.status == "pass", result.summary
    assert "Vulkan" in result.adapter
    # enforce_f32 on the GPU: the only differences are float rounding.
    assert result.max_abs_diff is not None and result.max_abs_diff < 1e-4


def _offender(result, op):
    found = [o for o in result.offenders if o.op == op]
    assert found, f"{op} not among {[str(o) for o in result.offenders]} ({result.summary})"
    return found[0]


def test_static_check_catches_an_int64_argmax(tiny_tflite):
    result = gpu_gate.static_check(tiny_tflite["argmax_int64"])
    assert result.status == "fail"
    offender = _offender(result, "ARG_MAX")
    assert offender.index == op_names(tiny_tflite["argmax_int64"]).index("ARG_MAX")
    assert "INT64" in offender.reason and "ARG_MAX" in result.summary


def test_dynamic_check_catches_an_int64_argmax(dynamic):
    result = dynamic["argmax_int64"]
    assert result.status == "fail"
    assert "INT64" in _offender(result, "ARG_MAX").reason and "ARG_MAX" in result.summary


def test_static_check_catches_space_to_batch_from_batch_none(tiny_tflite):
    result = gpu_gate.static_check(tiny_tflite["batch_none"])
    assert result.status == "fail"
    ops = op_names(tiny_tflite["batch_none"])
    for op in ("SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"):
        assert _offender(result, op).index == ops.index(op)
    assert "batch 1" in _offender(result, "SPACE_TO_BATCH_ND").reason


def test_dynamic_check_catches_space_to_batch_from_batch_none(dynamic):
    result = dynamic["batch_none"]
    assert result.status == "fail"
    for op in ("SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"):
        _offender(result, op)


def test_check_gpu_returns_both_checks(tiny_tflite, dynamic):
    good = gpu_gate.check_gpu(tiny_tflite["friendly"])
    assert (good.static.check, good.dynamic.check) == ("static", "dynamic")
    assert good.status == "pass" and "\n" not in good.summary
    bad = gpu_gate.check_gpu(tiny_tflite["argmax_int64"])
    assert bad.status == "fail" and bad.static.status == bad.dynamic.status == "fail"


def test_static_check_reads_resize_attributes(tiny_tflite, tmp_path):
    """TensorFlow refuses align_corners with half_pixel_centers, so set both in the flatbuffer."""
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model(str(tiny_tflite["friendly"]))
    resize = op_names(tiny_tflite["friendly"]).index("RESIZE_BILINEAR")
    options = model.subgraphs[0].operators[resize].builtinOptions
    assert options.halfPixelCenters and not options.alignCorners  # what tf.image.resize exports
    options.alignCorners = True
    path = tmp_path / "align-corners.tflite"
    flatbuffer_utils.write_model(model, str(path))
    offender = _offender(gpu_gate.static_check(path), "RESIZE_BILINEAR")
    assert offender.index == resize and "align_corners" in offender.reason


def test_static_check_reads_the_depth_multiplier(tmp_path):
    path = tmp_path / "multiplier.tflite"
    path.write_bytes(convert(build_keras(depth_multiplier=2)))
    offender = _offender(gpu_gate.static_check(path), "DEPTHWISE_CONV_2D")
    assert "depth multiplier 2" in offender.reason


def test_dynamic_check_keeps_litert_log_off_the_terminal(tiny_tflite, dynamic, capfd):
    capfd.readouterr()
    result = gpu_gate.dynamic_check(tiny_tflite["argmax_int64"])
    out, err = capfd.readouterr()
    assert "not supported by GPU delegate" in result.log
    assert "GPU delegate" not in out + err and "adapter" not in out + err


def test_without_vulkan_the_dynamic_check_says_not_run(tiny_tflite, monkeypatch):
    """A Vulkan loader that finds no driver: the check must say "not run" and why, never pass."""
    for variable in ("VK_ICD_FILENAMES", "VK_DRIVER_FILES"):  # the loader's old and new names
        monkeypatch.setenv(variable, "/nonexistent/icd.json")
    result = gpu_gate.dynamic_check(tiny_tflite["friendly"])
    assert result.status == "not run", result.summary
    assert "Vulkan" in result.summary and "\n" not in result.summary
    assert gpu_gate.check_gpu(tiny_tflite["friendly"]).status == "not run"


def test_not_a_model_is_a_one_line_error(tmp_path):
    path = tmp_path / "notes.tflite"
    path.write_text("not a model")
    for check in (gpu_gate.static_check, gpu_gate.dynamic_check):
        with pytest.raises(EdgeDeeplabError, match="not a TFLite model"):
            check(path)


def test_gpu_check_tolerance_fails_and_json_keeps_the_verdicts(tmp_path):
    """--tolerance 0 fails any model the GPU runs at all differently; --json still holds both gates."""
    import json

    from click.testing import CliRunner

    from edge_deeplab.cli import main

    out = tmp_path / "gpu.json"
    result = CliRunner().invoke(main, ["gpu-check", "preset:person:fp16", "--tolerance", "0", "--json", str(out)])
    models = json.loads(out.read_text())["models"]
    assert models[0]["static"]["status"] == "pass"
    if models[0]["dynamic"]["status"] == "not run":  # no Vulkan adapter here: nothing to compare
        pytest.skip(models[0]["dynamic"]["summary"])
    assert result.exit_code == 1 and models[0]["status"] == "fail", result.output
    assert "exceeds 0" in models[0]["dynamic"]["summary"]
    result = CliRunner().invoke(main, ["gpu-check", "preset:person:fp16", "--tolerance", "inf"])
    assert result.exit_code == 2 and "--tolerance" in result.output

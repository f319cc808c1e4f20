"""Issue 15, case 6: option values are validated before any work starts."""
from click.testing import CliRunner

from edge_deeplab.cli import main


def test_pipeline_rejects_an_unknown_format_before_training(tmp_path):
    out = tmp_path / "pipeline"
    result = CliRunner().invoke(main, ["pipeline", "--output", str(out), "--formats", "fp32,fp64", "--epochs", "1"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        "Error: --formats fp32,fp64: format 'fp64' is unknown: choose from fp32, fp16, dynamic, int8, qat-int8"]
    assert not out.exists(), "nothing trained, nothing written"


def test_pipeline_rejects_a_negative_min_fps_before_training(tmp_path):
    result = CliRunner().invoke(main, ["pipeline", "--output", str(tmp_path / "p"), "--min-fps", "-5"])
    assert result.exit_code == 1 and "--min-fps -5 must be a positive number" in result.output
    assert not (tmp_path / "p").exists()


# Issue 22: every numeric option is finite and in range, refused in one line before any run folder is written.
import pytest  # noqa: E402

S = ["--alpha", "0.35", "--aspp-channels", "16", "--decoder-channels", "16", "--input-size", "65"]
CHEAP = [*S, "--epochs", "1", "--batch-size", "2", "--no-progress"]  # should a check be missing


@pytest.mark.parametrize("option, value, named", [
    ("--learning-rate", "nan", "learning_rate"), ("--learning-rate", "inf", "learning_rate"),
    ("--distill-weight", "nan", "distill_weight"), ("--batch-norm-momentum", "5", "batch_norm_momentum"),
    ("--poly-power", "-1", "poly_power"), ("--weight-decay", "-1", "weight_decay"), ("--seed", "-1", "seed"),
    ("--weight-decay", "nan", "weight_decay"), ("--min-scale", "nan", "min_scale")])
def test_train_refuses_a_number_out_of_range_before_any_work(tiny_scenes, tmp_path, option, value, named):
    run = tmp_path / "run"
    result = CliRunner().invoke(main, ["train", "--data", str(tiny_scenes), "--output", str(run), *CHEAP, option,
                                       value])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and named in result.output, result.output
    assert not run.exists()


@pytest.mark.parametrize("option, value", [("--learning-rate", "nan"), ("--distill-weight", "inf")])
def test_qat_refuses_a_number_out_of_range_before_any_work(tiny_scenes, tmp_path, option, value):
    model = tmp_path / "model"
    assert CliRunner().invoke(main, ["model", "build", str(model), *S]).exit_code == 0
    run = tmp_path / "q"
    result = CliRunner().invoke(main, ["qat", str(model), "--data", str(tiny_scenes), "--output", str(run),
                                       "--batch-size", "2", option, value])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and option[2:].replace("-", "_") in result.output
    assert not run.exists()


@pytest.mark.parametrize("value", ["0", "-5"])
def test_export_refuses_no_calibration_images(tiny_scenes, tmp_path, value):
    model = tmp_path / "model"
    assert CliRunner().invoke(main, ["model", "build", str(model), *S]).exit_code == 0
    result = CliRunner().invoke(main, ["export", str(model), "--formats", "int8", "--data", str(tiny_scenes),
                                       "--output", str(tmp_path / "export"), "--calibration-images", value])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and "--calibration-images" in result.output, result.output
    assert not (tmp_path / "export").exists()


@pytest.mark.parametrize("option, value, named", [("--calibration-images", "0", "--calibration-images"),
                                                  ("--bench-runs", "0", "--bench-runs"),
                                                  ("--learning-rate", "nan", "learning_rate")])
def test_pipeline_refuses_a_number_out_of_range_before_training(tiny_scenes, tmp_path, option, value, named):
    out = tmp_path / "p"
    result = CliRunner().invoke(main, ["pipeline", "--output", str(out), "--data", str(tiny_scenes), *S, "--epochs",
                                       "1", "--qat-epochs", "1", "--batch-size", "2", "--no-peers", "--no-progress",
                                       option, value])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and named in result.output, result.output
    assert not out.exists()

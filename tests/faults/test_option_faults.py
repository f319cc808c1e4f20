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

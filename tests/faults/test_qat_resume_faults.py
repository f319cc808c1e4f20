"""Issue 22, data loss 2 and 3: a resumed QAT run continues the run it resumes: it trains the epochs left,
and a restart from scratch (killed before its first checkpoint) sets the activation ranges as the first start did."""

import json
import shutil

import pytest
from click.testing import CliRunner

from edge_deeplab.cli import main

S = ["--alpha", "0.35", "--aspp-channels", "16", "--decoder-channels", "16", "--input-size", "65"]
FAST = ["--batch-size", "2", "--no-progress"]


def _run(*args):
    return CliRunner().invoke(main, [*map(str, args)])


def _epochs(run):
    return [entry["epoch"] for entry in json.loads((run / "history.json").read_text())["epochs"]]


@pytest.fixture(scope="module")
def float_model(tmp_path_factory):
    model = tmp_path_factory.mktemp("qat") / "float"
    result = _run("model", "build", model, *S)
    assert result.exit_code == 0, result.output
    return model


@pytest.fixture(scope="module")
def qat_two_epochs(float_model, tiny_scenes, tmp_path_factory):
    run = tmp_path_factory.mktemp("qat") / "q"
    result = _run("qat", float_model, "--data", tiny_scenes, "--output", run, "--epochs", "2", *FAST)
    assert result.exit_code == 0, result.output
    assert "activation ranges set" in result.output, result.output
    return run


def test_resumed_qat_trains_the_epochs_left(qat_two_epochs, float_model, tmp_path):
    """Killed after epoch 2 of 3: run.json says 3 epochs, the checkpoint and the history hold 2."""
    run = tmp_path / "q"
    shutil.copytree(qat_two_epochs, run)
    saved = json.loads((run / "run.json").read_text())
    saved["train"]["epochs"] = 3
    (run / "run.json").write_text(json.dumps(saved))
    result = _run("qat", float_model, "--output", run, "--resume", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "at epoch 3" in result.output and "epoch 3/3" in result.output, result.output
    assert _epochs(run) == [1, 2, 3]


def test_resumed_qat_that_has_nothing_left_says_so(qat_two_epochs, float_model, tmp_path):
    run = tmp_path / "q"
    shutil.copytree(qat_two_epochs, run)
    result = _run("qat", float_model, "--output", run, "--resume", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "already trained 2 of 2 epochs" in result.output and "--epochs" in result.output, result.output
    assert _epochs(run) == [1, 2]


def test_resumed_qat_killed_before_its_first_checkpoint_sets_the_activation_ranges(
    qat_two_epochs, float_model, tmp_path
):
    """What a kill -9 before the first checkpoint leaves: run.json and nothing else of the run."""
    run = tmp_path / "q"
    run.mkdir()
    shutil.copy(qat_two_epochs / "run.json", run / "run.json")
    result = _run("qat", float_model, "--output", run, "--resume", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "from scratch" in result.output and "activation ranges set" in result.output, result.output
    assert _epochs(run) == [1, 2]

"""Issue 22, data loss 4 and 5: a run folder's finished epochs are never overwritten by a run that cannot
continue them, and two runs never write one folder at once."""
import shutil

import pytest
from click.testing import CliRunner

from edge_deeplab.cli import main

S = ["--alpha", "0.35", "--aspp-channels", "16", "--decoder-channels", "16", "--input-size", "65"]
FAST = [*S, "--batch-size", "2", "--no-progress"]


def _train(*args):
    return CliRunner().invoke(main, ["train", *map(str, args)])


def _snapshot(folder):
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def finished(tiny_scenes, tmp_path_factory):
    run = tmp_path_factory.mktemp("finished") / "run"
    result = _train("--data", tiny_scenes, "--output", run, *FAST, "--epochs", "1")
    assert result.exit_code == 0, result.output
    return run


@pytest.mark.parametrize("resume", [[], ["--resume"]], ids=["again", "resume"])
def test_a_finished_run_without_checkpoints_is_not_trained_over(finished, tiny_scenes, tmp_path, resume):
    run = tmp_path / "run"
    shutil.copytree(finished, run)
    shutil.rmtree(run / "checkpoints")
    before = {name: data for name, data in _snapshot(run).items() if not name.startswith("tensorboard")}
    result = _train("--data", tiny_scenes, "--output", run, *(resume or [*FAST, "--epochs", "1"]))
    assert result.exit_code != 0 and "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert str(run) in result.output and "--output" in result.output, result.output
    after = {name: data for name, data in _snapshot(run).items() if not name.startswith("tensorboard")}
    assert after == before

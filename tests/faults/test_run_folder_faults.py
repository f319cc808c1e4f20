"""Issue 22, data loss 4 and 5: a run folder's finished epochs are never overwritten by a run that cannot
continue them, and two runs never write one folder at once."""

import shutil

import pytest
from click.testing import CliRunner

from edge_deeplab.cli import main
from fault_tools import QUICK_PIPELINE, cli, one_line

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


def test_a_second_run_into_a_folder_being_written_is_refused_and_a_dead_ones_lock_taken_over(tiny_scenes, tmp_path):
    import signal
    import subprocess
    import sys
    import time

    run = tmp_path / "run"
    first = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "edge_deeplab",
            "train",
            "--data",
            str(tiny_scenes),
            "--output",
            str(run),
            *FAST,
            "--epochs",
            "50",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 300
        while not (run / "run.json").exists():
            assert first.poll() is None and time.time() < deadline, "the first run ended before writing run.json"
            time.sleep(0.05)
        second = _train("--data", tiny_scenes, "--output", run, *FAST, "--epochs", "1")
        assert second.exit_code != 0 and "Traceback" not in second.output, second.output
        assert len(second.output.strip().splitlines()) == 1, second.output
        assert str(run) in second.output and f"pid {first.pid}" in second.output, second.output
        resumed = _train("--data", tiny_scenes, "--output", run, "--resume", "--no-progress")
        assert resumed.exit_code != 0 and f"pid {first.pid}" in resumed.output, resumed.output
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=60)
    # The killed run's lock is stale: the next run takes it over.
    taken_over = _train("--data", tiny_scenes, "--output", run, "--resume", "--epochs", "1", "--no-progress")
    assert "being written" not in taken_over.output, taken_over.output
    assert taken_over.exit_code == 0, taken_over.output
    assert not (run / ".lock").exists(), "a finished run leaves no lock behind"


def test_a_run_that_fails_before_writing_leaves_no_folder(tiny_scenes, tmp_path):
    run = tmp_path / "new" / "run"
    result = _train("--data", tiny_scenes, "--output", run, *FAST, "--batch-size", "8", "--epochs", "1")
    assert result.exit_code != 0 and "lower the batch size" in result.output, result.output
    assert not (tmp_path / "new").exists()


#: A pipeline run from the tiny model (conftest's `model`) that costs seconds: no training, fp32 only.
PIPELINE = [*QUICK_PIPELINE, "--formats", "fp32"]

#: Another process holding a folder's run lock, as a running train or pipeline does; says "locked" once it does.
HOLD_LOCK = (
    "import sys, time; from pathlib import Path; from edge_deeplab.train.runfolder import run_lock\n"
    "with run_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(600)"
)


def test_a_pipeline_into_a_folder_being_written_is_refused_and_a_dead_ones_lock_taken_over(
    model, tiny_scenes, tmp_path
):
    import signal
    import subprocess
    import sys

    out = tmp_path / "pipeline"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        line = one_line(
            cli("pipeline", "--output", out, "--data", tiny_scenes, "--from-model", model, *PIPELINE),
            out,
            f"pid {holder.pid}",
            "--output",
        )
        assert "being written by another run" in line
        assert [path.name for path in out.iterdir()] == [".lock"], "the refused run wrote nothing"
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=60)
    # The killed holder's lock is stale (its .lock file is still there): the next run takes it over.
    assert (out / ".lock").is_file()
    result = cli("pipeline", "--output", out, "--data", tiny_scenes, "--from-model", model, *PIPELINE)
    assert result.exit_code == 0 and "being written" not in result.output, result.output
    assert (out / "report.json").is_file() and not (out / ".lock").exists(), "a finished run leaves no lock behind"

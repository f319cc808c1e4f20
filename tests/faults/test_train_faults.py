"""Issue 15, case 1: a run folder always has a way forward (no dead ends before the first checkpoint,
no crash on a damaged checkpoint); case 6: options that would be ignored or fail late are refused up front."""

import json
import shutil
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from fault_tools import stub_run
from edge_deeplab.cli import main

TINY = ["--input-size", "65", "--alpha", "0.35", "--aspp-channels", "8", "--decoder-channels", "8"]
FAST = [*TINY, "--batch-size", "2", "--dropout-rate", "0", "--no-progress"]


def _train(*args):
    return CliRunner().invoke(main, ["train", *map(str, args)])


def _epochs(run):
    return [entry["epoch"] for entry in json.loads((run / "history.json").read_text())["epochs"]]


@pytest.fixture(scope="module")
def killed_before_first_checkpoint(tiny_scenes, tmp_path_factory):
    """A run killed (SIGKILL) after it wrote run.json and before its first checkpoint."""
    run = tmp_path_factory.mktemp("killed") / "run"
    process = subprocess.Popen(
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
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 300
    while not (run / "run.json").exists():
        assert process.poll() is None and time.time() < deadline, "training ended before writing run.json"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert not list((run / "checkpoints").glob("ckpt-*")) if (run / "checkpoints").exists() else True
    return run


def test_train_again_on_a_run_without_checkpoint_starts_it_again(killed_before_first_checkpoint, tmp_path, tiny_scenes):
    run = tmp_path / "run"
    shutil.copytree(killed_before_first_checkpoint, run)
    result = _train("--data", tiny_scenes, "--output", run, *FAST, "--epochs", "1")
    assert result.exit_code == 0, result.output
    assert "no checkpoint" in result.output and "starting it again" in result.output
    assert _epochs(run) == [1]


def test_resume_on_a_run_without_checkpoint_starts_from_scratch(killed_before_first_checkpoint, tmp_path, tiny_scenes):
    run = tmp_path / "run"
    shutil.copytree(killed_before_first_checkpoint, run)
    result = _train("--data", tiny_scenes, "--output", run, "--resume", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "no checkpoint" in result.output and "from scratch" in result.output
    assert _epochs(run) == [1]


def test_batch_larger_than_the_data_leaves_no_run_behind(tiny_scenes, tmp_path):
    run = tmp_path / "run"
    result = _train("--data", tiny_scenes, "--output", run, *FAST, "--batch-size", "8", "--epochs", "1")
    assert result.exit_code != 0 and "lower the batch size" in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert not (run / "run.json").exists()
    again = _train("--data", tiny_scenes, "--output", run, *FAST, "--epochs", "1")
    assert again.exit_code == 0, again.output


def test_truncated_latest_checkpoint_falls_back_to_the_previous_one(tiny_scenes, tmp_path):
    run = tmp_path / "run"
    first = _train("--data", tiny_scenes, "--output", run, *FAST, "--epochs", "1", "--checkpoint-every-steps", "1")
    assert first.exit_code == 0, first.output
    latest = run / "checkpoints" / "ckpt-2.data-00000-of-00001"
    latest.write_bytes(latest.read_bytes()[: latest.stat().st_size // 2])

    result = _train("--data", tiny_scenes, "--output", run, "--resume", "--epochs", "2", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "ckpt-2" in result.output and "damaged" in result.output and "ckpt-1" in result.output
    assert "resuming" in result.output and "global step 1)" in result.output
    assert _epochs(run) == [1, 2]


@pytest.mark.parametrize(
    "option",
    [
        ["--alpha", "0.5"],
        ["--batch-size", "4"],
        ["--freeze-batch-norm"],
        ["--keep-image-size"],
        ["--init-from", "another-model"],
    ],
)
def test_resume_refuses_options_that_would_be_ignored(tiny_scenes, tmp_path, option):
    run = stub_run(tmp_path / "run", tiny_scenes)
    before = (run / "run.json").read_text()
    result = _train("--data", tiny_scenes, "--output", run, "--resume", *option)
    assert result.exit_code != 0 and option[0] in result.output and "--resume" in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert (run / "run.json").read_text() == before
    same = _train("--data", tiny_scenes, "--output", run, "--resume", "--alpha", "0.35", "--epochs", "0")
    assert "--alpha" not in same.output  # repeating a saved value is no conflict


def test_voc_without_split_files_names_no_missing_option(tmp_path):
    from PIL import Image

    voc = tmp_path / "VOC2012"
    (voc / "JPEGImages").mkdir(parents=True)
    (voc / "SegmentationClass").mkdir()
    Image.new("RGB", (8, 8)).save(voc / "JPEGImages" / "a.jpg")
    Image.new("P", (8, 8)).save(voc / "SegmentationClass" / "a.png")
    result = _train("--data", voc, "--output", tmp_path / "run", *TINY)
    assert result.exit_code != 0 and "train.txt" in result.output, result.output
    assert "split 'all'" not in result.output and "--split" not in result.output
    assert len(result.output.strip().splitlines()) == 1

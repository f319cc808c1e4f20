"""Training end to end on tiny synthetic data: it learns, it survives being killed, it distributes."""

import json
import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from edge_deeplab.cli import main
from edge_deeplab.data.synthetic import write_synthetic

TINY = ["--input-size", "65", "--alpha", "0.35", "--aspp-channels", "16", "--decoder-channels", "16"]


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    """A small synthetic person set on disk (images/ + masks/, train/val split files)."""
    return write_synthetic(tmp_path_factory.mktemp("data") / "scenes", n_train=16, n_val=8, size=65, seed=3)


@pytest.fixture(scope="module")
def overfit_set(scenes, tmp_path_factory):
    """The same 16 images as train and val: a model that can learn must fit them."""
    root = tmp_path_factory.mktemp("overfit")
    for name in ("images", "masks"):
        (root / name).symlink_to(scenes / name)
    (root / "train.txt").write_text((scenes / "train.txt").read_text())
    (root / "val.txt").write_text((scenes / "train.txt").read_text())
    return root


def _cli(*args, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", "edge_deeplab", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_tiny_model_overfits_a_small_synthetic_set(overfit_set, tmp_path):
    result = CliRunner().invoke(
        main,
        [
            "train",
            "--data",
            str(overfit_set),
            "--output",
            str(tmp_path / "run"),
            *TINY,
            "--epochs",
            "25",
            "--batch-size",
            "4",
            "--optimizer",
            "adamw",
            "--learning-rate",
            "0.01",
            "--weight-decay",
            "0",
            "--warmup-epochs",
            "1",
            "--batch-norm-momentum",
            "0.9",
            "--no-augment",
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    history = json.loads((tmp_path / "run" / "history.json").read_text())["epochs"]
    assert len(history) == 25
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    for entry in history:  # the loss within each epoch: its points average to the epoch's loss
        points = entry["train_loss_points"]
        assert points and points[-1][0] == entry["epoch"]
        assert all(entry["epoch"] - 1 < x <= entry["epoch"] for x, _ in points)
        assert min(y for _, y in points) <= entry["train_loss"] <= max(y for _, y in points)
    best = max(entry["val_miou"] for entry in history)
    assert best > 0.9, [round(entry["val_miou"], 3) for entry in history]
    saved = json.loads((tmp_path / "run" / "best" / "model.json").read_text())
    assert saved["val_miou"] == pytest.approx(best)
    assert saved["contract"]["labels"] == ["background", "person"]


def _weights(folder):
    with h5py.File(folder / "weights.h5") as f:
        values = {}
        f.visititems(lambda name, obj: values.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return values


@pytest.mark.parametrize("kill", [signal.SIGTERM, signal.SIGKILL])
def test_killed_run_resumes_at_the_right_step_and_matches_an_uninterrupted_run(scenes, tmp_path, kill):
    # Dropout off: its random stream is not part of a checkpoint; everything else is.
    # Batch 1: 16 steps per epoch, so the signal (sent after the step-6 checkpoint) lands inside epoch 1
    # even when the machine is idle; with 8 steps it sometimes arrived after the last one (measured).
    args = [
        "train",
        "--data",
        scenes,
        *TINY,
        "--epochs",
        "2",
        "--batch-size",
        "1",
        "--checkpoint-every-steps",
        "3",
        "--dropout-rate",
        "0",
        "--deterministic",
        "--no-progress",
    ]
    steps_per_epoch = 16 // 1
    straight = _cli(*args, "--output", tmp_path / "straight")
    assert straight.returncode == 0, straight.stderr[-2000:]

    run = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "-m", "edge_deeplab", *map(str, args), "--output", str(run)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Wait for the step-6 checkpoint (inside epoch 1), then kill.
    deadline = time.time() + 300
    while not (run / "checkpoints" / "ckpt-6.index").exists():
        assert process.poll() is None and time.time() < deadline, "training ended before its step-6 checkpoint"
        time.sleep(0.05)
    process.send_signal(kill)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode != 0
    if kill == signal.SIGTERM:  # checkpointed on the signal, one line, at the step it reached
        message = stderr.strip().splitlines()[-1]
        assert "stopped by SIGTERM at epoch 1" in message and "--resume" in message
    assert not (run / "history.json").exists()  # killed inside the first epoch

    resumed = _cli(*args, "--output", run, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    line = next(line for line in resumed.stdout.splitlines() if line.startswith("resuming"))
    step = int(line.split("global step ")[1].rstrip(")"))
    assert 6 <= step < steps_per_epoch and f"epoch 1, step {step} of {steps_per_epoch}" in line
    history = json.loads((run / "history.json").read_text())["epochs"]
    assert [entry["epoch"] for entry in history] == [1, 2] and history[-1]["step"] == 2 * steps_per_epoch
    # The loss curve within each epoch (one point per step here) survives the kill: the part before it was
    # checkpointed with the weights.
    straight_history = json.loads((tmp_path / "straight" / "history.json").read_text())["epochs"]
    for mine, theirs in zip(history, straight_history):
        assert len(mine["train_loss_points"]) == steps_per_epoch
        assert [x for x, _ in mine["train_loss_points"]] == [x for x, _ in theirs["train_loss_points"]]
        np.testing.assert_allclose(
            [y for _, y in mine["train_loss_points"]], [y for _, y in theirs["train_loss_points"]], rtol=1e-4
        )
    assert history[0]["train_loss_points"][-1][0] == 1.0 and history[1]["train_loss_points"][0][0] > 1.0

    # Same data order, same optimizer state: the resumed run ends where the uninterrupted one does.
    expected, got = _weights(tmp_path / "straight" / "last"), _weights(run / "last")
    assert expected.keys() == got.keys()
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-5, atol=1e-6, err_msg=name)


def test_mirrored_strategy_on_two_logical_cpus(scenes, tmp_path):
    result = _cli(
        "train",
        "--data",
        scenes,
        "--output",
        tmp_path / "run",
        *TINY,
        "--epochs",
        "1",
        "--batch-size",
        "4",
        "--strategy",
        "mirrored",
        "--cpu-replicas",
        "2",
        "--no-progress",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["replicas"] == 2 and run["train"]["strategy"] == "mirrored"
    assert len(json.loads((tmp_path / "run" / "history.json").read_text())["epochs"]) == 1


@pytest.mark.parametrize(
    "args, named",
    [
        (["--data", "/no/such/folder"], "/no/such/folder"),
        (["--data", "synthetic", "--num-classes", "5"], "--num-classes"),
        (["--data", "synthetic", "--batch-size", "0"], "batch_size"),
    ],
)
def test_bad_training_input_stops_with_one_line(tmp_path, args, named):
    result = CliRunner().invoke(main, ["train", *args, "--output", str(tmp_path / "run"), *TINY])
    assert result.exit_code != 0
    assert named in result.output and len(result.output.strip().splitlines()) == 1, result.output
    assert not (tmp_path / "run" / "run.json").exists()


def test_existing_run_is_not_overwritten(scenes, tmp_path):
    # A run with a checkpoint has work to lose; one without restarts (tests/faults/test_train_faults.py).
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    (tmp_path / "run" / "run.json").write_text("{}")
    (tmp_path / "run" / "checkpoints" / "ckpt-3.index").write_bytes(b"")
    result = CliRunner().invoke(main, ["train", "--data", str(scenes), "--output", str(tmp_path / "run"), *TINY])
    assert result.exit_code != 0 and "--resume" in result.output

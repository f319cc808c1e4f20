"""Console output that fits where it goes: one-line errors without native log noise, no bar redraws in logs."""

import io
import os
import subprocess
import sys

import pytest

from edge_deeplab import progress, quiet


def _edge_deeplab(*args, env=None):
    environment = {
        key: value for key, value in os.environ.items() if key not in ("TF_CPP_MIN_LOG_LEVEL", quiet.VERBOSE_ENV)
    }
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "edge_deeplab", *args], capture_output=True, text=True, timeout=300, env=environment
    )


@pytest.mark.parametrize("kind", ["tflite", "keras"])
def test_a_missing_model_is_one_line_on_stderr(tmp_path, kind):
    # A folder that is not a saved model makes the evaluator load TensorFlow before it refuses it: the
    # native start-up lines (absl, oneDNN, CUDA) must not reach the user.
    model = tmp_path / "missing.tflite" if kind == "tflite" else tmp_path / "not_a_model"
    if kind == "keras":
        model.mkdir()
    done = _edge_deeplab("evaluate", str(model), "--data", "synthetic", "--output", str(tmp_path / "out"))
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("Error: ") and str(model) in done.stderr


def test_verbose_keeps_the_native_log_lines(tmp_path):
    (tmp_path / "not_a_model").mkdir()
    done = _edge_deeplab("--verbose", "evaluate", str(tmp_path / "not_a_model"), "--data", "synthetic")
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) > 1 and "Error: " in done.stderr.splitlines()[-1]


def test_native_noise_is_filtered_and_the_rest_kept(capfd):
    with quiet.native_stderr_filtered():
        os.write(
            2,
            b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
            b"I0000 00:00:1796097034.159500   28077 port.cc:153] oneDNN custom operations are on.\n"
            b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"
            b"E0000 00:00:1796097040.000884   28077 some.cc:52] a real error\n",
        )
    assert capfd.readouterr().err == "E0000 00:00:1796097040.000884   28077 some.cc:52] a real error\n"


def test_progress_in_a_log_file_writes_lines_not_carriage_returns(monkeypatch):
    stderr, stdout = io.StringIO(), io.StringIO()  # not terminals, as under CI, nohup or `| tee`
    monkeypatch.setattr(sys, "stderr", stderr)
    monkeypatch.setattr(sys, "stdout", stdout)
    assert not progress.interactive()
    with progress.progress_bar(total=5, desc="epoch 1/2", unit="img") as bar:
        for _ in range(5):
            bar.update(1)
            bar.set_postfix(loss="0.1")
    assert "\r" not in stderr.getvalue() + stdout.getvalue()
    assert len(stderr.getvalue().splitlines()) == 1 and stderr.getvalue().startswith("epoch 1/2: 5/5 img")


def test_no_progress_writes_nothing(monkeypatch):
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    with progress.progress_bar(total=3, desc="evaluate", enabled=False) as bar:
        bar.update(3)
        bar.note("a line only a log gets")
    assert stderr.getvalue() == ""


def test_int8_conversion_keeps_the_converters_chatter_off_the_console(capfd):
    """The int8 calibrator's settings line and the QAT statistics warning say nothing a user acts on
    (issue 19: they reached the main job's log)."""
    import numpy as np
    import tf_keras as keras

    from edge_deeplab.converters.export import convert

    model = keras.Sequential([keras.layers.Input((8, 8, 3)), keras.layers.Conv2D(2, 3)])
    images = [np.random.default_rng(i).random((8, 8, 3), dtype=np.float32) for i in range(3)]
    assert convert(model, "int8", representative=images)[4:8] == b"TFL3"
    out, err = capfd.readouterr()
    assert "fully_quantize" not in out + err and "Statistics for quantized inputs" not in out + err

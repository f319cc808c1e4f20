"""Issue 15, cases 3 and 6 on stand-in phones: the user's own files on the phone are left alone, a phone
lost mid-run is reported as such, shell failures keep the shell's message, and finished results survive
an interrupted cleanup."""

import json
import os
import signal
import threading

import pytest
from click.testing import CliRunner

from adbd_standin import Replay
from bench_captures import by_flags, replay
from edge_deeplab.bench import device
from edge_deeplab.bench.adb import Adb, find_adb
from edge_deeplab.cli import main
from edge_deeplab.errors import EdgeDeeplabError

FULL_GPU = "tf43541_adb_gpu_full.txt"
CPU = "tf42507_cpu_peak_memory.txt"
USER_FILES = {
    "/data/local/tmp/benchmark_model": b"the user's own benchmark_model",
    "/data/local/tmp/person.tflite": b"the user's own model",
}


def run(model, binary, **config):
    options = dict(configs=("cpu", "gpu-fp16"), min_fps=8.0, timeout_s=20.0)
    options.update(config)
    return device.benchmark_on_device([model], binary, Adb(find_adb()), None, device.DeviceBenchConfig(**options))


def with_user_files(phone):
    for path, data in USER_FILES.items():
        phone.files[path] = {"data": data, "mode": 0o755}
    return phone


def user_files_intact(phone):
    return {path: phone.files.get(path, {}).get("data") for path in USER_FILES} == USER_FILES


def test_user_files_in_the_remote_folder_are_neither_overwritten_nor_deleted(phones, tiny_model, arm64_binary):
    phone = with_user_files(phones(by_flags(gpu=replay(FULL_GPU), cpu=replay(CPU))))
    report = run(tiny_model, arm64_binary, remote_dir="/data/local/tmp")
    assert [row["status"] for row in report["results"]] == [device.OK, device.OK]
    assert user_files_intact(phone) and set(phone.files) == set(USER_FILES)
    work = report["remote_dir"]
    assert work.startswith("/data/local/tmp/edge-deeplab-") and work not in phone.dirs
    assert "/data/local/tmp" in phone.dirs
    # Every write and every removal stayed inside the run's own folder.
    touching = [c for c in phone.commands if c.startswith(("rm ", "chmod ", "rmdir "))]
    assert touching and all(work in c for c in touching), touching


def test_two_runs_get_different_folders(phones, tiny_model, arm64_binary):
    phones(by_flags(gpu=replay(FULL_GPU), cpu=replay(CPU)))
    assert run(tiny_model, arm64_binary)["remote_dir"] != run(tiny_model, arm64_binary)["remote_dir"]


def test_a_file_that_is_not_tflite_is_refused_before_touching_the_phone(phones, tmp_path, arm64_binary):
    phone = phones(by_flags(gpu=replay(FULL_GPU)))
    wrong = tmp_path / "model.tflite"
    wrong.write_bytes(b"<html>404 Not Found</html>")
    with pytest.raises(EdgeDeeplabError, match=r"model.tflite: not a TFLite model \(no TFL3"):
        run(wrong, arm64_binary)
    assert phone.commands == []


def _lose_the_phone(phone, after_s=0.5):
    """A benchmark_model that hangs while the phone drops off (its adbd stops answering)."""

    def behaviour(argv):
        if "--use_gpu=true" in argv:
            threading.Timer(after_s, phone.stop).start()
            return Replay(stdout="STARTING!\n", hang_s=30)
        return replay(CPU)

    return behaviour


def test_a_phone_lost_mid_run_is_reported_as_lost_and_finished_runs_kept(phones, tiny_model, arm64_binary, tmp_path):
    phone = phones()
    phone.behaviour = _lose_the_phone(phone)
    out = tmp_path / "device.json"
    result = CliRunner().invoke(
        main,
        [
            "bench",
            "device",
            str(tiny_model),
            "--benchmark-binary",
            str(arm64_binary),
            "--configs",
            "cpu,gpu-fp16,gpu-fp32",
            "--timeout",
            "20",
            "--json",
            str(out),
            "--history",
            str(tmp_path / "history.jsonl"),
        ],
    )
    message = result.output.strip().splitlines()[-1]
    assert result.exit_code == 1 and message.startswith("Error: ") and "Traceback" not in result.output, result.output
    assert f"device {phone.serial}" in message and "during gpu-fp16" in message and "reconnect" in message
    assert "exited with code" not in message and "no measured runs" not in message
    saved = json.loads(out.read_text())
    assert [row["status"] for row in saved["results"]] == [device.OK, device.DEVICE_LOST]
    assert f"saved in {out}" in message and f"rm -r {saved['remote_dir']}" in message
    assert "not removed" in saved["cleanup"]


@pytest.mark.parametrize(
    "code, says",
    [
        (126, "/system/bin/sh: benchmark_model: can't execute: Permission denied"),
        (127, "/system/bin/sh: benchmark_model: not found"),
    ],
)
def test_shell_failures_keep_the_shell_message(phones, tiny_model, arm64_binary, code, says):
    phones(by_flags(gpu=Replay(stderr=says + "\n", exit_code=code), cpu=replay(CPU)))
    report = run(tiny_model, arm64_binary)
    gpu = next(row for row in report["results"] if row["config"] == "gpu-fp16")
    assert gpu["status"] == device.FAILED and gpu["exit_code"] == code
    assert says in gpu["reason"] and gpu["shell_error"] == says


def test_ctrl_c_during_cleanup_keeps_the_finished_results(phones, tiny_model, arm64_binary, tmp_path):
    phone = phones(by_flags(gpu=replay(FULL_GPU), cpu=replay(CPU)))
    shell = phone.run_shell

    def interrupted_at_cleanup(command):
        if command.startswith("rm "):
            os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C while we clean up
        return shell(command)

    phone.run_shell = interrupted_at_cleanup
    out = tmp_path / "device.json"
    CliRunner().invoke(
        main,
        [
            "bench",
            "device",
            str(tiny_model),
            "--benchmark-binary",
            str(arm64_binary),
            "--configs",
            "cpu,gpu-fp16",
            "--min-fps",
            "8",
            "--json",
            str(out),
            "--history",
            str(tmp_path / "history.jsonl"),
        ],
    )
    saved = json.loads(out.read_text())
    assert [row["status"] for row in saved["results"]] == [device.OK, device.OK]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary file left"


@pytest.mark.parametrize("value", ["-5", "0"])
def test_min_fps_must_be_positive(tiny_model, arm64_binary, value):
    result = CliRunner().invoke(
        main, ["bench", "device", str(tiny_model), "--benchmark-binary", str(arm64_binary), "--min-fps", value]
    )
    assert result.exit_code == 1 and result.output.strip().splitlines() == [
        f"Error: --min-fps {value} must be a positive number of frames per second, e.g. 15"
    ]

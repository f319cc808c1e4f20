"""The device benchmark through the real adb client, against stand-in phones on 127.0.0.1 whose
benchmark_model replays genuine captured output (see conftest.py and adbd_standin.py)."""

import time

import pytest

from bench_captures import by_flags, replay
from edge_deeplab.bench import device
from edge_deeplab.bench.adb import Adb, find_adb
from edge_deeplab.errors import EdgeDeeplabError

FULL_GPU = "tf43541_adb_gpu_full.txt"  # GPU took the whole graph, 119375 us per run
CPU = "tf42507_cpu_peak_memory.txt"  # 33209.4 us per run
NNAPI_PARTIAL = "tf56301_logcat_nnapi_partial.txt"


def run(model, binary, serial=None, **config):
    options = dict(configs=("cpu", "gpu-fp16", "gpu-fp32", "nnapi"), min_fps=8.0, timeout_s=20.0)
    options.update(config)
    return device.benchmark_on_device([model], binary, Adb(find_adb()), serial, device.DeviceBenchConfig(**options))


def benchmark_runs(phone):
    """The benchmark_model invocations the phone received."""
    prefix = f"{device.DEFAULT_REMOTE_DIR}/{device.WORK_DIR_PREFIX}"
    return [command for command in phone.commands if command.startswith(prefix) and " --graph=" in command]


def work_dirs(phone):
    """Folders a benchmark created on the phone and left there."""
    return [d for d in phone.dirs if d.rsplit("/", 1)[-1].startswith(device.WORK_DIR_PREFIX)]


def result(report, config):
    return next(row for row in report["results"] if row["config"] == config)


def test_full_delegation_facts_flags_numbers_gate_and_cleanup(phones, tiny_model, arm64_binary):
    phone = phones(by_flags(gpu=replay(FULL_GPU), cpu=replay(CPU), nnapi=replay(NNAPI_PARTIAL)))
    report = run(tiny_model, arm64_binary)

    facts = report["device"]
    assert facts["serial"] == phone.serial and facts["model"] == "adbd-standin"
    assert (facts["soc"], facts["android"], facts["abi"]) == ("Stand-in SI-1", "14", "arm64-v8a")
    assert facts["gpu"] == "Stand-in, Stand-in GPU, OpenGL ES 3.2"

    gpu16, gpu32 = result(report, "gpu-fp16"), result(report, "gpu-fp32")
    for row in (gpu16, gpu32):
        assert row["status"] == device.OK and row["fps"] == pytest.approx(1e6 / 119375)
        assert row["delegates"]["GPU"]["status"] == "full"
    assert result(report, "cpu")["fps"] == pytest.approx(1e6 / 33209.4)
    assert result(report, "cpu")["printed"]["memory_overall_mb"] == pytest.approx(12.8672)
    assert result(report, "nnapi")["status"] == device.NOT_FULLY_DELEGATED

    runs = benchmark_runs(phone)
    assert len(runs) == 4
    remote = report["remote_dir"]
    prefix = "/data/local/tmp/edge-deeplab-"
    assert remote.startswith(prefix) and len(remote) == len(prefix) + 8
    assert all(command.startswith(f"{remote}/benchmark_model ") for command in runs)
    assert all(f"--graph={remote}/person.tflite" in command for command in runs)
    assert any("--use_gpu=true --gpu_precision_loss_allowed=true" in command for command in runs)
    assert any("--use_gpu=true --gpu_precision_loss_allowed=false" in command for command in runs)
    assert any("--use_nnapi=true" in command for command in runs)
    assert all("--num_runs=50" in command and "--warmup_runs=5" in command for command in runs)

    assert report["gate"]["passed"] and report["gate"]["models"]["person.tflite"]["fps"] == pytest.approx(8.377, 1e-3)
    assert phone.files == {} and remote not in phone.dirs, "everything pushed must be removed"
    assert report["cleanup"] == f"removed 2 pushed file(s) and {remote}"


def test_gate_fails_below_min_fps(phones, tiny_model, arm64_binary):
    phones(by_flags(gpu=replay(FULL_GPU), cpu=replay(CPU)))
    report = run(tiny_model, arm64_binary, configs=("cpu", "gpu-fp16"), min_fps=15.0)
    verdict = report["gate"]["models"]["person.tflite"]
    assert not report["gate"]["passed"] and verdict["reason"] == "8.4 FPS on gpu-fp16 < 15"


def test_partial_delegation_is_flagged_with_the_ops_and_never_counted(phones, tiny_model, arm64_binary):
    phones(by_flags(gpu=replay("tf56301_logcat_gpu_unsupported_op.txt"), cpu=replay(CPU)))
    report = run(tiny_model, arm64_binary, configs=("cpu", "gpu-fp16"))
    gpu = result(report, "gpu-fp16")
    assert gpu["status"] == device.NOT_FULLY_DELEGATED and gpu["fps"] is None
    assert gpu["reason"] == "GPU requested but not fully delegated: UNPACK fell back to the CPU"
    assert not report["gate"]["passed"]
    assert "UNPACK" in report["gate"]["models"]["person.tflite"]["reason"]


def test_failed_run_with_non_zero_exit(phones, tiny_model, arm64_binary):
    phone = phones(by_flags(gpu=replay("tf62753_gpu_failure.txt", exit_code=1), cpu=replay(CPU)))
    report = run(tiny_model, arm64_binary, configs=("cpu", "gpu-fp16"))
    gpu = result(report, "gpu-fp16")
    assert gpu["status"] == device.FAILED and gpu["exit_code"] == 1
    assert gpu["reason"].startswith("Failed to build program executable")
    assert result(report, "cpu")["status"] == device.OK
    assert not report["gate"]["passed"] and phone.files == {}


def test_time_out_ends_the_run_cleanly_and_the_others_go_on(phones, tiny_model, arm64_binary):
    phone = phones(by_flags(gpu=replay("tf58379_gpu_cut_before_measured_runs.txt", hang_s=60), cpu=replay(CPU)))
    started = time.monotonic()
    report = run(tiny_model, arm64_binary, configs=("gpu-fp16", "cpu"), timeout_s=3.0)
    assert time.monotonic() - started < 30
    gpu = result(report, "gpu-fp16")
    assert gpu["status"] == device.TIMED_OUT and gpu["fps"] is None
    assert "did not finish within 3 s" in gpu["reason"]
    assert result(report, "cpu")["status"] == device.OK
    assert phone.files == {}


def test_two_devices_need_a_serial(phones, tiny_model, arm64_binary):
    first = phones(by_flags(gpu=replay(FULL_GPU), cpu=replay(CPU)))
    second = phones(by_flags(gpu=replay(FULL_GPU), cpu=replay(CPU)))
    with pytest.raises(EdgeDeeplabError, match=r"2 devices connected .*choose one with --serial"):
        run(tiny_model, arm64_binary)
    report = run(tiny_model, arm64_binary, serial=second.serial, configs=("gpu-fp16",))
    assert report["device"]["serial"] == second.serial
    assert len(benchmark_runs(second)) == 1
    assert first.commands == []
    with pytest.raises(EdgeDeeplabError, match="no device with serial '127.0.0.1:1'"):
        run(tiny_model, arm64_binary, serial="127.0.0.1:1")


def test_unauthorized_device(phones, tiny_model, arm64_binary):
    phones(mode="unauthorized")
    with pytest.raises(EdgeDeeplabError, match="is unauthorized: unlock the phone and accept"):
        run(tiny_model, arm64_binary)


def test_offline_device(phones, tiny_model, arm64_binary):
    phones(mode="offline")
    with pytest.raises(EdgeDeeplabError, match="is offline: reconnect the USB cable"):
        run(tiny_model, arm64_binary)


def test_push_failure_names_the_reason_and_leaves_nothing(phones, tiny_model, arm64_binary):
    phone = phones(by_flags(gpu=replay(FULL_GPU)), fail_push="No space left on device")
    with pytest.raises(EdgeDeeplabError, match="could not push android_aarch64_benchmark_model .*No space left"):
        run(tiny_model, arm64_binary)
    assert phone.files == {} and benchmark_runs(phone) == []
    assert work_dirs(phone) == [], "the folder this run created must go too"


def test_a_folder_that_was_already_there_is_kept(phones, tiny_model, arm64_binary):
    phone = phones(by_flags(gpu=replay(FULL_GPU)))
    phone.dirs.add("/data/local/tmp/bench")
    report = run(tiny_model, arm64_binary, configs=("gpu-fp16",), remote_dir="/data/local/tmp/bench")
    assert report["cleanup"] == f"removed 2 pushed file(s) and {report['remote_dir']}"
    assert phone.files == {} and "/data/local/tmp/bench" in phone.dirs and work_dirs(phone) == []


def test_a_folder_this_run_created_goes_too(phones, tiny_model, arm64_binary):
    phone = phones(by_flags(gpu=replay(FULL_GPU)))
    report = run(tiny_model, arm64_binary, configs=("gpu-fp16",), remote_dir="/data/local/tmp/new")
    assert report["cleanup"] == f"removed 2 pushed file(s) and {report['remote_dir']}, /data/local/tmp/new"
    assert "/data/local/tmp/new" not in phone.dirs and work_dirs(phone) == []


def test_read_only_remote_folder(phones, tiny_model, arm64_binary):
    phones(by_flags(gpu=replay(FULL_GPU)))
    with pytest.raises(EdgeDeeplabError, match="could not create /system/edge_deeplab .*Read-only file system"):
        run(tiny_model, arm64_binary, remote_dir="/system/edge_deeplab")


def test_missing_binary_fails_before_touching_the_phone(phones, tiny_model, tmp_path):
    phone = phones(by_flags(gpu=replay(FULL_GPU)))
    with pytest.raises(EdgeDeeplabError, match="benchmark_model binary not found"):
        run(tiny_model, tmp_path / "nowhere" / "benchmark_model")
    assert phone.commands == []


def test_binary_for_another_abi_is_refused_before_pushing(phones, tiny_model, tmp_path):
    phone = phones(by_flags(gpu=replay(FULL_GPU)))
    x86 = tmp_path / "benchmark_model_x86_64"
    header = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8) + (2).to_bytes(2, "little") + (0x3E).to_bytes(2, "little")
    x86.write_bytes(header + bytes(64))
    with pytest.raises(EdgeDeeplabError, match="built for x86_64 but the phone runs arm64-v8a"):
        run(tiny_model, x86)
    assert phone.files == {}


def test_no_device_connected(adb_server, tiny_model, arm64_binary):
    with pytest.raises(EdgeDeeplabError, match="no Android device connected"):
        run(tiny_model, arm64_binary)


def test_gate_needs_a_gpu_configuration():
    with pytest.raises(EdgeDeeplabError, match="add gpu-fp16 or gpu-fp32"):
        device.DeviceBenchConfig(configs=("cpu",))
    assert device.DeviceBenchConfig(configs=("cpu",), gate=False).runs() == [("cpu", 4)]
    assert device.DeviceBenchConfig(threads=(1, 4)).runs() == [
        ("cpu", 1),
        ("cpu", 4),
        ("gpu-fp16", 4),
        ("gpu-fp32", 4),
        ("nnapi", 4),
    ]


def test_a_preset_is_pushed_as_its_int8_model(phones, arm64_binary):
    phones(by_flags(gpu=replay(FULL_GPU), cpu=replay(CPU), nnapi=replay(NNAPI_PARTIAL)))
    report = run("preset:person", arm64_binary, configs=("cpu", "gpu-fp16"))
    assert report["models"][0]["name"] == "int8.tflite" and result(report, "cpu")["status"] == device.OK

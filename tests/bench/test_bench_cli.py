"""`edge-deeplab bench host | device | devices | history` as a user runs them."""

import json

from click.testing import CliRunner

from bench_captures import by_flags, replay
from edge_deeplab.cli import main


def invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_bench_host_table_json_and_history(shared, tmp_path):
    model = shared / "peers" / "mediapipe-selfie" / "selfie_segmentation.tflite"
    report_path, history_path = tmp_path / "host.json", tmp_path / "history.jsonl"
    args = [
        "bench",
        "host",
        str(model),
        "--runs",
        "2",
        "--warmup",
        "0",
        "--threads",
        "1",
        "--no-gpu",
        "--mean",
        "0",
        "--std",
        "255",
        "--json",
        str(report_path),
        "--history",
        str(history_path),
    ]
    first = invoke(*args)
    assert first.exit_code == 0, first.output
    assert "selfie_segmentation.tflite" in first.output and "e2e" in first.output and "decode" in first.output
    report = json.loads(report_path.read_text())
    assert report["kind"] == "host" and report["models"][0]["preprocessing"]["std"] == [255.0] * 3
    assert invoke(*args).exit_code == 0
    lines = history_path.read_text().splitlines()
    assert len(lines) == 4  # model and e2e, twice
    shown = invoke("bench", "history", str(history_path))
    assert shown.exit_code == 0 and "regression(s) over 10%" in shown.output


def test_bench_host_errors_are_one_line(tmp_path):
    missing = invoke("bench", "host", str(tmp_path / "none.tflite"), "--json", str(tmp_path / "r.json"))
    assert missing.exit_code == 1
    assert missing.output.strip().splitlines() == [
        f"Error: {tmp_path / 'none.tflite'}: model file not found; pass .tflite files"
    ]
    assert not (tmp_path / "r.json").exists()
    unpaired = invoke("bench", "host", str(tmp_path / "none.tflite"), "--mean", "0")
    assert unpaired.exit_code == 1 and "--mean and --std go together" in unpaired.output


def test_bench_device_gate_sets_the_exit_code(phones, tiny_model, arm64_binary, tmp_path):
    phones(by_flags(gpu=replay("tf43541_adb_gpu_full.txt"), cpu=replay("tf42507_cpu_peak_memory.txt")))
    common = [
        str(tiny_model),
        "--benchmark-binary",
        str(arm64_binary),
        "--configs",
        "cpu,gpu-fp16",
        "--history",
        str(tmp_path / "history.jsonl"),
    ]
    failing = invoke("bench", "device", *common, "--json", str(tmp_path / "fail.json"))
    assert failing.exit_code == 1, failing.output
    assert "gate FAIL: person.tflite: 8.4 FPS on gpu-fp16 < 15" in failing.output
    assert "adbd-standin" in failing.output and "cleanup: removed 2 pushed file(s)" in failing.output
    assert json.loads((tmp_path / "fail.json").read_text())["gate"]["passed"] is False

    passing = invoke("bench", "device", *common, "--min-fps", "8", "--json", str(tmp_path / "pass.json"))
    assert passing.exit_code == 0, passing.output
    assert "gate PASS: person.tflite: 8.4 FPS on gpu-fp16 >= 8" in passing.output


def test_bench_device_without_binary_option_is_a_usage_error(tiny_model):
    result = invoke("bench", "device", str(tiny_model))
    assert result.exit_code == 2 and "--benchmark-binary" in result.output


def test_bench_devices_lists_every_phone_and_its_facts(phones):
    ready = phones(by_flags())
    locked = phones(mode="unauthorized")
    result = invoke("bench", "devices")
    assert result.exit_code == 0, result.output
    assert ready.serial in result.output and "adbd-standin" in result.output and "Stand-in SI-1" in result.output
    assert f"{locked.serial}  unauthorized" in result.output

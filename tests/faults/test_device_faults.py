"""Issue 22, `bench device` on stand-in phones (tests/bench's adbd stand-in): a --remote-dir it had to make is
removed down to what existed, a model cut short is refused before the phone is touched, and a phone that stops
answering a fixed-time question is not blamed on --timeout."""

import importlib.util
import sys
from pathlib import Path

import pytest

from edge_deeplab import presets
from edge_deeplab.bench import device
from edge_deeplab.bench.adb import Adb, AdbTimeout, find_adb
from edge_deeplab.errors import EdgeDeeplabError

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))  # the stand-in and its captures
_spec = importlib.util.spec_from_file_location("bench_fixtures", BENCH / "conftest.py")
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)
adb_server, phones, arm64_binary, tiny_model = (
    _fixtures.adb_server,
    _fixtures.phones,
    _fixtures.arm64_binary,
    _fixtures.tiny_model,
)

from bench_captures import by_flags, replay  # noqa: E402

FULL_GPU, CPU = "tf43541_adb_gpu_full.txt", "tf42507_cpu_peak_memory.txt"


def _run(model, binary, **config):
    options = dict(configs=("cpu", "gpu-fp16"), min_fps=8.0, timeout_s=20.0)
    options.update(config)
    return device.benchmark_on_device([model], binary, Adb(find_adb()), None, device.DeviceBenchConfig(**options))


def test_a_remote_dir_it_made_is_removed_with_every_parent_it_made(phones, tiny_model, arm64_binary):
    phone = phones(by_flags(gpu=replay(FULL_GPU), cpu=replay(CPU)))
    before = set(phone.dirs)
    report = _run(tiny_model, arm64_binary, remote_dir="/data/local/tmp/new/sub")
    assert [row["status"] for row in report["results"]] == [device.OK, device.OK]
    assert set(phone.dirs) == before, f"left on the phone: {set(phone.dirs) - before}"
    assert "/data/local/tmp/new/sub" in report["cleanup"] and "/data/local/tmp/new" in report["cleanup"]


def test_a_model_cut_short_is_refused_before_the_phone_is_touched(phones, arm64_binary, tmp_path):
    phone = phones(by_flags(gpu=replay(FULL_GPU)))
    whole = presets.resolve("preset:person", "int8").read_bytes()
    cut = tmp_path / "cut.tflite"
    cut.write_bytes(whole[: len(whole) // 2])  # keeps its TFL3 identifier
    with pytest.raises(EdgeDeeplabError, match=r"cut\.tflite: a damaged TFLite model: .*cut short"):
        _run(cut, arm64_binary)
    assert phone.commands == []


def test_a_frozen_phone_is_not_blamed_on_timeout(tmp_path):
    # An adb client that never answers stands for a phone that froze: the 30 s questions (getprop, test -d,
    # mkdir) are not --timeout's, so the message must not tell the user to raise it.
    frozen = tmp_path / "adb"
    frozen.write_text("#!/bin/sh\nsleep 30\n")
    frozen.chmod(0o755)
    adb = Adb(str(frozen), serial="phone")
    with pytest.raises(AdbTimeout) as caught:
        adb.shell("getprop", timeout=0.5)
    assert "--timeout" not in str(caught.value) and "frozen" in str(caught.value), str(caught.value)
    with pytest.raises(AdbTimeout, match="raise --timeout"):  # a push is: it takes max(60 s, --timeout)
        adb.push(frozen, "/data/local/tmp/x", timeout=0.5)

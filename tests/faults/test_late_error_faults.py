"""Issue 22, tracebacks and late errors: each case stops in one line naming the thing and the fix, before
any work, and writes nothing. (Covered elsewhere: export and pipeline --calibration-images 0/-5, train --seed
-1 and pipeline --bench-runs 0 in test_option_faults; a history latency "fast" and person_class 99 with
--output-kind person_alpha in test_wrong_result_faults.)"""

import os
import subprocess

import pytest

from fault_tools import S, cli, one_line

PEER = "peers/deeplabv3-mnv2-dm05-voc/deeplabv3_257.tflite"


@pytest.fixture
def read_only(tmp_path):
    """A read-only folder (a read-only bind mount: root writes through chmod)."""
    source, folder = tmp_path / "source", tmp_path / "ro"
    source.mkdir()
    folder.mkdir()
    for args in (["--bind", source, folder], ["-o", "remount,ro,bind", folder]):
        result = subprocess.run(["mount", *map(str, args)], capture_output=True, text=True)
        if result.returncode != 0:
            subprocess.run(["umount", str(folder)], check=False)
            pytest.skip(f"cannot mount here ({result.stderr.strip()}): needs root")
    yield folder
    subprocess.run(["umount", str(folder)], check=False)


@pytest.mark.parametrize("where", [".", ".."])
def test_model_build_into_the_working_folder_or_its_parent(tmp_path, where):
    work = tmp_path / "a" / "work"
    work.mkdir(parents=True)
    (work / "notes.txt").write_text("mine\n")
    cwd = os.getcwd()
    os.chdir(work)
    try:
        one_line(cli("model", "build", where, *S), where, "choose a new or empty folder")
    finally:
        os.chdir(cwd)
    assert sorted(p.name for p in work.iterdir()) == ["notes.txt"] and os.listdir(tmp_path / "a") == ["work"]


def test_model_build_below_a_file(tmp_path):
    (tmp_path / "afile").write_text("mine")
    one_line(cli("model", "build", tmp_path / "afile" / "m", *S), tmp_path / "afile", "is a file")
    assert (tmp_path / "afile").read_text() == "mine"


def test_model_build_and_import_into_a_read_only_folder(read_only, shared):
    one_line(cli("model", "build", read_only / "m", *S), read_only / "m", "Read-only file system")
    one_line(
        cli("model", "import", shared / PEER, read_only / "imp", "--classes", "background,person"),
        read_only / "imp",
        "Read-only file system",
    )
    assert os.listdir(read_only) == []


def test_export_qat_int8_refuses_a_float_model_as_the_qat_model(model, tiny_scenes, tmp_path):
    one_line(
        cli(
            "export",
            model,
            "--formats",
            "qat-int8",
            "--qat-model",
            model,
            "--data",
            tiny_scenes,
            "--output",
            tmp_path / "ex",
            "--no-gpu-check",
        ),
        "--qat-model",
        model,
        "edge-deeplab qat",
    )
    assert not (tmp_path / "ex").exists()


def test_train_refuses_an_input_size_no_machine_can_train_before_any_work(tiny_scenes, tmp_path):
    run = tmp_path / "run"
    line = one_line(
        cli(
            "train",
            "--data",
            tiny_scenes,
            "--output",
            run,
            "--alpha",
            "0.35",
            "--batch-size",
            "2",
            "--input-size",
            "100000",
        ),
        "input_size",
        "100000",
    )
    assert "at most" in line
    assert not run.exists()


def test_evaluate_threads_0_blames_the_option_not_the_model(shared, tiny_scenes, tmp_path):
    one_line(
        cli("evaluate", "peer:mediapipe-selfie", "--data", tiny_scenes, "--output", tmp_path / "ev", "--threads", "0"),
        "--threads 0",
    )
    assert not (tmp_path / "ev").exists()


@pytest.mark.parametrize("value", ["inf", "nan", "0"])
def test_bench_device_timeout_must_be_finite_before_any_phone(tmp_path, value):
    model = tmp_path / "m.tflite"
    model.write_bytes(b"\x1c\x00\x00\x00TFL3" + bytes(100))
    one_line(
        cli(
            "bench",
            "device",
            model,
            "--benchmark-binary",
            model,
            "--timeout",
            value,
            "--json",
            tmp_path / "d.json",
            "--history",
            tmp_path / "h.jsonl",
        ),
        "--timeout",
    )


def test_pipeline_serial_without_benchmark_binary_before_the_first_stage(tiny_scenes, tmp_path):
    out = tmp_path / "p"
    one_line(
        cli(
            "pipeline",
            "--output",
            out,
            "--data",
            tiny_scenes,
            *S,
            "--epochs",
            "1",
            "--batch-size",
            "2",
            "--no-peers",
            "--no-progress",
            "--serial",
            "emulator-5554",
        ),
        "--serial",
        "--benchmark-binary",
    )
    assert not out.exists()

"""Issue 15, case 4: an output that cannot be written stops the command before its work, with one line
naming the path, and no temporary file is left behind (read-only folder, full disk, a file in the way).

The read-only folder and the full disk are real file systems: a read-only bind mount and a 64 KiB tmpfs
(we run as root, so chmod would not stop a write). Where `mount` is not allowed those tests skip, saying so.
"""

import errno
import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from edge_deeplab.cli import main
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab import io

TINY = [
    "--input-size",
    "65",
    "--alpha",
    "0.35",
    "--aspp-channels",
    "8",
    "--decoder-channels",
    "8",
    "--batch-size",
    "2",
    "--epochs",
    "1",
    "--no-progress",
]


def _mount(*args):
    result = subprocess.run(["mount", *map(str, args)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount here ({result.stderr.strip() or result.returncode}): needs root and mount rights")


@pytest.fixture
def read_only(tmp_path):
    """A read-only folder (bind mount) holding an Android demo skeleton."""
    source, folder = tmp_path / "source", tmp_path / "read-only"
    (source / "app" / "app" / "src" / "main").mkdir(parents=True)
    (source / "app" / "app" / "src" / "main" / "AndroidManifest.xml").write_text("<manifest/>")
    folder.mkdir()
    _mount("--bind", source, folder)
    try:
        _mount("-o", "remount,ro,bind", folder)
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB tmpfs: room for a probe, not for a model."""
    folder = tmp_path / "small"
    folder.mkdir()
    _mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", folder)
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


@pytest.fixture
def full_disk(small_disk):
    """The 64 KiB tmpfs filled to the last byte."""
    with pytest.raises(OSError) as caught, open(small_disk / "filler", "wb") as stream:
        while True:
            stream.write(b"x" * 4096)
            stream.flush()
    assert caught.value.errno == errno.ENOSPC
    return small_disk


def _run(*args):
    return CliRunner().invoke(main, [*map(str, args)])


def _one_line(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, (SystemExit, type(None)))
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def _temporaries(folder: Path) -> list:
    return [p for p in folder.rglob("*") if ".tmp" in p.name]


# Each command is given a missing model or no data it would get to: the output must be refused first.
READ_ONLY_COMMANDS = {
    "train": lambda ro, scenes: ["train", "--data", scenes, "--output", ro / "run", *TINY],
    "evaluate": lambda ro, scenes: ["evaluate", "missing.tflite", "--data", scenes, "--output", ro / "eval"],
    "export": lambda ro, scenes: ["export", "missing-model", "--output", ro / "export", "--formats", "fp32"],
    "bench host": lambda ro, scenes: [
        "bench",
        "host",
        "missing.tflite",
        "--json",
        ro / "host.json",
        "--history",
        ro.parent / "history.jsonl",
    ],
    "bench device": lambda ro, scenes: [
        "bench",
        "device",
        "missing.tflite",
        "--benchmark-binary",
        "missing",
        "--json",
        ro / "device.json",
        "--history",
        ro.parent / "history.jsonl",
    ],
    "quant-report": lambda ro, scenes: ["quant-report", "missing-model", "--data", scenes, "--output", ro / "q"],
    "pipeline": lambda ro, scenes: ["pipeline", "--data", scenes, "--output", ro / "pipeline", "--epochs", "1"],
    "export-android": lambda ro, scenes: [
        "export-android",
        "missing_fp16.tflite",
        "missing_int8.tflite",
        "--app",
        ro / "app",
    ],
}


@pytest.mark.parametrize("command", sorted(READ_ONLY_COMMANDS))
def test_a_read_only_output_stops_before_the_work(read_only, tiny_scenes, command):
    args = READ_ONLY_COMMANDS[command](read_only, tiny_scenes)
    before = sorted(p.name for p in read_only.rglob("*"))
    line = _one_line(_run(*args))
    assert line.startswith(f"Error: {read_only}/") and "Read-only file system" in line, line
    assert "write somewhere else" in line
    assert sorted(p.name for p in read_only.rglob("*")) == before
    assert not (read_only.parent / "history.jsonl").exists(), "nothing measured, nothing appended"


def test_a_full_disk_stops_before_the_work_and_names_the_path(full_disk, tiny_scenes):
    line = _one_line(_run("train", "--data", tiny_scenes, "--output", full_disk / "run", *TINY))
    assert line == (
        f"Error: {full_disk / 'run'}: cannot write (No space left on device): the disk is full: free some space"
    )
    line = _one_line(
        _run(
            "bench",
            "host",
            "missing.tflite",
            "--json",
            full_disk / "host.json",
            "--history",
            full_disk.parent / "history.jsonl",
        )
    )
    assert "host.json: cannot write (No space left on device)" in line
    assert not (full_disk.parent / "history.jsonl").exists()
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler"] and not _temporaries(full_disk)


def test_a_disk_that_fills_during_a_history_append_is_one_line_and_the_next_append_repairs_it(small_disk):
    from edge_deeplab.bench import report

    history = small_disk / "history.jsonl"
    entry = {
        "where": "host:x",
        "model_sha256": "0" * 64,
        "config": "cpu: xnnpack",
        "mode": "model",
        "latency_ms": 1.0,
        "model": "m.tflite",
        "note": "x" * 1000,
    }
    with pytest.raises(EdgeDeeplabError, match=r"history.jsonl: cannot write \(No space left on device\)"):
        report.append_history(history, [entry] * 200)
    history.write_bytes(history.read_bytes()[: 8 * 1024])  # free space again, keeping a cut last line
    assert report.append_history(history, [entry])
    assert all(json.loads(line) for line in history.read_text().splitlines())


def test_a_model_larger_than_the_space_left_leaves_no_temporary_file(small_disk):
    # The probe fits, the model does not: io.write_bytes removes its temporary file (issue 15 found
    # `.best_fp32.tflite.tmp` left by the old writer); one line names the file.
    io.check_writable_output(small_disk / "export")
    with pytest.raises(EdgeDeeplabError, match=r"best_fp32.tflite: cannot write \(No space left on device\)"):
        io.write_bytes(small_disk / "export" / "best_fp32.tflite", b"\0" * 256 * 1024)
    assert not _temporaries(small_disk) and not (small_disk / "export" / "best_fp32.tflite").exists()


def test_evaluate_output_pointing_at_a_file_is_one_line(tmp_path, tiny_scenes):
    (tmp_path / "afile").write_text("mine")
    line = _one_line(_run("evaluate", "missing.tflite", "--data", tiny_scenes, "--output", tmp_path / "afile"))
    assert (
        line == f"Error: {tmp_path / 'afile'}: a file is in the way where a folder should be: remove it or "
        "choose another path"
    )
    assert (tmp_path / "afile").read_text() == "mine"


def test_train_output_below_a_file_is_one_line(tmp_path, tiny_scenes):
    (tmp_path / "afile").write_text("mine")
    line = _one_line(_run("train", "--data", tiny_scenes, "--output", tmp_path / "afile" / "run", *TINY))
    assert f"{tmp_path / 'afile'} is a file where a folder should be" in line


def test_bench_host_json_below_a_file_appends_nothing_to_the_history(shared, tmp_path):
    model = shared / "peers" / "mediapipe-selfie" / "selfie_segmentation.tflite"
    (tmp_path / "afile").write_text("mine")
    history = tmp_path / "history.jsonl"
    line = _one_line(
        _run(
            "bench",
            "host",
            model,
            "--runs",
            "1",
            "--warmup",
            "0",
            "--threads",
            "1",
            "--no-gpu",
            "--no-e2e",
            "--mean",
            "0",
            "--std",
            "255",
            "--json",
            tmp_path / "afile" / "x.json",
            "--history",
            history,
        )
    )
    assert f"{tmp_path / 'afile'} is a file where a folder should be" in line
    assert not history.exists(), "the history must not be appended to when the report cannot be written"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_a_json_path_that_is_a_folder_is_one_line(tmp_path):
    (tmp_path / "report.json").mkdir()
    line = _one_line(
        _run(
            "bench",
            "host",
            "missing.tflite",
            "--json",
            tmp_path / "report.json",
            "--history",
            tmp_path / "history.jsonl",
        )
    )
    assert line == f"Error: {tmp_path / 'report.json'}: a directory is in the way: remove it or choose another name"


def test_the_check_creates_nothing(tmp_path):
    assert io.check_writable_output(tmp_path / "a" / "b", "folder") == tmp_path / "a" / "b"
    assert io.check_writable_output(tmp_path / "c" / "report.json", "file")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_replacement_whose_last_rename_fails_keeps_the_previous_folder(tmp_path, monkeypatch):
    """staged_folder(replace=True) (every model folder: best/, last/) moves the previous folder aside, then
    renames the new one in: when that last rename fails, the previous folder is back under its own name, not
    left as .best.old with no best/, and no staging folder stays behind."""
    import os

    folder = tmp_path / "best"
    folder.mkdir()
    (folder / "model.json").write_text("the previous model\n")
    renames = []
    real_replace = os.replace

    def second_rename_fails(source, target):
        renames.append((source, target))
        if len(renames) == 2:  # the staging folder onto best/, after best/ went aside
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_replace(source, target)

    monkeypatch.setattr(io.os, "replace", second_rename_fails)
    with pytest.raises(EdgeDeeplabError, match=r"best: cannot write \(Input/output error\)"):
        with io.staged_folder(folder, replace=True) as staging:
            (staging / "model.json").write_text("the new model\n")
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["best"]
    assert (folder / "model.json").read_text() == "the previous model\n"


def test_a_folder_hidden_by_a_kill_between_the_renames_is_put_back(tmp_path):
    """A kill between staged_folder's two renames leaves the previous folder as .best.old and no best/: the
    next replacement puts it back first, so a failure then still leaves the previous model in place."""
    hidden = tmp_path / ".best.old"
    hidden.mkdir()
    (hidden / "model.json").write_text("the previous model\n")
    with pytest.raises(RuntimeError):
        with io.staged_folder(tmp_path / "best", replace=True) as staging:
            (staging / "model.json").write_text("half of a new model\n")
            raise RuntimeError("killed while writing")
    assert [p.name for p in tmp_path.iterdir()] == ["best"]
    assert (tmp_path / "best" / "model.json").read_text() == "the previous model\n"

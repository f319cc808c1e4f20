"""Issue 22, data loss 7 and 8: a disk that fills during export-android or training gives one line naming
the path, keeps the previous good state (the installed models, the last checkpoint) and leaves no partial
file behind. The disks are real: small tmpfs mounts (conftest's tmpfs fixture)."""

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from edge_deeplab import presets
from edge_deeplab.cli import main
from edge_deeplab.deploy.android import ASSETS_DIR, CONTRACT_ASSET, CPU_ASSET, GPU_ASSET, MANIFEST, MODELS_ASSET
from edge_deeplab.errors import EdgeDeeplabError

PAGE = 4096


def _fill_leaving(disk, free_bytes):
    """Fill `disk` to the last byte, then give back `free_bytes` (rounded up to whole pages)."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as stream:
        try:
            while True:
                stream.write(b"x" * PAGE)
        except OSError:
            pass
    os.truncate(filler, max(filler.stat().st_size - -(-free_bytes // PAGE) * PAGE, 0))


def test_export_android_on_a_full_disk_keeps_the_installed_set(tmpfs):
    disk = tmpfs("4m")
    app = disk / "android_demo"
    (app / MANIFEST).parent.mkdir(parents=True)
    (app / MANIFEST).write_text("<manifest/>")
    assets = app / ASSETS_DIR
    assets.mkdir(parents=True)
    # A previous install, told apart from the new one by its bytes.
    before = {name: f"previous {name}\n".encode() for name in (GPU_ASSET, CPU_ASSET, CONTRACT_ASSET, MODELS_ASSET)}
    for name, data in before.items():
        (assets / name).write_bytes(data)
    gpu, cpu = presets.resolve("preset:person", "fp16"), presets.resolve("preset:person", "int8")
    # Room for the new GPU model and a little more, not for the CPU model written after it.
    _fill_leaving(disk, gpu.stat().st_size + 64 * 1024)
    result = CliRunner().invoke(main, ["export-android", str(gpu), str(cpu), "--app", str(app)])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0] and str(assets) in lines[0], result.output
    assert {name: (assets / name).read_bytes() for name in before} == before, (
        "the app folder holds the previous models and their contract, not part of the new install"
    )
    assert sorted(p.name for p in assets.iterdir()) == sorted(before), "no temporary file left"


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


def _train_process(*args):
    """train in its own process: the old writer crashed libhdf5 on a full disk (a segfault, rc 139)."""
    return subprocess.run(
        [sys.executable, "-m", "edge_deeplab", "train", *map(str, args)], capture_output=True, text=True, timeout=600
    )


def _partial_files(run):
    return [
        str(p.relative_to(run))
        for p in run.rglob("*")
        if p.name.startswith((".last.", ".best.")) or p.name.endswith((".tmp", "_temp")) or ".tempstate" in p.name
    ]


def _error_lines(result):
    return [
        line
        for line in result.stdout.splitlines() + result.stderr.splitlines()
        if line.startswith("Error: ") or "Traceback" in line or "Segmentation" in line
    ]


def test_a_disk_that_fills_at_the_first_saved_model_is_one_line(tmpfs, tiny_scenes):
    run = tmpfs("64k") / "run"  # room for run.json and the logs, not for the weights
    result = _train_process("--data", tiny_scenes, "--output", run, *TINY)
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr and _error_lines(result) == [
        f"Error: {run / 'last' / 'weights.h5'}: cannot write (No space left on device): the disk is full: free "
        "some space"
    ], result.stderr[-2000:]
    assert not _partial_files(run) and not (run / "last").exists()


def test_a_disk_that_fills_at_a_checkpoint_keeps_the_previous_one(tmpfs, tiny_scenes):
    disk = tmpfs("2560k")  # room for one checkpoint of the tiny model, not for two
    run = disk / "run"
    result = _train_process("--data", tiny_scenes, "--output", run, *TINY, "--checkpoint-every-steps", "1")
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert _error_lines(result) == [
        f"Error: {run / 'checkpoints' / 'ckpt-2'}: cannot write (No space left on device): the disk is full: free "
        "some space, then continue with --resume"
    ], result.stderr[-2000:]
    assert not _partial_files(run), _partial_files(run)

    import tensorflow as tf

    assert tf.train.latest_checkpoint(str(run / "checkpoints")).endswith("ckpt-1")
    reader = tf.train.load_checkpoint(str(run / "checkpoints" / "ckpt-1"))
    assert all(reader.get_tensor(name) is not None for name in reader.get_variable_to_shape_map())
    # With space again, the run continues from the checkpoint that was kept.
    subprocess.run(["mount", "-o", "remount,size=32m", str(disk)], check=True)
    resumed = _train_process("--data", tiny_scenes, "--output", run, "--resume", "--no-progress")
    assert resumed.returncode == 0 and "ckpt-1" in resumed.stdout, resumed.stdout + resumed.stderr[-2000:]


def test_a_folder_written_on_a_full_disk_is_one_error_and_leaves_nothing(tmpfs):
    """io.staged_folder (model folders, relabelled and synthetic datasets): a disk that fills while the contents
    are written names the folder in one line, and the staging folder is removed."""
    from edge_deeplab.data.synthetic import write_synthetic

    disk = tmpfs("64k")
    with pytest.raises(EdgeDeeplabError, match=r"scenes: cannot write \(No space left on device\)"):
        write_synthetic(disk / "scenes", n_train=8, n_val=2, size=129, seed=1)
    assert list(disk.iterdir()) == []

"""Issue 22, data loss 7 and 8: a disk that fills during export-android or training gives one line naming
the path, keeps the previous good state (the installed models, the last checkpoint) and leaves no partial
file behind. The disks are real: small tmpfs mounts (conftest's tmpfs fixture)."""
import os

from click.testing import CliRunner

from edge_deeplab import presets
from edge_deeplab.cli import main
from edge_deeplab.deploy.android import ASSETS_DIR, CONTRACT_ASSET, CPU_ASSET, GPU_ASSET, MANIFEST, MODELS_ASSET

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
    assert {name: (assets / name).read_bytes() for name in before} == before, \
        "the app folder holds the previous models and their contract, not part of the new install"
    assert sorted(p.name for p in assets.iterdir()) == sorted(before), "no temporary file left"

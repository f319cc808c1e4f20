"""Fixtures for the fault tests (issue 15): tiny data, so each case costs seconds."""

import pytest

from edge_deeplab.data.synthetic import write_synthetic


@pytest.fixture(scope="session")
def tiny_scenes(tmp_path_factory):
    """4 training and 2 validation scenes at 65 px: two steps per epoch at batch 2."""
    return write_synthetic(tmp_path_factory.mktemp("faults") / "scenes", n_train=4, n_val=2, size=65, seed=5)


@pytest.fixture
def tmpfs(tmp_path):
    """Factory: a fresh tmpfs of `size` (e.g. "2560k") mounted under tmp_path, unmounted afterwards; skips
    where `mount` is not allowed (it needs root), saying so. A real disk that fills, not a mocked writer."""
    import subprocess

    mounted = []

    def mount(size: str, name: str = "disk"):
        folder = tmp_path / name
        folder.mkdir()
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, text=True
        )
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip() or result.returncode}): needs root")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A tiny untrained model folder (fault_tools.S), built once per module."""
    from fault_tools import S, cli

    folder = tmp_path_factory.mktemp("model") / "tiny"
    assert cli("model", "build", folder, *S).exit_code == 0
    return folder

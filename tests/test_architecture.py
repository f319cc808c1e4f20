"""The package's shape: imports follow the data flow, and --help never loads TensorFlow."""
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HELPS = [[], ["model"], ["model", "build"], ["model", "summary"], ["train"], ["qat"], ["export"], ["gpu-check"],
         ["quant-report"], ["evaluate"], ["bench"], ["bench", "host"], ["bench", "device"], ["bench", "devices"],
         ["bench", "history"], ["export-android"], ["pipeline"], ["predict"]]


def test_imports_follow_the_data_flow():
    """pyproject.toml's import-linter layers contract (base -> data -> model -> ... -> cli)."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]


def test_converters_is_only_a_subpackage():
    done = subprocess.run([sys.executable, "-c", "import converters"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode != 0 and "edge_deeplab.converters" in done.stderr
    done = subprocess.run([sys.executable, "-c", "import edge_deeplab.converters.export, edge_deeplab.calibration"],
                          cwd="/", capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("words", HELPS, ids=lambda words: " ".join(words) or "edge-deeplab")
def test_help_loads_no_tensorflow(words):
    script = ("import sys\nfrom click.testing import CliRunner\nfrom edge_deeplab.cli import main\n"
              f"result = CliRunner().invoke(main, {words + ['--help']!r})\n"
              "assert result.exit_code == 0, result.output\n"
              "print('Usage:' in result.output, 'tensorflow' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd="/", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "False"], f"{' '.join(words)} --help imported TensorFlow"

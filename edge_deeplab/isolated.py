"""Run a function in a fresh Python process.

Why: LiteRT's GPU accelerator (ai-edge-litert 2.3.0, WebGPU on Vulkan) crashes with SIGSEGV in any
process that has imported TensorFlow 2.21 (measured here: `import tensorflow` before or after
ai_edge_litert, then CompiledModel.from_file(..., HardwareAccelerator.GPU)). Our commands import
TensorFlow, so every GPU compile runs in a child that never does, and a driver crash there becomes
a reported failure instead of killing the caller.
"""
from __future__ import annotations

import importlib
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path


class IsolatedProcessFailed(RuntimeError):
    """The child died (a signal, an exit code) without returning a result."""

    def __init__(self, returncode, stderr_tail):
        self.returncode, self.stderr_tail = returncode, stderr_tail
        how = f"signal {-returncode}" if returncode < 0 else f"exit code {returncode}"
        super().__init__(f"the isolated process died ({how}): {stderr_tail or 'no output'}")


def run_isolated(function, *args, timeout: float = 900, **kwargs):
    """function(*args, **kwargs) for a module-level function, computed in a fresh interpreter.
    Arguments and result travel by pickle; an exception raised there is raised here."""
    with tempfile.TemporaryDirectory(prefix="edge-deeplab-isolated-") as folder:
        request, response = Path(folder) / "request.pkl", Path(folder) / "response.pkl"
        request.write_bytes(pickle.dumps((function.__module__, function.__qualname__, args, kwargs)))
        process = subprocess.run([sys.executable, "-m", "edge_deeplab.isolated", str(request), str(response)],
                                 capture_output=True, text=True, timeout=timeout)
        if not response.is_file():
            tail = " | ".join(line for line in process.stderr.strip().splitlines()[-3:])
            raise IsolatedProcessFailed(process.returncode, tail[-400:])
        ok, value = pickle.loads(response.read_bytes())
    if not ok:
        raise value
    return value


def _serve(request: str, response: str) -> None:
    module, name, args, kwargs = pickle.loads(Path(request).read_bytes())
    function = importlib.import_module(module)
    for part in name.split("."):
        function = getattr(function, part)
    try:
        result = (True, function(*args, **kwargs))
    except Exception as error:  # handed to the parent, which raises it
        result = (False, error)
    Path(response).write_bytes(pickle.dumps(result))


if __name__ == "__main__":
    _serve(sys.argv[1], sys.argv[2])

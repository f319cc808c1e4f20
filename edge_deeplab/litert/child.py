"""Run a function in a fresh Python process that never imports TensorFlow, and keep its log.

Why: LiteRT's GPU accelerator (ai-edge-litert 2.3.0, WebGPU on Vulkan) crashes with SIGSEGV in any
process that has imported TensorFlow 2.21 (measured here: `import tensorflow` before or after
ai_edge_litert, then CompiledModel.from_file(..., HardwareAccelerator.GPU)). Our commands import
TensorFlow, so every GPU compile runs in a child; a driver crash there becomes a reported failure
instead of killing the caller, and LiteRT's C++ log (which names each op that fell back from the
GPU, and why) lands in the child's stdout and stderr, returned to the caller, off the user's terminal.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional


@dataclasses.dataclass(frozen=True)
class ChildOutcome:
    """What a function run in a child process (run_in_child) came to.

    Args:
        value: what the function returned (None when the child died or timed out).
        log: the child's stdout and stderr.
        returncode: the child's exit code (negative: the signal that killed it); None when it timed out.
        finished: the function returned (or raised, re-raised in the parent).
    """

    value: Any  # what the function returned (None when the child died or timed out)
    log: str  # the child's stdout and stderr
    returncode: Optional[int]  # None: timed out
    finished: bool  # the function returned (or raised, re-raised in the parent)

    @property
    def how_it_died(self) -> str:
        """ "timed out", "signal N" or "exit code N": why the child ended, for a message."""
        if self.returncode is None:
            return "timed out"
        return f"signal {-self.returncode}" if self.returncode < 0 else f"exit code {self.returncode}"


def run_in_child(function, *args, timeout: float = 900, **kwargs) -> ChildOutcome:
    """function(*args, **kwargs) for a module-level function, computed in a fresh interpreter with a
    Vulkan-ready environment. Arguments and result travel by pickle; an exception raised there is raised
    here; a child that dies or times out gives finished=False with its log."""
    with tempfile.TemporaryDirectory(prefix="edge-deeplab-child-") as folder:
        request, response = Path(folder) / "request.pkl", Path(folder) / "response.pkl"
        request.write_bytes(pickle.dumps((function.__module__, function.__qualname__, args, kwargs)))
        command = [sys.executable, "-m", "edge_deeplab.litert.child", str(request), str(response)]
        try:
            done = subprocess.run(command, env=child_environment(), capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired as expired:
            return ChildOutcome(None, _decode(expired.stdout) + _decode(expired.stderr), None, False)
        log = _decode(done.stdout) + _decode(done.stderr)
        if not response.is_file():
            return ChildOutcome(None, log, done.returncode, False)
        ok, value = pickle.loads(response.read_bytes())
    if not ok:
        raise value
    return ChildOutcome(value, log, done.returncode, True)


def child_environment() -> dict:
    """This process's environment plus a per-user runtime folder: Mesa's Vulkan driver wants one
    ($XDG_RUNTIME_DIR) and CI and containers have no login session that would create it. The child's
    log is captured and read, so it runs without the console quieting of edge_deeplab.quiet."""
    from edge_deeplab.quiet import without_quiet_settings

    environment = without_quiet_settings(dict(os.environ))
    if not environment.get("XDG_RUNTIME_DIR"):
        uid = os.getuid() if hasattr(os, "getuid") else 0
        folder = Path(tempfile.gettempdir()) / f"edge-deeplab-runtime-{uid}"
        folder.mkdir(mode=0o700, exist_ok=True)
        environment["XDG_RUNTIME_DIR"] = str(folder)
    return environment


def _decode(output) -> str:
    if output is None:
        return ""
    return output.decode("utf-8", "replace") if isinstance(output, bytes) else output


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

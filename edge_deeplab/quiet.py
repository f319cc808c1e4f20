"""TensorFlow's and LiteRT's native start-up chatter, kept off the console unless asked for.

Measured with TensorFlow 2.21 and ai-edge-litert 2.x on a CPU-only machine:
- TF_CPP_MIN_LOG_LEVEL=3 hides the log lines of TensorFlow's own logger (e.g. "failed call to cuInit"),
  but not the lines the shared libraries write with absl while they load, before absl is initialised
  ("WARNING: All log messages before absl::InitializeLog() ...", then I-lines from port.cc (oneDNN),
  cudart_stub.cc and cpu_feature_guard.cc, twice: two libraries each bring their own absl). No
  environment variable reaches those, so the first `import tensorflow` runs with file descriptor 2
  captured and every line but those is written back.
- LiteRT prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." when an interpreter
  allocates its tensors, whatever TF_CPP_MIN_LOG_LEVEL says: open_interpreter filters it the same way.
- The converter's int8 calibrator prints its settings ("fully_quantize: 0, inference_type: 6, ..."):
  converters/export.py:convert filters it the same way.
`edge-deeplab --verbose` (or EDGE_DEEPLAB_VERBOSE=1) leaves all of it on. Only the environment and the
standard library are used here, so this runs before anything loads TensorFlow.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import os
import re
import sys
import tempfile

VERBOSE_ENV = "EDGE_DEEPLAB_VERBOSE"
#: Set where the user has not set them; `--verbose` takes back the ones set here.
QUIET_ENVIRONMENT = {"TF_CPP_MIN_LOG_LEVEL": "3"}
#: Native lines that say nothing a user acts on; errors (E/F lines) and everything else pass through.
NOISE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|[IW]\d{4} [\d:.]+ +\d+ \S+:\d+\] "
    r"|To enable the following instructions: .* rebuild TensorFlow"
    r"|INFO: Created TensorFlow Lite XNNPACK delegate for CPU\."
    r"|fully_quantize: \d+, inference_type: \d+, input_inference_type: "  # the int8 calibrator's settings
)
#: Modules whose first import loads the noisy native libraries.
NOISY_IMPORTS = ("tensorflow",)

_set_here: dict = {}


def verbose() -> bool:
    """Whether $EDGE_DEEPLAB_VERBOSE is set (to anything but "" or "0"): then nothing is silenced."""
    return os.environ.get(VERBOSE_ENV, "") not in ("", "0")


def quiet_native_logs() -> None:
    """Before TensorFlow loads: quiet its logger and filter its libraries' start-up lines (not verbose)."""
    if verbose():
        return
    for name, value in QUIET_ENVIRONMENT.items():
        if name not in os.environ:
            os.environ[name] = _set_here[name] = value
    pending = [name for name in NOISY_IMPORTS if name not in sys.modules]
    if pending and not any(isinstance(finder, _QuietImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietImport(pending))


def be_verbose() -> None:
    """Undo quiet_native_logs (for the rest of this process and its children): every native line shows."""
    os.environ[VERBOSE_ENV] = "1"
    for name, value in _set_here.items():
        if os.environ.get(name) == value:
            del os.environ[name]
    _set_here.clear()
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, _QuietImport)]


def without_quiet_settings(environment: dict) -> dict:
    """`environment` without the values quiet_native_logs set: for child processes whose whole log is
    captured and read (LiteRT's GPU child names the ops that fell back in it)."""
    return {name: value for name, value in environment.items() if not (name in _set_here and value == _set_here[name])}


@contextlib.contextmanager
def native_stderr_filtered():
    """Capture what native code writes to file descriptor 2 and write it back without the NOISE lines."""
    if verbose():
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (embedded interpreter): nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            lines = capture.read().decode("utf-8", "replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if not NOISE.match(line))
            if kept:
                os.write(2, kept.encode())


class _QuietLoader(importlib.abc.Loader):
    """Runs the real loader with native stderr filtered."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self._loader
        with native_stderr_filtered():
            self._loader.exec_module(module)

    def __getattr__(self, name):
        return getattr(self._loader, name)


class _QuietImport(importlib.abc.MetaPathFinder):
    """Finds NOISY_IMPORTS with the other finders, and wraps their loader in _QuietLoader (once each)."""

    def __init__(self, names):
        self._names = set(names)

    def find_spec(self, fullname, path, target=None):
        if fullname not in self._names:
            return None
        self._names.discard(fullname)
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _QuietLoader(spec.loader)
                return spec
        return None

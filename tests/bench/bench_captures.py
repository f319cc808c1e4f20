"""Genuine benchmark_model captures (tests/fixtures/benchmark_model/) without their source headers, and
stand-in benchmark_model behaviours that replay them."""

from pathlib import Path

from adbd_standin import Replay

CAPTURES = Path(__file__).resolve().parents[1] / "fixtures" / "benchmark_model"


def capture_names() -> list[str]:
    return sorted(path.name for path in CAPTURES.glob("*.txt"))


def load_capture(name: str) -> str:
    """The printed text of a capture: its leading '# ' source lines removed, nothing else touched."""
    lines = (CAPTURES / name).read_text().splitlines(keepends=True)
    while lines and lines[0].startswith("# "):
        lines.pop(0)
    return "".join(lines)


def by_flags(gpu=None, nnapi=None, cpu=None):
    """A stand-in benchmark_model: picks a Replay by the delegate flags it was run with."""

    def behaviour(argv):
        if "--use_gpu=true" in argv:
            return gpu
        if "--use_nnapi=true" in argv:
            return nnapi
        return cpu

    return behaviour


def replay(capture: str, exit_code: int = 0, hang_s: float = 0.0) -> Replay:
    return Replay(stdout=load_capture(capture), exit_code=exit_code, hang_s=hang_s)

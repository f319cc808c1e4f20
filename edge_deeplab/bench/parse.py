"""Read what TensorFlow Lite's `benchmark_model` printed.

The tool's output changed over the years and reaches us in several wrappings, all of which this
parser takes (tests/fixtures/benchmark_model/ holds a genuine capture of each):
- lines with an `INFO: ` / `ERROR: ` / `VERBOSE: ` prefix, or with none (older builds), or mixed;
- `adb logcat` lines of the benchmark APK (`05-30 15:16:44.857  3380  3380 I tflite  : ...`);
- CRLF line ends (`adb shell` over a pseudo-terminal);
- numbers in exponent form (`avg=2.95034e+06`);
- a warm-up line with a single run (`count=1 curr=3512391`, no min/max);
- the summary `Inference timings in us: Init: .., First inference: .., Warmup (avg): .., Inference (avg): ..`
  or the old `Average inference timings in us: Warmup: X, Init: Y, no stats: Z`;
- memory lines `Memory footprint delta ... init=X overall=Y`, the older `Peak memory footprint (MB):
  init=X overall=Y` and `Overall peak memory footprint (MB) via periodic monitoring: X`;
- delegation reports: `Replacing N out of M node(s) with delegate (TfLiteGpuDelegateV2) node`,
  `Explicitly applied GPU delegate, and the model graph will be completely|partially executed`,
  `Though GPU delegate is explicitly applied, the model graph will not be executed`, and the list of
  ops that fell back: `Following operations are not supported by GPU delegate:` ... `N operations
  will run on the GPU, and the remaining M operations will run on the CPU.` (older builds: `Next
  operations ...` / `First N operations will run on the GPU, and the remaining M on the CPU.`).

All times are microseconds, as printed.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Optional

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"

# `adb logcat` (threadtime) and the brief `I/tflite  ( 1234): ` form.
_LOGCAT_PREFIX = re.compile(
    r"^\d{2}-\d{2}\s+\d{2}:\d{2}:\d{2}\.\d+\s+\d+\s+\d+\s+(?P<level>[VDIWEF])\s+(?P<tag>[^:]*?)\s*:\s?"
)
_LOGCAT_BRIEF_PREFIX = re.compile(r"^(?P<level>[VDIWEF])/(?P<tag>[^(:]*?)\s*(?:\(\s*\d+\))?:\s?")
_SEVERITY_PREFIX = re.compile(r"^(?P<severity>INFO|ERROR|WARNING|VERBOSE|DEBUG): ?")
_LOGCAT_SEVERITY = {"V": "VERBOSE", "D": "DEBUG", "I": "INFO", "W": "WARNING", "E": "ERROR", "F": "ERROR"}

_STATS_LINE = re.compile(r"^count=(?P<count>\d+)(?P<rest>(?:\s+\w+=" + _NUMBER + r")*)\s*$")
_STATS_FIELD = re.compile(r"(\w+)=(" + _NUMBER + r")")
_TIMINGS = re.compile(
    r"^Inference timings in us: Init: (?P<init>"
    + _NUMBER
    + r"), First inference: (?P<first>"
    + _NUMBER
    + r"), Warmup \(avg\): (?P<warmup>"
    + _NUMBER
    + r"), Inference \(avg\): (?P<inference>"
    + _NUMBER
    + r")"
)
_OLD_TIMINGS = re.compile(
    r"^Average inference timings in us: Warmup: (?P<warmup>"
    + _NUMBER
    + r"), Init: (?P<init>"
    + _NUMBER
    + r"), no stats: (?P<inference>"
    + _NUMBER
    + r")"
)
_INIT_SESSION = re.compile(r"^Initialized session in (?P<ms>" + _NUMBER + r")\s*ms")
_MEMORY_DELTA = re.compile(
    r"^(?:Memory footprint delta from the start of the tool|Peak memory footprint) \(MB\): init=(?P<init>"
    + _NUMBER
    + r") overall=(?P<overall>"
    + _NUMBER
    + r")"
)
_PEAK_MEMORY = re.compile(r"^Overall peak memory footprint \(MB\) via periodic monitoring: (?P<mb>" + _NUMBER + r")")
_PARAMETER = re.compile(r"^(?P<name>[#A-Za-z][^:\[\]]*?)\s*: \[(?P<value>[^\]]*)\]\s*$")
_REPLACING = re.compile(
    r"^Replacing (?P<delegated>\d+) out of (?P<total>\d+) node\(s\) with delegate \((?P<delegate>[^)]+)\) node,"
    r" yielding (?P<partitions>\d+) partitions"
)
_APPLIED = re.compile(
    r"^Explicitly applied (?P<delegate>\S+) delegate, and the model graph will be (?P<how>completely|partially)"
    r" executed by the delegate(?: w/ (?P<kernels>\d+) delegate kernels)?"
)
_NOT_APPLIED = re.compile(
    r"^Though (?P<delegate>\S+) delegate is explicitly applied, the model graph will not be executed by the delegate"
)
_UNSUPPORTED_HEADER = re.compile(r"^(?:Following|Next) operations are not supported by (?P<delegate>\S+) delegate:")
_SPLIT = re.compile(
    r"^(?:First )?(?P<on_delegate>\d+) operations will run on the (?P<delegate>\S+), and the remaining"
    r" (?P<remaining>\d+) (?:operations will run )?on the CPU"
)
_UNSUPPORTED_OP = re.compile(r"^(?P<op>[A-Z][A-Z0-9_]*):\s*(?P<reason>.*?)\s*$")

# benchmark_model names delegates in its flags ("GPU", "NNAPI") and in node replacement
# messages by the delegate's kernel name; map the latter to the former.
_KERNEL_DELEGATE = (
    ("gpu", "GPU"),
    ("metal", "GPU"),
    ("litert_cl", "GPU"),
    ("opencl", "GPU"),
    ("nnapi", "NNAPI"),
    ("xnnpack", "XNNPACK"),
    ("hexagon", "HEXAGON"),
)

FULL, PARTIAL, NONE = "full", "partial", "none"


@dataclasses.dataclass
class RunStats:
    """One `count=... first=... avg=...` line: a phase of the benchmark (warm-up or measured runs)."""

    count: int
    first_us: Optional[float] = None
    curr_us: Optional[float] = None
    min_us: Optional[float] = None
    max_us: Optional[float] = None
    avg_us: Optional[float] = None
    std_us: Optional[float] = None
    p5_us: Optional[float] = None
    median_us: Optional[float] = None
    p95_us: Optional[float] = None


@dataclasses.dataclass
class DelegateReport:
    """What the output says about one delegate: did it take the whole graph?"""

    name: str
    status: Optional[str] = None  # FULL | PARTIAL | NONE, None when the output does not say
    nodes_delegated: Optional[int] = None
    nodes_total: Optional[int] = None
    partitions: Optional[int] = None
    kernels: Optional[int] = None
    ops_on_delegate: Optional[int] = None
    ops_on_cpu: Optional[int] = None
    unsupported_ops: list = dataclasses.field(default_factory=list)  # ["UNPACK: Operation is not supported."]

    @property
    def fully_delegated(self) -> bool:
        """True only when the output positively says the delegate took every node."""
        if self.unsupported_ops or (self.ops_on_cpu or 0) > 0:
            return False
        if self.nodes_total is not None and self.nodes_delegated != self.nodes_total:
            return False
        if self.status in (PARTIAL, NONE):
            return False
        return self.status == FULL or (self.nodes_total is not None and self.nodes_delegated == self.nodes_total)

    @property
    def fallback_ops(self) -> list:
        """Op names that fell back to the CPU, e.g. ["UNPACK"]."""
        return [entry.split(":", 1)[0] for entry in self.unsupported_ops]


@dataclasses.dataclass
class BenchmarkOutput:
    """Everything a run of benchmark_model printed that a benchmark report needs."""

    parameters: dict = dataclasses.field(default_factory=dict)
    init_us: Optional[float] = None
    first_inference_us: Optional[float] = None
    warmup: Optional[RunStats] = None
    measured: Optional[RunStats] = None
    warmup_avg_us: Optional[float] = None
    inference_avg_us: Optional[float] = None
    memory_init_mb: Optional[float] = None
    memory_overall_mb: Optional[float] = None
    memory_peak_mb: Optional[float] = None
    delegates: dict = dataclasses.field(default_factory=dict)  # name -> DelegateReport
    errors: list = dataclasses.field(default_factory=list)  # ERROR lines, prefix removed

    @property
    def latency_us(self) -> Optional[float]:
        """The typical latency of one measured run: the median where printed, else the mean."""
        if self.measured is not None and self.measured.median_us is not None:
            return self.measured.median_us
        if self.inference_avg_us is not None:
            return self.inference_avg_us
        return self.measured.avg_us if self.measured is not None else None

    @property
    def latency_basis(self) -> Optional[str]:
        """ "median" or "mean": what latency_us is; None without a latency."""
        if self.measured is not None and self.measured.median_us is not None:
            return "median"
        return "mean" if self.latency_us is not None else None

    @property
    def fps(self) -> Optional[float]:
        """Frames per second at latency_us (one frame at a time); None without a latency."""
        latency = self.latency_us
        return 1e6 / latency if latency else None

    def delegate(self, name: str) -> Optional[DelegateReport]:
        """What the output says of one delegate, or None where it says nothing.

        Args:
            name: the delegate's name, e.g. "GPU", "NNAPI".
        """
        return self.delegates.get(name)


def strip_prefix(line: str) -> tuple[str, Optional[str]]:
    """Remove a logcat and/or severity prefix; return (message, severity or None)."""
    severity = None
    match = _LOGCAT_PREFIX.match(line) or _LOGCAT_BRIEF_PREFIX.match(line)
    if match:
        severity = _LOGCAT_SEVERITY[match.group("level")]
        line = line[match.end() :]
    match = _SEVERITY_PREFIX.match(line)
    if match:
        severity = match.group("severity")
        line = line[match.end() :]
    return line, severity


def _delegate_name(kernel_or_flag_name: str) -> str:
    lowered = kernel_or_flag_name.lower()
    for needle, name in _KERNEL_DELEGATE:
        if needle in lowered:
            return name
    return kernel_or_flag_name.upper()


def _stats(match: re.Match) -> RunStats:
    fields = {key: float(value) for key, value in _STATS_FIELD.findall(match.group("rest"))}
    return RunStats(
        count=int(match.group("count")),
        **{
            f"{key}_us": fields.get(key) for key in ("first", "curr", "min", "max", "avg", "std", "p5", "median", "p95")
        },
    )


def parse_benchmark_output(text: str) -> BenchmarkOutput:
    """Parse the text benchmark_model printed (stdout and stderr together, in any of its forms).

    Args:
        text: everything one benchmark_model run printed.

    Returns:
        A BenchmarkOutput: timings, memory, per-delegate reports, echoed parameters and error lines.
    """
    out = BenchmarkOutput()
    stats_lines: list[RunStats] = []
    unsupported_for: Optional[DelegateReport] = None  # inside a "not supported by X delegate:" block
    for raw in text.splitlines():
        line, severity = strip_prefix(raw.rstrip("\r"))
        line = line.strip()
        if unsupported_for is not None:
            consumed, unsupported_for = _unsupported_block_line(unsupported_for, line)
            if consumed:
                continue
        if severity == "ERROR" and line and not _UNSUPPORTED_HEADER.match(line) and not _SPLIT.match(line):
            out.errors.append(line)
        if match := _STATS_LINE.match(line):
            stats_lines.append(_stats(match))
        elif _measurement_line(out, line):
            pass
        elif (delegate_line := _delegate_line(out, line))[0]:
            unsupported_for = delegate_line[1]
        elif match := _PARAMETER.match(line):
            out.parameters[match.group("name").strip()] = match.group("value")
        elif severity is None and out.errors and line and raw[:1] in "( \t":
            # Continuation of a multi-line error (e.g. an OpenCL build log) printed without prefix.
            out.errors.append(line)
    _take_stats(out, stats_lines)
    return out


def _unsupported_block_line(block: DelegateReport, line: str) -> tuple[bool, Optional[DelegateReport]]:
    """A line inside a "not supported by X delegate:" block: (whether it was the block's, the block still
    open or None)."""
    if split := _SPLIT.match(line):
        block.ops_on_delegate = int(split.group("on_delegate"))
        block.ops_on_cpu = int(split.group("remaining"))
        return True, None
    if op := _UNSUPPORTED_OP.match(line):
        block.unsupported_ops.append(f"{op.group('op')}: {op.group('reason')}".rstrip())
        return True, block
    if not line:
        return True, block
    return False, None  # the block ended without its summary line


def _measurement_line(out: BenchmarkOutput, line: str) -> bool:
    """Timings and memory into `out`; whether the line held them."""
    if match := _TIMINGS.match(line):
        out.init_us = float(match.group("init"))
        out.first_inference_us = float(match.group("first"))
        out.warmup_avg_us = float(match.group("warmup"))
        out.inference_avg_us = float(match.group("inference"))
    elif match := _OLD_TIMINGS.match(line):
        out.init_us = float(match.group("init"))
        out.warmup_avg_us = float(match.group("warmup"))
        out.inference_avg_us = float(match.group("inference"))
    elif match := _INIT_SESSION.match(line):
        if out.init_us is None:
            out.init_us = float(match.group("ms")) * 1000.0
    elif match := _MEMORY_DELTA.match(line):
        out.memory_init_mb = float(match.group("init"))
        out.memory_overall_mb = float(match.group("overall"))
    elif match := _PEAK_MEMORY.match(line):
        out.memory_peak_mb = float(match.group("mb"))
    else:
        return False
    return True


def _delegate_line(out: BenchmarkOutput, line: str) -> tuple[bool, Optional[DelegateReport]]:
    """What a line says of a delegate, into `out`: (whether it was such a line, the delegate whose
    unsupported-op block it opens or None)."""

    def report(name: str) -> DelegateReport:
        return out.delegates.setdefault(_delegate_name(name), DelegateReport(name=_delegate_name(name)))

    if match := _REPLACING.match(line):
        delegate = report(match.group("delegate"))
        delegate.nodes_delegated = int(match.group("delegated"))
        delegate.nodes_total = int(match.group("total"))
        delegate.partitions = int(match.group("partitions"))
    elif match := _APPLIED.match(line):
        delegate = report(match.group("delegate"))
        delegate.status = FULL if match.group("how") == "completely" else PARTIAL
        if match.group("kernels"):
            delegate.kernels = int(match.group("kernels"))
    elif match := _NOT_APPLIED.match(line):
        report(match.group("delegate")).status = NONE
    elif match := _UNSUPPORTED_HEADER.match(line):
        return True, report(match.group("delegate"))
    elif match := _SPLIT.match(line):
        delegate = report(match.group("delegate"))
        delegate.ops_on_delegate = int(match.group("on_delegate"))
        delegate.ops_on_cpu = int(match.group("remaining"))
    else:
        return False, None
    return True, None


def _take_stats(out: BenchmarkOutput, stats_lines: list) -> None:
    """benchmark_model prints one stats line for the warm-up phase, then one for the measured runs; they
    fill in the timings its summary line did not give."""
    if stats_lines:
        out.warmup = stats_lines[0]
    if len(stats_lines) >= 2:
        out.measured = stats_lines[1]
    if out.measured is not None and out.inference_avg_us is None:
        out.inference_avg_us = out.measured.avg_us
    if out.warmup is not None and out.warmup_avg_us is None:
        out.warmup_avg_us = out.warmup.avg_us if out.warmup.avg_us is not None else out.warmup.curr_us
    if out.warmup is not None and out.first_inference_us is None:
        out.first_inference_us = out.warmup.first_us if out.warmup.first_us is not None else out.warmup.curr_us


def gpu_requested(out: BenchmarkOutput) -> bool:
    """Did this run ask for the GPU delegate (from the echoed flags)?"""
    value = out.parameters.get("Use gpu")
    return value is not None and value.strip() in ("1", "true")

"""The GPU-delegate gate: does a .tflite run whole on a phone's GPU?

Two checks, because neither alone is proof (../shared/FIELD_NOTES.md: TensorFlow's own Analyzer
called models with SPACE_TO_BATCH_ND and INT64 ARG_MAX "compatible"):

- static: every op and its attributes against the mobile GPU delegate's documented constraints,
  tensorflow/lite/tools/versioning/gpu_compatibility.cc (CheckGpuDelegateCompatibility), read from
  the flatbuffer without running anything;
- dynamic: LiteRT compiles the model with its GPU accelerator alone (no CPU to fall back to), here on
  Mesa's software Vulkan driver; it is fully accelerated or names each op that fell back and why. The
  outputs are then compared with the CPU interpreter on a deterministic random input.

Each check gives a GateResult with status "pass", "fail" or "not run" and a one-line summary. Where no
Vulkan adapter exists the dynamic check says "not run" and why: it never passes silently.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from edge_deeplab.converters.gpu_rules import Graph, int_list, op_reasons
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.litert.flatbuffer import builtin_op_name, load_tflite_bytes, model_object
from edge_deeplab.litert.gpu import GPU_TIMEOUT_S, INSTALL_HINT, GpuRun, last_line, run_on_gpu

PASS, FAIL, NOT_RUN = "pass", "fail", "not run"
STATUSES = (PASS, FAIL, NOT_RUN)


@dataclasses.dataclass(frozen=True)
class OpIssue:
    """One op the GPU cannot run. `index` is the op's position in its subgraph (None where the
    accelerator's log names only the op type, or for a model-level problem such as the batch)."""

    op: str
    reason: str
    index: Optional[int] = None
    subgraph: int = 0

    def __str__(self) -> str:
        if self.index is None:
            return f"{self.op}: {self.reason}"
        where = f"#{self.index}" if self.subgraph == 0 else f"#{self.subgraph}:{self.index}"
        return f"{where} {self.op}: {self.reason}"


@dataclasses.dataclass(frozen=True)
class GateResult:
    """One GPU gate's verdict on a .tflite.

    Args:
        check: "static" (the ops against the delegate's rules) or "dynamic" (run on a Vulkan adapter).
        status: one of STATUSES (pass, fail, not run).
        summary: one line a person reads at a glance.
        offenders: the ops the GPU cannot run.
        notes: worth knowing, not a failure.
        op_count: the model's op count.
        max_abs_diff: dynamic: the largest |GPU - CPU interpreter| over all outputs.
        adapter: dynamic: the Vulkan adapter that ran the model.
        log: dynamic: LiteRT's own log (compile and run), for a bug report.
    """

    check: str  # "static" or "dynamic"
    status: str  # one of STATUSES
    summary: str  # one line a person reads at a glance
    offenders: tuple[OpIssue, ...] = ()
    notes: tuple[str, ...] = ()  # worth knowing, not a failure
    op_count: Optional[int] = None
    max_abs_diff: Optional[float] = None  # dynamic: largest |GPU - CPU interpreter| over all outputs
    adapter: Optional[str] = None  # dynamic: the Vulkan adapter that ran the model
    log: str = ""  # dynamic: LiteRT's own log (compile and run), for a bug report

    @property
    def passed(self) -> bool:
        """Whether the gate passed."""
        return self.status == PASS


@dataclasses.dataclass(frozen=True)
class GpuGateReport:
    """Both GPU gates of a .tflite: fail if either fails, not run if either did not run, else pass.

    Args:
        static: the static gate's GateResult.
        dynamic: the dynamic gate's GateResult.
    """

    static: GateResult
    dynamic: GateResult

    @property
    def status(self) -> str:
        """fail if either gate failed, not run if either did not run, else pass."""
        statuses = (self.static.status, self.dynamic.status)
        return FAIL if FAIL in statuses else NOT_RUN if NOT_RUN in statuses else PASS

    @property
    def summary(self) -> str:
        """Both gates' statuses and summaries in one line."""
        return (
            f"static {self.static.status}, dynamic {self.dynamic.status}: {self.static.summary}; {self.dynamic.summary}"
        )


def check_gpu(path, tolerance: Optional[float] = None, seed: int = 0) -> GpuGateReport:
    """Both checks on one .tflite (see the module docstring).

    Args:
        path: a .tflite file or `preset:NAME[:int8|fp16]` (the preset's int8 model unless named).
        tolerance: the largest |GPU - CPU| output difference the dynamic check accepts (None: its default).
        seed: of the random input both runs are given.
    """
    from edge_deeplab.presets import resolve

    path = resolve(path, "int8")
    return GpuGateReport(static=static_check(path), dynamic=dynamic_check(path, tolerance=tolerance, seed=seed))


# ---- static: the delegate's documented constraints ---------------------------------------------------


def static_check(path) -> GateResult:
    """Every op of every subgraph, and the graph inputs' batch, against gpu_compatibility.cc."""
    data = load_tflite_bytes(path)
    try:
        model = model_object(data)
    except Exception:  # a damaged flatbuffer fails anywhere in the walk
        raise EdgeDeeplabError(
            f"{path}: the .tflite flatbuffer is damaged (cannot read its ops); export the model again"
        ) from None
    offenders, notes, op_count = [], [], 0
    for subgraph_index, subgraph in enumerate(model.subgraphs or []):
        graph = Graph(model, subgraph)
        if subgraph_index == 0:
            offenders += _batch_issues(graph, int_list(subgraph.inputs))
        for op_index, op in enumerate(subgraph.operators or []):
            op_count += 1
            name = builtin_op_name(model, op)
            if name == "CUSTOM":
                code = model.operatorCodes[op.opcodeIndex]
                custom = (
                    code.customCode.decode("utf-8", "replace")
                    if isinstance(code.customCode, bytes)
                    else str(code.customCode)
                )
                name = f"CUSTOM({custom})"
            reasons = op_reasons(name, op, graph, notes)
            if reasons:
                offenders.append(OpIssue(op=name, reason="; ".join(reasons), index=op_index, subgraph=subgraph_index))
    if offenders:
        listed = ", ".join(o.op if o.index is None else f"#{o.index} {o.op}" for o in offenders[:6]) + (
            ", ..." if len(offenders) > 6 else ""
        )
        summary = f"{len(offenders)} GPU-delegate constraint(s) broken ({op_count} ops): {listed}"
        return GateResult("static", FAIL, summary, tuple(offenders), tuple(notes), op_count)
    return GateResult(
        "static", PASS, f"all {op_count} ops within the GPU delegate's constraints", (), tuple(notes), op_count
    )


def _batch_issues(graph: Graph, inputs) -> list[OpIssue]:
    """The GPU delegate needs static shapes and runs batch 1 (FIELD_NOTES: batch-1 export)."""
    issues = []
    for index in inputs:
        tensor = graph.tensor(index)
        signature = int_list(tensor.shapeSignature)
        dims = graph.dims(index)
        if signature and -1 in signature:
            issues.append(
                OpIssue(
                    op="model input",
                    reason=f"'{graph.name(index)}' has shape signature {signature} "
                    f"(-1 = free): the GPU delegate runs static batch-1 shapes, and a free batch "
                    f"turns dilated convs into SPACE_TO_BATCH_ND; export with batch 1",
                )
            )
        elif len(dims) >= 2 and dims[0] != 1:
            issues.append(
                OpIssue(op="model input", reason=f"'{graph.name(index)}' has batch {dims[0]}: export with batch 1")
            )
    return issues


# ---- dynamic: LiteRT's GPU accelerator on a real (software) Vulkan device ----------------------------


def dynamic_check(
    path, tolerance: Optional[float] = None, seed: int = 0, timeout_s: float = GPU_TIMEOUT_S
) -> GateResult:
    """Compile with HardwareAccelerator.GPU alone; run the GPU and the CPU interpreter on the same
    deterministic random input. Fails when an op falls back or, with `tolerance`, when the largest
    absolute difference exceeds it; "not run" when there is no GPU (Vulkan) adapter. It runs in a child
    process (edge_deeplab.litert.gpu), whose log names the ops that fell back."""
    load_tflite_bytes(path)  # a one-line error for a missing or non-TFLite file, before any child
    run = run_on_gpu(path, seed=seed, timeout_s=timeout_s)
    if run.died == "timed out":
        return GateResult(
            "dynamic", NOT_RUN, f"not run: the GPU check took over {timeout_s:g} s", adapter=run.adapter, log=run.log
        )
    return _judge(path, run, tolerance)


def _judge(path, run: GpuRun, tolerance: Optional[float]) -> GateResult:
    """The verdict from the child's measurement and LiteRT's log."""
    measured, adapter, log = run.measured, run.adapter, run.log
    if measured is not None and measured.get("unreadable"):
        raise EdgeDeeplabError(f"{path}: LiteRT cannot load this model ({measured['unreadable']}); export it again")
    if run.fallbacks:
        fallbacks = tuple(OpIssue(op=op, reason=reason) for op, reason in run.fallbacks)
        listed = ", ".join(f"{f.op} ({f.reason.rstrip('.')})" for f in fallbacks)
        return GateResult(
            "dynamic",
            FAIL,
            f"{len(fallbacks)} op(s) fell back from the GPU: {listed}",
            fallbacks,
            adapter=adapter,
            log=log,
        )
    if measured is None:  # the child died: never a pass
        if adapter is None:
            return GateResult(
                "dynamic",
                NOT_RUN,
                f"not run: LiteRT stopped ({run.died}) before it found a GPU adapter: {last_line(log)}",
                log=log,
            )
        return GateResult(
            "dynamic", FAIL, f"LiteRT crashed ({run.died}) on {adapter}: {last_line(log)}", adapter=adapter, log=log
        )
    if adapter is None:
        return GateResult(
            "dynamic",
            NOT_RUN,
            f"not run: no Vulkan GPU adapter for LiteRT's GPU accelerator ({run.no_adapter_reason}); {INSTALL_HINT}",
            log=log,
        )
    if measured.get("error") is not None:
        return GateResult(
            "dynamic",
            FAIL,
            f"the GPU accelerator could not compile or run the model on {adapter}: {measured['error']}",
            adapter=adapter,
            log=log,
        )
    if not measured.get("fully_accelerated"):
        return GateResult("dynamic", FAIL, f"not fully accelerated on {adapter}", adapter=adapter, log=log)
    diff = measured["max_abs_diff"]
    if tolerance is not None and not diff <= tolerance:  # NaN fails too
        return GateResult(
            "dynamic",
            FAIL,
            f"fully accelerated on {adapter}, but max |GPU - CPU| = {diff:.3g} exceeds {tolerance:g}",
            max_abs_diff=diff,
            adapter=adapter,
            log=log,
        )
    return GateResult(
        "dynamic",
        PASS,
        f"fully accelerated on {adapter}; max |GPU - CPU| = {diff:.3g}",
        max_abs_diff=diff,
        adapter=adapter,
        log=log,
    )

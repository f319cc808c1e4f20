"""Selective quantization: the layers int8 damages most stay float; what that costs and gains.

The int8 model is requantized from the debugger's calibrated model (no second calibration) with
chosen ops left in float through QuantizationDebugOptions(denylisted_nodes=...): each such op keeps
float weights and runs in float, between a DEQUANTIZE and a QUANTIZE. For k = 0, 1, 3, 5 ... of the
most damaged layers (debugger.py), or layers a user names, each model is measured: size, ops, the
float ops it holds, the static GPU-delegate gate, and val mIoU / person IoU with the evaluator
(every photo at its own resolution), against full int8 and against the float model.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional, Sequence

from edge_deeplab.errors import EdgeDeeplabError

DEFAULT_KS = (0, 1, 3, 5)


@dataclasses.dataclass
class SelectiveResult:
    """One variant of selective quantization: what was kept in float, its size and ops, its GPU gates and its
    accuracy against int8 and float.

    Args:
        name: "float", "int8", "int8 + 3 float" or "int8 + given float".
        kept_float: the Keras layers (or op types) left in float.
        path: the .tflite file.
        size_bytes: its size.
        op_count: its op count.
        quantize_ops: its QUANTIZE and DEQUANTIZE ops, the price of each float island in op count.
        float_ops: "#index OP" of every op computing in float (DEQUANTIZE excluded).
        static_gate: the static GPU gate's status.
        gate_summary: the gates in one line.
        dynamic_gate: the dynamic GPU gate's status ("not run" without it).
        miou: its mIoU, once evaluated.
        person_iou: its person IoU, once evaluated.
        delta_miou_vs_int8: mIoU points (x100) against the int8 export.
        delta_miou_vs_float: mIoU points against the float model.
        delta_person_iou_vs_int8: person IoU points against the int8 export.
        size_vs_int8: its size as a ratio of the int8 export's.
    """

    name: str  # "float", "int8", "int8 + 3 float" or "int8 + given float"
    kept_float: list  # Keras layers (or op types) left in float
    path: str
    size_bytes: int
    op_count: int
    quantize_ops: int  # QUANTIZE + DEQUANTIZE: the price of each float island in op count
    float_ops: list  # "#index OP" of every op computing in float (DEQUANTIZE excluded)
    static_gate: str
    gate_summary: str
    dynamic_gate: str = "not run"
    miou: Optional[float] = None
    person_iou: Optional[float] = None
    delta_miou_vs_int8: Optional[float] = None  # points (x100)
    delta_miou_vs_float: Optional[float] = None
    delta_person_iou_vs_int8: Optional[float] = None
    size_vs_int8: Optional[float] = None  # ratio

    def to_dict(self) -> dict:
        """The result as a plain dict."""
        return dataclasses.asdict(self)


def selective_model(debugger, denylisted_nodes: Sequence[str] = (), denylisted_ops: Sequence[str] = ()) -> bytes:
    """The int8 model (float I/O, no debug ops) with these ops left in float.

    `denylisted_nodes` are op output tensor names (LayerDamage.tensor_name); `denylisted_ops` TFLite
    op types (e.g. "RESIZE_BILINEAR"). Replaces the debugger's options.
    """
    from edge_deeplab.calibration.debugger import debug_options

    try:
        debugger.options = debug_options(denylisted_nodes, denylisted_ops)
        return debugger.get_nondebug_quantized_model()
    except ValueError as error:  # the debugger refuses a model left without a single quantized op
        raise EdgeDeeplabError(
            f"selective quantization left nothing to quantize ({str(error).splitlines()[0]}); "
            f"keep fewer layers in float"
        ) from None


def resolve_layers(report, names: Sequence[str]) -> tuple[list, list]:
    """(denylisted_nodes, denylisted_ops) for names a user gives: Keras layer names (every op they are
    fused into), TFLite tensor names, or TFLite op types in capitals (every op of that type)."""
    nodes, ops = [], []
    op_types = {row.op for row in report.layers}
    for name in names:
        matches = [
            row.tensor_name
            for row in report.layers
            if name == row.layer or name in row.keras_layers or name == row.tensor_name
        ]
        if matches:
            nodes += [m for m in matches if m not in nodes]
        elif name in op_types:
            ops.append(name)
        else:
            known = ", ".join(row.layer for row in report.most_damaged(5))
            raise EdgeDeeplabError(
                f"--keep-float {name}: no quantized op of the model belongs to this layer; give "
                f"Keras layer names from the report (e.g. {known}) or op types such as CONV_2D"
            )
    return nodes, ops


def inspect_tflite(path) -> dict:
    """Op count, QUANTIZE/DEQUANTIZE count, and the ops that compute in float (output FLOAT32)."""
    from edge_deeplab.litert.flatbuffer import builtin_op_name, read_model_file, schema

    model = read_model_file(path)
    graph = model.subgraphs[0]
    ops, float_ops = [], []
    for index, op in enumerate(graph.operators):
        name = builtin_op_name(model, op)
        ops.append(name)
        output = graph.tensors[op.outputs[0]]
        if name != "DEQUANTIZE" and output.type == schema().TensorType.FLOAT32:
            float_ops.append({"index": index, "op": name, "tensor": _text(output.name)})
    return {
        "ops": ops,
        "op_count": len(ops),
        "quantize_ops": sum(o in ("QUANTIZE", "DEQUANTIZE") for o in ops),
        "float_ops": float_ops,
    }


def _text(raw) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def measure_variant(label, kept, path: Path, gpu_check: bool) -> SelectiveResult:
    """A variant's SelectiveResult from its file: ops, size and GPU gates (accuracy is filled in later).

    Args:
        label: its name ("int8 + 3 float", ...).
        kept: the layers or op types left in float.
        path: the .tflite file.
        gpu_check: also run the dynamic GPU gate (else the static one alone).
    """
    from edge_deeplab.converters.gpu_gate import check_gpu, static_check

    facts = inspect_tflite(path)
    dynamic = None
    if gpu_check:
        gate = check_gpu(path)
        static, dynamic = gate.static, gate.dynamic
        summary = gate.summary
    else:
        static = static_check(path)
        summary = static.summary
    return SelectiveResult(
        name=label,
        kept_float=list(kept or []),
        path=str(path),
        size_bytes=path.stat().st_size,
        op_count=facts["op_count"],
        quantize_ops=facts["quantize_ops"],
        float_ops=[f"#{f['index']} {f['op']}" for f in facts["float_ops"]],
        static_gate=static.status,
        gate_summary=summary,
        dynamic_gate=dynamic.status if dynamic else "not run",
    )


def format_selective(rows: list) -> str:
    """The selective table from quant_report()'s "selective" list (dicts)."""

    def number(value, spec, scale=1.0):
        return "-" if value is None else format(scale * value, spec)

    from edge_deeplab.tables import text_table

    int8_bytes = next((r["size_bytes"] for r in rows if r["name"] == "int8"), None)
    cells = []
    for r in rows:
        extra = None if int8_bytes is None else (r["size_bytes"] - int8_bytes) / 1e3
        cells.append(
            [
                r["name"][:20],
                f"{r['size_bytes'] / 1e6:.2f}MB",
                number(extra, "+.1f") + "kB",
                str(r["op_count"]),
                str(r["quantize_ops"]),
                str(len(r["float_ops"])),
                r["static_gate"],
                r["dynamic_gate"],
                number(r["miou"], ".2f", 100),
                number(r["delta_miou_vs_int8"], "+.2f"),
                number(r["delta_miou_vs_float"], "+.2f"),
                number(r["person_iou"], ".2f", 100),
                number(r["delta_person_iou_vs_int8"], "+.2f"),
            ]
        )
    lines = [
        text_table(
            [
                "model",
                "size",
                "vs int8",
                "ops",
                "Q/DQ",
                "float ops",
                "GPU static",
                "dynamic",
                "mIoU",
                "d int8",
                "d float",
                "person",
                "d int8",
            ],
            cells,
            right=set(range(1, 13)) - {6, 7},
        )
    ]
    lines.append("mIoU and person IoU in points (x100); d = difference in points; Q/DQ = QUANTIZE + DEQUANTIZE ops")
    for r in rows:
        if r["kept_float"]:
            lines.append(f"  {r['name']}: float {', '.join(r['kept_float'])}")
    return "\n".join(lines)

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
import shutil
import tempfile
import time
from pathlib import Path
from typing import Optional, Sequence

from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.io import write_bytes, write_json

DEFAULT_KS = (0, 1, 3, 5)


@dataclasses.dataclass
class SelectiveResult:
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
        raise EdgeDeeplabError(f"selective quantization left nothing to quantize ({str(error).splitlines()[0]}); "
                               f"keep fewer layers in float") from None


def resolve_layers(report, names: Sequence[str]) -> tuple[list, list]:
    """(denylisted_nodes, denylisted_ops) for names a user gives: Keras layer names (every op they are
    fused into), TFLite tensor names, or TFLite op types in capitals (every op of that type)."""
    nodes, ops = [], []
    op_types = {row.op for row in report.layers}
    for name in names:
        matches = [row.tensor_name for row in report.layers
                   if name == row.layer or name in row.keras_layers or name == row.tensor_name]
        if matches:
            nodes += [m for m in matches if m not in nodes]
        elif name in op_types:
            ops.append(name)
        else:
            known = ", ".join(row.layer for row in report.most_damaged(5))
            raise EdgeDeeplabError(f"--keep-float {name}: no quantized op of the model belongs to this layer; give "
                                   f"Keras layer names from the report (e.g. {known}) or op types such as CONV_2D")
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
    return {"ops": ops, "op_count": len(ops), "quantize_ops": sum(o in ("QUANTIZE", "DEQUANTIZE") for o in ops),
            "float_ops": float_ops}


def _text(raw) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def quant_report(model_path, data, split: str = "val", num_calibration: int = 100, top: int = 10,
                 ks: Sequence[int] = DEFAULT_KS, keep_float: Sequence[str] = (), output_dir=None,
                 debug_images: Optional[int] = None, limit: Optional[int] = None, gpu_check: bool = False,
                 seed: int = 0, progress: bool = True, log=print) -> dict:
    """The per-layer report and the selective-quantization table for a saved model folder.

    Calibration images come from the dataset's train split (as `edge-deeplab export` takes them); mIoU
    is measured on `split`. The .tflite files and quant_report.json go to `output_dir` (kept), or to a
    temporary folder (removed). `gpu_check` also compiles each model with LiteRT's GPU accelerator.
    """
    from edge_deeplab.calibration.debugger import analyse
    from edge_deeplab.litert.flatbuffer import embed_contract
    from edge_deeplab.evaluate import open_eval_dataset
    from edge_deeplab.model.saving import read_model_json

    ks = sorted(set(int(k) for k in ks))
    if any(k < 0 for k in ks):
        raise EdgeDeeplabError(f"--selective {','.join(map(str, ks))}: give counts of layers, 0 or more")
    # Cheap checks first: the model folder and the evaluation split (with masks) before any conversion.
    read_model_json(model_path)
    eval_dataset = open_eval_dataset(data, split)

    log(f"calibrating int8 on {num_calibration} images and running the debug model ...")
    started = time.perf_counter()
    debugger, report, _, _, contract = analyse(model_path, data, top=top, num_images=num_calibration, seed=seed,
                                               debug_images=debug_images)
    seconds = {"calibrate_and_debug": time.perf_counter() - started}
    folder, temporary = (Path(output_dir), False) if output_dir else (Path(tempfile.mkdtemp(prefix="quant-report-")),
                                                                     True)
    folder.mkdir(parents=True, exist_ok=True)
    name = Path(model_path).name
    try:
        variants = [("float", [], [], None)]
        for k in ks:
            chosen = report.most_damaged(k)
            variants.append(("int8" if k == 0 else f"int8 + {k} float", [r.tensor_name for r in chosen], [],
                             [r.layer for r in chosen]))
        if keep_float:
            nodes, ops = resolve_layers(report, keep_float)
            variants.append(("int8 + given float", nodes, ops, list(keep_float)))
        if 0 not in ks:  # the deltas are taken against full int8
            variants.insert(1, ("int8", [], [], []))

        results = []
        started = time.perf_counter()
        for label, nodes, ops, kept in variants:
            log(f"converting {label} ...")
            # The float reference is the debugger's calibrated model: the very float graph the quantizer
            # starts from (same ops and outputs as the fp32 export, plus a few kB of min/max statistics),
            # which spares a second Keras conversion.
            data_bytes = debugger.calibrated_model if label == "float" else selective_model(debugger, nodes, ops)
            path = folder / f"{name}_{_slug(label)}.tflite"
            write_bytes(path, embed_contract(data_bytes, contract))
            results.append(_measure(label, kept, path, gpu_check))

        seconds["convert_and_gate"] = time.perf_counter() - started
        log(f"evaluating {len(results)} models on {data} {split} ...")
        started = time.perf_counter()
        _score(results, eval_dataset, limit, progress)
        seconds["evaluate"] = time.perf_counter() - started
        if temporary:  # the files are about to go: name them, not where they were
            for r in results:
                r.path = Path(r.path).name
        document = {"model": str(model_path), "data": str(data), "split": split,
                    "images": len(eval_dataset) if limit is None else min(limit, len(eval_dataset)),
                    "calibration_images": report.calibration["num_images"], "report": report.to_dict(),
                    "selective": [r.to_dict() for r in results],
                    "gate": "static: every op against the mobile GPU delegate's documented constraints"
                            + ("; dynamic: LiteRT GPU accelerator" if gpu_check else "; dynamic not run"),
                    "seconds": {stage: round(value, 1) for stage, value in seconds.items()}}
        if not temporary:
            write_json(folder / "quant_report.json", document)
        return document
    finally:
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)


def _slug(label: str) -> str:
    return label.replace(" + ", "_").replace(" ", "-")




def _measure(label, kept, path: Path, gpu_check: bool) -> SelectiveResult:
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
    return SelectiveResult(name=label, kept_float=list(kept or []), path=str(path), size_bytes=path.stat().st_size,
                           op_count=facts["op_count"], quantize_ops=facts["quantize_ops"],
                           float_ops=[f"#{f['index']} {f['op']}" for f in facts["float_ops"]],
                           static_gate=static.status, gate_summary=summary,
                           dynamic_gate=dynamic.status if dynamic else "not run")


def _score(results: list, dataset, limit: Optional[int], progress: bool) -> None:
    from edge_deeplab.evaluate import evaluate
    from edge_deeplab.evaluate.evaluator import EvalConfig
    from edge_deeplab.evaluate.runners import TfliteRunner

    runners = [TfliteRunner(r.path, name=r.name) for r in results]
    evaluation = evaluate(runners, dataset, config=EvalConfig(overlays=0, limit=limit), progress=progress)
    metrics = {m["name"]: m["metrics"] for m in evaluation.result["models"]}
    for r in results:
        r.miou, r.person_iou = metrics[r.name]["mIoU"], metrics[r.name]["person_IoU"]
    float_result = next(r for r in results if r.name == "float")
    int8 = next(r for r in results if r.name == "int8")
    for r in results:
        r.delta_miou_vs_int8 = _points(r.miou, int8.miou)
        r.delta_miou_vs_float = _points(r.miou, float_result.miou)
        r.delta_person_iou_vs_int8 = _points(r.person_iou, int8.person_iou)
        r.size_vs_int8 = r.size_bytes / int8.size_bytes


def _points(value, reference) -> Optional[float]:
    return None if value is None or reference is None else 100.0 * (value - reference)


def format_selective(rows: list) -> str:
    """The selective table from quant_report()'s "selective" list (dicts)."""
    def number(value, spec, scale=1.0):
        return "-" if value is None else format(scale * value, spec)

    int8_bytes = next((r["size_bytes"] for r in rows if r["name"] == "int8"), None)
    lines = [f"{'model':<20} {'size':>8} {'vs int8':>9} {'ops':>4} {'Q/DQ':>5} {'float ops':>9} {'GPU static':>10} "
             f"{'dynamic':>8} {'mIoU':>6} {'d int8':>7} {'d float':>7} {'person':>6} {'d int8':>7}"]
    for r in rows:
        extra = None if int8_bytes is None else (r["size_bytes"] - int8_bytes) / 1e3
        lines.append(f"{r['name'][:20]:<20} {r['size_bytes'] / 1e6:>6.2f}MB {number(extra, '+.1f'):>7}kB "
                     f"{r['op_count']:>4} {r['quantize_ops']:>5} {len(r['float_ops']):>9} {r['static_gate']:>10} "
                     f"{r['dynamic_gate']:>8} {number(r['miou'], '.2f', 100):>6} "
                     f"{number(r['delta_miou_vs_int8'], '+.2f'):>7} {number(r['delta_miou_vs_float'], '+.2f'):>7} "
                     f"{number(r['person_iou'], '.2f', 100):>6} {number(r['delta_person_iou_vs_int8'], '+.2f'):>7}")
    lines.append("mIoU and person IoU in points (x100); d = difference in points; Q/DQ = QUANTIZE + DEQUANTIZE ops")
    for r in rows:
        if r["kept_float"]:
            lines.append(f"  {r['name']}: float {', '.join(r['kept_float'])}")
    return "\n".join(lines)

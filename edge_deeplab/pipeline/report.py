"""The deployment report: JSON (everything), Markdown (the tables and verdicts) and HTML (plus plots
of accuracy against latency, per-class IoU, the training curve, and overlays of best/worst images)."""
from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Optional

from edge_deeplab.evaluate.report import LEGEND
from edge_deeplab.converters.formats import FORMATS
from edge_deeplab.io import write_text
from edge_deeplab.litert.gpu import INSTALL_HINT
from edge_deeplab.pipeline.real import real_markdown, real_rows, real_verdict
from edge_deeplab.pipeline.results import Evaluated, Exported, HostBenched, Trained

PASS, FAIL, NOT_MEASURED = "PASS", "FAIL", "NOT MEASURED"

#: `edge-deeplab pipeline`'s exit status when a verdict fails: distinct from 1 (a user error such as a bad
#: path) and 2 (a bad option, click's), so a CI job can tell "the model is not good enough" from "the job
#: was set up wrong".
GATE_FAILED_EXIT = 3


def failed_gates(verdicts, strict: bool = False) -> list:
    """The gates that make the pipeline exit GATE_FAILED_EXIT: every FAIL, and with `strict` every NOT
    MEASURED too (a gate nobody could measure, e.g. the phone's FPS without a phone, passes otherwise)."""
    failing = (FAIL, NOT_MEASURED) if strict else (FAIL,)
    return [verdict["gate"] for verdict in verdicts if verdict["status"] in failing]


def _load(path) -> Optional[dict]:
    return json.loads(Path(path).read_text()) if path and Path(path).is_file() else None


def build_report(config, model_config, trained: Trained, exported: Exported, evaluated: Evaluated,
                 host: HostBenched, device: Optional[dict], timings: dict, *, float_model, qat_model,
                 real=None) -> dict:
    evaluation = _load(evaluated.json)
    history = (_load(trained.history) or {}).get("epochs", [])
    bench = _load(host.json)

    # One row per model: accuracy from the evaluator, size and gates from the export, speed from the bench.
    exports = {e.format: e.to_dict() for e in exported.exports}
    speed = {}
    for model in bench["models"]:
        for entry in model["results"]:
            if entry["backend"] == "cpu" and entry["mode"] == "model" and entry.get("status") == "ok" \
                    and entry.get("variant", "").endswith("2 threads"):
                speed[str(Path(model["path"]))] = entry["stats"]
    rows = []
    for model in evaluation["models"]:
        key = (evaluated.name_of(model["path"]) if model.get("path") else None) or model["name"]
        metrics = model["metrics"]
        export = exports.get(key, {})
        stats = speed.get(str(Path(model["path"]))) if model.get("path") else None
        rows.append({"model": key, "kind": model["kind"], "format": model["format"],
                     "size_mb": model["size_bytes"] / 1e6 if model.get("size_bytes") else None,
                     "mIoU": metrics["mIoU"], "person_IoU": metrics.get("person_IoU"),
                     "boundary_F": metrics.get("boundary_F"), "per_class_IoU": metrics.get("per_class_IoU"),
                     "delta_mIoU_points": None if model.get("delta_mIoU") is None else model["delta_mIoU"] * 100,
                     "host_cpu_ms": stats["median_ms"] if stats else None,
                     "host_cpu_fps": stats["fps"] if stats else None,
                     "static_gate": export.get("static_gate"), "dynamic_gate": export.get("dynamic_gate"),
                     "max_diff": export.get("max_abs_diff")})
    row = {r["model"]: r for r in rows}
    float_miou = row["keras"]["mIoU"] if "keras" in row else None

    verdicts = []

    def loss_verdict(fmt, limit, name):
        if fmt not in row or float_miou is None:
            return
        lost = (float_miou - row[fmt]["mIoU"]) * 100
        verdicts.append({"gate": name, "status": PASS if lost <= limit else FAIL,
                         "detail": f"{fmt} mIoU {row[fmt]['mIoU'] * 100:.2f} vs float {float_miou * 100:.2f}: "
                                   f"{lost:+.2f} points lost (limit {limit})"})

    for fmt in (f for f in FORMATS if f.integer):
        if fmt.needs_qat:
            loss_verdict(fmt.name, config.max_qat_loss, "mIoU lost by int8 from QAT")
        else:
            loss_verdict(fmt.name, config.max_int8_loss, "mIoU lost by int8 post-training quantization")
    gate_rows = [(fmt, r) for fmt, r in exports.items()]
    failed = [fmt for fmt, r in gate_rows if "fail" in (r["static_gate"], r["dynamic_gate"])]
    unproven = [fmt for fmt, r in gate_rows if r["dynamic_gate"] == "not run"]
    verdicts.append({"gate": "full GPU-delegate compatibility (static rules + LiteRT GPU compile)",
                     "status": FAIL if failed else NOT_MEASURED if unproven else PASS,
                     "detail": f"failed: {', '.join(failed)}" if failed else
                     f"dynamic check not run for {', '.join(unproven)}: no Vulkan device; {INSTALL_HINT}" if unproven else
                     f"all {len(gate_rows)} exports run whole on the GPU accelerator"})
    if device:
        gate = device["gate"]
        verdicts.append({"gate": f"{config.min_fps:g}+ FPS on the phone's GPU delegate",
                         "status": PASS if gate["passed"] else FAIL,
                         "detail": "; ".join(f"{name}: {v['reason']}" for name, v in gate["models"].items())})
    else:
        verdicts.append({"gate": f"{config.min_fps:g}+ FPS on the phone's GPU delegate", "status": NOT_MEASURED,
                         "detail": "no phone: pass --serial and --benchmark-binary to measure it; host CPU "
                                   "FPS are in the table, and are not phone GPU numbers"})

    real_photos = real_rows(real)
    verdicts.append(real_verdict(real_photos, config.min_person_iou))

    return {"data": config.data, "output": config.output, "model_config": model_config.to_dict(),
            "init_from": config.init_from, "real_photos": real_photos,
            "float_model": str(float_model), "qat_model": None if qat_model is None else str(qat_model),
            "training": history, "models": rows, "exports": list(exports.values()), "verdicts": verdicts,
            "host": bench.get("host"), "device": device, "stage_seconds": timings,
            "evaluation": {"json": evaluated.json, "html": evaluated.html, "overlays": evaluated.overlays,
                           "dataset": evaluation.get("dataset")}}


def _num(value, digits=2, scale=1.0):
    return "-" if value is None else f"{value * scale:.{digits}f}"


TABLE = [("model", "model"), ("format", "format"), ("size_mb", "size MB"), ("mIoU", "mIoU %"),
         ("person_IoU", "person IoU %"), ("boundary_F", "boundary F %"), ("delta_mIoU_points", "Δ mIoU pts"),
         ("host_cpu_ms", "host CPU ms"), ("static_gate", "GPU static"), ("dynamic_gate", "GPU dynamic")]


def _cell(key, value):
    if key in ("mIoU", "person_IoU", "boundary_F"):
        return _num(value, 2, 100.0)
    if key in ("size_mb", "host_cpu_ms", "delta_mIoU_points"):
        return _num(value, 2)
    return "-" if value is None else str(value)


def render_markdown(report: dict) -> str:
    lines = ["# edge-deeplab deployment report", "",
             f"Data: `{report['data']}`; float model: `{report['float_model']}`.", "", "## Verdicts", "",
             "| gate | verdict | detail |", "|---|---|---|"]
    lines += [f"| {v['gate']} | **{v['status']}** | {v['detail']} |" for v in report["verdicts"]]
    lines += ["", "## Models", "", "| " + " | ".join(h for _, h in TABLE) + " |", "|" + "---|" * len(TABLE)]
    lines += ["| " + " | ".join(_cell(k, r.get(k)) for k, _ in TABLE) + " |" for r in report["models"]]
    dataset = (report.get("evaluation") or {}).get("dataset")
    if isinstance(dataset, dict):
        dataset = f"{dataset.get('name')} ({dataset.get('images')} images)"
    lines += ["", f"Accuracy on {dataset} at each image's own resolution; Δ against the Keras float model; host "
                  "CPU latency is the LiteRT interpreter with 2 threads (model only, median)."
              if dataset else ""]
    lines += real_markdown(report.get("real_photos") or {})
    if report["training"]:
        lines += ["", "## Training", "", "| epoch | train loss | val mIoU % | val person IoU % | images/s |",
                  "|---|---|---|---|---|"]
        lines += [f"| {e['epoch']} | {e['train_loss']:.4f} | {e['val_miou'] * 100:.2f} | "
                  f"{_num(e.get('val_person_iou'), 2, 100.0)} | {e['images_per_second']:.1f} |"
                  for e in report["training"]]
    lines += ["", "## Exports", "", "| format | size MB | ops | static gate | dynamic gate | max diff | argmax agreement |",
              "|---|---|---|---|---|---|---|"]
    lines += [f"| {e['format']} | {e['size_bytes'] / 1e6:.2f} | {e['op_count']} | {e['static_gate']} | "
              f"{e['dynamic_gate']} | {_num(e['max_abs_diff'], 5)} | {_num(e['argmax_agreement'], 4)} |"
              for e in report["exports"]]
    if report.get("stage_seconds"):
        lines += ["", "Stage times (this run): " + ", ".join(f"{k} {v:.0f} s" for k, v in report["stage_seconds"].items())]
    return "\n".join(lines) + "\n"


def _figure_png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def plots(report: dict) -> dict:
    import matplotlib

    matplotlib.use("Agg")  # no display here, and none needed
    import matplotlib.pyplot as plt

    images = {}
    points = [r for r in report["models"] if r["host_cpu_ms"] is not None]
    if points:
        figure, axes = plt.subplots(figsize=(6, 4))
        for r in points:
            axes.scatter(r["host_cpu_ms"], r["mIoU"] * 100, marker="s" if r["kind"] == "peer" else "o")
            axes.annotate(r["model"], (r["host_cpu_ms"], r["mIoU"] * 100), fontsize=8, xytext=(4, 4),
                          textcoords="offset points")
        axes.set_xlabel("host CPU latency, ms (LiteRT, 2 threads)")
        axes.set_ylabel("mIoU %")
        axes.set_title("accuracy against latency")
        axes.grid(alpha=0.3)
        images["accuracy_latency"] = _figure_png(figure)
        plt.close(figure)
    with_classes = [r for r in report["models"] if r.get("per_class_IoU")]
    if with_classes:
        classes = sorted({c for r in with_classes for c in r["per_class_IoU"]})
        figure, axes = plt.subplots(figsize=(7, 4))
        width = 0.8 / len(with_classes)
        for i, r in enumerate(with_classes):
            values = [(r["per_class_IoU"].get(c) or 0) * 100 for c in classes]
            axes.bar([x + i * width for x in range(len(classes))], values, width, label=r["model"])
        axes.set_xticks([x + 0.4 - width / 2 for x in range(len(classes))], classes)
        axes.set_ylabel("IoU %")
        axes.set_title("per-class IoU")
        axes.legend(fontsize=7)
        images["per_class_iou"] = _figure_png(figure)
        plt.close(figure)
    if report["training"]:
        figure, axes = plt.subplots(figsize=(6, 3.5))
        epochs = [e["epoch"] for e in report["training"]]
        axes.plot(epochs, [e["val_miou"] * 100 for e in report["training"]], label="val mIoU")
        if report["training"][0].get("val_person_iou") is not None:
            axes.plot(epochs, [e["val_person_iou"] * 100 for e in report["training"]], label="val person IoU")
        axes.set_xlabel("epoch")
        axes.set_ylabel("%")
        axes.legend()
        axes.set_title("training")
        images["training"] = _figure_png(figure)
        plt.close(figure)
    return images


def render_html(report: dict) -> str:
    escape = html.escape
    colour = {PASS: "#1a7f37", FAIL: "#cf222e", NOT_MEASURED: "#9a6700"}
    verdicts = "".join(f"<tr><td>{escape(v['gate'])}</td><td style='color:{colour[v['status']]}'><b>"
                       f"{v['status']}</b></td><td>{escape(v['detail'])}</td></tr>" for v in report["verdicts"])
    head = "".join(f"<th>{escape(h)}</th>" for _, h in TABLE)
    body = "".join("<tr>" + "".join(f"<td>{escape(_cell(k, r.get(k)))}</td>" for k, _ in TABLE) + "</tr>"
                   for r in report["models"])
    figures = "".join(f"<img alt='{name}' src='data:image/png;base64,{png}'>" for name, png in plots(report).items())
    overlays = _load(report["evaluation"].get("overlays")) or {}
    overlay_html = []
    for model, images in overlays.items():
        cells = "".join(
            f"<figure><img src='data:image/jpeg;base64,{base64.b64encode(Path(i['path']).read_bytes()).decode()}'>"
            f"<figcaption>{escape(i['which'])} {escape(i['id'])}: {i['score'] * 100:.1f} %</figcaption></figure>"
            for i in images if Path(i["path"]).is_file())
        overlay_html.append(f"<h3>{escape(model)}</h3><div class=row>{cells}</div>")
    markdown_tables = escape(render_markdown(report))
    style = ("body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #bbb;padding:4px 8px}.row{display:flex;flex-wrap:wrap;gap:10px}"
             "figure{margin:0}figcaption{font-size:12px}img{max-width:100%}")
    return (f"<!DOCTYPE html><html><head><meta charset=utf-8><title>edge-deeplab deployment report</title>"
            f"<style>{style}</style></head><body><h1>Deployment report</h1>"
            f"<p>Data <code>{escape(str(report['data']))}</code>, float model "
            f"<code>{escape(report['float_model'])}</code>.</p>"
            f"<h2>Verdicts</h2><table><tr><th>gate</th><th>verdict</th><th>detail</th></tr>{verdicts}</table>"
            f"<h2>Models</h2><table><tr>{head}</tr>{body}</table>{_real_html(report)}<h2>Plots</h2><div class=row>{figures}</div>"
            f"<h2>Best and worst images</h2><p>{escape(LEGEND)}</p>"
            f"{''.join(overlay_html)}<h2>All tables</h2><pre>{markdown_tables}</pre></body></html>\n")


def _real_html(report: dict) -> str:
    rows = report.get("real_photos") or {}
    if not rows:
        return ""
    lines = real_markdown(rows)
    table = [line for line in lines if line.startswith("|") and not line.startswith("|---")]
    cells = [[html.escape(c.strip()) for c in line.strip("|").split("|")] for line in table]
    head = "".join(f"<th>{c}</th>" for c in cells[0])
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in cells[1:])
    return f"<h2>{html.escape(lines[1][3:])}</h2><table><tr>{head}</tr>{body}</table><p>{html.escape(lines[-1])}</p>"


def write_report(report: dict, out: Path) -> dict:
    out = Path(out)
    texts = {"json": json.dumps(report, indent=2) + "\n", "md": render_markdown(report), "html": render_html(report)}
    paths = {}
    for kind, text in texts.items():
        path = out / f"report.{kind}"
        write_text(path, text)
        paths[kind] = path
    return paths

"""The deployment report: JSON (everything), Markdown (the tables and verdicts) and HTML (the same tables,
plots of accuracy against latency, per-class IoU, the loss and QAT curves, the float model's best and
worst photos once, and where each export's labels differ from the float model's)."""

from __future__ import annotations

import base64
import html
import json
from importlib import metadata
from pathlib import Path
from typing import Optional

from edge_deeplab.converters.formats import FORMATS
from edge_deeplab.evaluate.report import DIFFERENCE_LEGEND, LEGEND, score_caption
from edge_deeplab.io import write_text
from edge_deeplab.litert.gpu import INSTALL_HINT
from edge_deeplab.pipeline.real import real_rows, real_table, real_verdict
from edge_deeplab.pipeline.results import Evaluated, Exported, HostBenched, Trained
from edge_deeplab.settings import read_json_object

PASS, FAIL, NOT_MEASURED = "PASS", "FAIL", "NOT MEASURED"

#: `edge-deeplab pipeline`'s exit status when a verdict fails: distinct from 1 (a user error such as a bad
#: path) and 2 (a bad option, click's), so a CI job can tell "the model is not good enough" from "the job
#: was set up wrong".
GATE_FAILED_EXIT = 3

#: Shown beside the peers' numbers when the data is the embedded synthetic scenes.
OUT_OF_DOMAIN = (
    "The peers (peer:...) were trained on real photos; on the synthetic cartoon scenes they are out of "
    "their domain, so their scores and Δ here say nothing about how they segment real people (the "
    "README's model table compares them on real photos)."
)
#: What the "max |Δ|" of an export is measured on, by the export's output kind.
OUTPUT_UNITS = {
    "probabilities": "probability (0-1)",
    "logits": "logit",
    "person_alpha": "person probability (0-1)",
    "label_map": "class id",
}
#: The packages whose versions make a run reproducible (their import names differ; metadata needs no import).
PACKAGES = (
    "tensorflow",
    "tf-keras",
    "tensorflow-model-optimization",
    "ai-edge-litert",
    "numpy",
    "opencv-python-headless",
)


def failed_gates(verdicts, strict: bool = False) -> list:
    """The gates that make the pipeline exit GATE_FAILED_EXIT: every FAIL, and with `strict` every NOT
    MEASURED too (a gate nobody could measure, e.g. the phone's FPS without a phone, passes otherwise)."""
    failing = (FAIL, NOT_MEASURED) if strict else (FAIL,)
    return [verdict["gate"] for verdict in verdicts if verdict["status"] in failing]


def _load(path) -> Optional[dict]:
    """A stage's JSON output through the one checked reader; None where the stage wrote none."""
    if not (path and Path(path).is_file()):
        return None
    return read_json_object(path, "pipeline output", "a stage's results", fix="run the pipeline again")


def _is_synthetic(data) -> bool:
    """The embedded scenes, by name or as a folder write_synthetic made."""
    if str(data) == "synthetic":
        return True
    readme = Path(str(data)) / "README.md"
    return readme.is_file() and readme.read_text(errors="replace").startswith("# Synthetic portrait scenes")


def _versions(known: dict) -> dict:
    """The packages' versions, except those the benchmark already recorded (ai_edge_litert, numpy)."""
    versions = {}
    for name in PACKAGES:
        if name.replace("-", "_") in known or name in known:
            continue
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def loss_verdict(fmt: str, name: str, miou: float, float_miou: float, limit: float) -> dict:
    """A quantized model's mIoU against the float model's. delta_points has the table's sign (export minus
    float: negative is a loss); the limit is on the points lost."""
    delta = (miou - float_miou) * 100
    lost = -delta
    outcome = f"{lost:.2f} lost" if lost > 0 else f"{-lost:.2f} gained" if lost < 0 else "none lost"
    return {
        "gate": name,
        "status": PASS if lost <= limit else FAIL,
        "delta_points": delta,
        "lost_points": lost,
        "detail": f"{fmt} mIoU {miou * 100:.2f} % vs float {float_miou * 100:.2f} %: Δ {delta:+.2f} points, "
        f"{outcome} (limit {limit} lost)",
    }


def build_report(
    config,
    model_config,
    trained: Trained,
    exported: Exported,
    evaluated: Evaluated,
    host: HostBenched,
    device: Optional[dict],
    timings: dict,
    *,
    float_model,
    qat_model,
    real=None,
) -> dict:
    """The report of a run, from every stage's result: models table, verdicts, curves, photos and machine.

    Args:
        config: the run's PipelineConfig (planned), for the data and the gates' limits.
        model_config: the float model's DeepLabConfig.
        trained: the training stage's result (its history gives the loss curve).
        exported: the export stage's result.
        evaluated: the evaluation stage's result.
        host: the host benchmark stage's result.
        device: the phone benchmark's result, or None without a phone.
        timings: stage name -> seconds, of the stages that ran.
        float_model: the float model folder.
        qat_model: the QAT model folder, or None (its history gives the QAT curve).
        real: the real-photo stage's result, or None.

    Returns:
        The report as plain JSON (write_report writes it).
    """
    evaluation = _load(evaluated.json)
    history = (_load(trained.history) or {}).get("epochs", [])
    # QAT's run folder holds its own history beside its best model.
    qat_history = (_load(Path(qat_model).parent / "history.json") or {}).get("epochs", []) if qat_model else []
    bench = _load(host.json)

    exports = {e.format: e.to_dict() for e in exported.exports}
    export_json = _load(Path(exported.exports[0].path).parent / "export.json") if exported.exports else None
    output_kind = (export_json or {}).get("output_kind")
    rows, names = _model_rows(evaluation, evaluated, exports, bench)
    row = {r["model"]: r for r in rows}
    float_miou = row["keras"]["mIoU"] if "keras" in row else None

    real_photos = real_rows(real)
    verdicts = _verdicts(config, row, float_miou, exports, device) + [real_verdict(real_photos, config.min_person_iou)]
    photos = _photos(evaluation, evaluated, names, row)
    return {
        "data": config.data,
        "output": config.output,
        "model_config": model_config.to_dict(),
        "init_from": config.init_from,
        "real_photos": real_photos,
        "float_model": str(float_model),
        "qat_model": None if qat_model is None else str(qat_model),
        "training": history,
        "qat_training": qat_history,
        "models": rows,
        "exports": list(exports.values()),
        "output_kind": output_kind,
        "verdicts": verdicts,
        "out_of_domain_peers": _is_synthetic(config.data) and any(r["kind"] == "peer" for r in rows),
        "host": bench.get("host"),
        "machine": {**(bench.get("host") or {}), **_versions(bench.get("host") or {})},
        "device": device,
        "stage_seconds": timings,
        "photos": photos,
        "evaluation": {
            "json": evaluated.json,
            "html": evaluated.html,
            "overlays": evaluated.overlays,
            "dataset": evaluation.get("dataset"),
        },
    }


def _photos(evaluation: dict, evaluated: Evaluated, names: dict, row: dict) -> dict:
    """The photos: the float model's best and worst once (the exports' are near-identical; every model's are in
    evaluate/evaluation.html), then where each export's labels differ from the float model's."""
    overlays = {names.get(model, model): images for model, images in (_load(evaluated.overlays) or {}).items()}
    reference = "keras" if "keras" in overlays else next(iter(overlays), None)
    return {
        "reference": reference,
        "shown": [i for i in overlays.get(reference, []) if i["which"] in ("best", "worst")],
        "differences": {
            model: [i for i in images if i["which"] == "differs"]
            for model, images in overlays.items()
            if model != reference and row.get(model, {}).get("kind") == "ours"
        },
        "without_person": evaluation["dataset"].get("images_without_person", []),
        "score_name": evaluation.get("settings", {}).get("per_image_score", "score"),
    }


def _model_rows(evaluation: dict, evaluated: Evaluated, exports: dict, bench: dict) -> tuple[list, dict]:
    """(one row per evaluated model, evaluator name -> report name)."""
    # One row per model: accuracy from the evaluator, size and gates from the export, speed from the bench.
    speed = {}
    for model in bench["models"]:
        for entry in model["results"]:
            if (
                entry["backend"] == "cpu"
                and entry["mode"] == "model"
                and entry.get("status") == "ok"
                and entry.get("variant", "").endswith("2 threads")
            ):
                speed[str(Path(model["path"]))] = entry["stats"]
    rows, names = [], {}
    for model in evaluation["models"]:
        key = (evaluated.name_of(model["path"]) if model.get("path") else None) or model["name"]
        names[model["name"]] = key
        metrics = model["metrics"]
        export = exports.get(key, {})
        stats = speed.get(str(Path(model["path"]))) if model.get("path") else None
        rows.append(
            {
                "model": key,
                "kind": model["kind"],
                "format": model["format"],
                "size_mb": model["size_bytes"] / 1e6 if model.get("size_bytes") else None,
                "mIoU": metrics["mIoU"],
                "person_IoU": metrics.get("person_IoU"),
                "boundary_F": metrics.get("boundary_F"),
                "per_class_IoU": metrics.get("per_class_IoU"),
                "delta_mIoU_points": None if model.get("delta_mIoU") is None else model["delta_mIoU"] * 100,
                "label_disagreement": model.get("label_disagreement"),
                "host_cpu_ms": stats["median_ms"] if stats else None,
                "host_cpu_fps": stats["fps"] if stats else None,
                "static_gate": export.get("static_gate"),
                "dynamic_gate": export.get("dynamic_gate"),
                "max_diff": export.get("max_abs_diff"),
            }
        )
    return rows, names


def _verdicts(config, row: dict, float_miou, exports: dict, device: Optional[dict]) -> list:
    """The loss limits, the GPU-delegate gates and the phone's FPS, each a verdict."""
    verdicts = []
    for fmt in (f for f in FORMATS if f.integer):
        if fmt.name in row and float_miou is not None:
            name = "mIoU lost by int8 from QAT" if fmt.needs_qat else "mIoU lost by int8 post-training quantization"
            verdicts.append(
                loss_verdict(
                    fmt.name,
                    name,
                    row[fmt.name]["mIoU"],
                    float_miou,
                    config.max_qat_loss if fmt.needs_qat else config.max_int8_loss,
                )
            )
    gate_rows = [(fmt, r) for fmt, r in exports.items()]
    failed = [f"{fmt} ({r['gate_summary']})" for fmt, r in gate_rows if "fail" in (r["static_gate"], r["dynamic_gate"])]
    unproven = [fmt for fmt, r in gate_rows if r["dynamic_gate"] == "not run"]
    verdicts.append(
        {
            "gate": "full GPU-delegate compatibility (static rules + LiteRT GPU compile)",
            "status": FAIL if failed else NOT_MEASURED if unproven else PASS,
            "detail": f"failed: {', '.join(failed)}"
            if failed
            else f"dynamic check not run for {', '.join(unproven)}: no Vulkan device; {INSTALL_HINT}"
            if unproven
            else f"all {len(gate_rows)} exports run whole on the GPU accelerator",
        }
    )
    if device:
        gate = device["gate"]
        verdicts.append(
            {
                "gate": f"{config.min_fps:g}+ FPS on the phone's GPU delegate",
                "status": PASS if gate["passed"] else FAIL,
                "detail": "; ".join(f"{name}: {v['reason']}" for name, v in gate["models"].items()),
            }
        )
    else:
        verdicts.append(
            {
                "gate": f"{config.min_fps:g}+ FPS on the phone's GPU delegate",
                "status": NOT_MEASURED,
                "detail": "no phone: pass --serial and --benchmark-binary to measure it; host CPU "
                "FPS are in the table, and are not phone GPU numbers",
            }
        )

    return verdicts


# ---- tables, shared by the Markdown and the HTML ------------------------------------------------------


def _num(value, digits=2, scale=1.0, sign=False):
    return "-" if value is None else f"{value * scale:{'+' if sign else ''}.{digits}f}"


TABLE = [
    ("model", "model"),
    ("format", "format"),
    ("size_mb", "size MB"),
    ("mIoU", "mIoU %"),
    ("person_IoU", "person IoU %"),
    ("boundary_F", "boundary F %"),
    ("delta_mIoU_points", "Δ mIoU vs float, points"),
    ("label_disagreement", "pixels labelled unlike float %"),
    ("host_cpu_ms", "host CPU ms"),
    ("static_gate", "GPU static"),
    ("dynamic_gate", "GPU dynamic"),
]


def _cell(key, value):
    if key in ("mIoU", "person_IoU", "boundary_F"):
        return _num(value, 2, 100.0)
    if key == "label_disagreement":
        return _num(value, 3, 100.0)
    if key == "delta_mIoU_points":
        return _num(value, 2, sign=True)
    if key in ("size_mb", "host_cpu_ms"):
        return _num(value, 2)
    return "-" if value is None else str(value)


def _model_label(row, out_of_domain: bool = False) -> str:
    """The Keras model by what it is (its folder is called best/, which is not a verdict)."""
    if row["model"] == "keras":
        return "keras (float, the reference)"
    return row["model"] + (" (out of domain)" if row["kind"] == "peer" and out_of_domain else "")


def _dataset_text(report) -> Optional[str]:
    dataset = (report.get("evaluation") or {}).get("dataset")
    if isinstance(dataset, dict):
        return f"{dataset.get('name')} ({dataset.get('images')} images)"
    return dataset


def _model_notes(report) -> list[str]:
    notes = []
    dataset = _dataset_text(report)
    if dataset:
        notes.append(
            f"Accuracy on {dataset} at each image's own resolution. Δ: the model's mIoU minus the Keras "
            "float model's, in points (negative: it lost accuracy). Pixels labelled unlike float: the share "
            "of all pixels whose class differs from the float model's. Host CPU: the LiteRT interpreter, "
            "2 threads, model only, median; not a phone's speed."
        )
    if report.get("out_of_domain_peers"):
        notes.append(OUT_OF_DOMAIN)
    return notes


def _tables(report: dict) -> list[tuple[str, list[str], list[list[str]], str]]:
    """(title, header, rows, note) of every table below the models table, in the order shown."""
    tables = _training_tables(report)
    tables.append(_exports_table(report))
    machine = report.get("machine") or report.get("host") or {}
    if machine:
        tables.append(
            (
                "Machine",
                ["what", "value"],
                [[k, "-" if v is None else str(v)] for k, v in machine.items()],
                "Where this report's numbers were measured.",
            )
        )
    if report.get("stage_seconds"):
        tables.append(
            (
                "Stage times (this run)",
                ["stage", "seconds"],
                [[k, f"{v:.0f}"] for k, v in report["stage_seconds"].items()],
                "Stages skipped as up to date take no time here.",
            )
        )
    return tables


def _training_tables(report: dict) -> list[tuple[str, list[str], list[list[str]], str]]:
    """(title, header, rows, note) of the float training's epochs and of QAT's, where the run trained."""
    tables = []
    for key, title, note in (
        ("training", "Training (float)", "The float model kept is the epoch with the best val mIoU."),
        (
            "qat_training",
            "Quantization-aware training",
            "QAT starts from the float model kept and distils from it; its val mIoU is the fake-quantized Keras "
            "model's, the int8 export's is in the models table.",
        ),
    ):
        epochs = report.get(key) or []
        if epochs:
            # "best" marks each epoch that was the best so far: the model kept is the last of them.
            kept = max((e["epoch"] for e in epochs if e.get("best")), default=None)
            tables.append(
                (
                    title,
                    ["epoch", "train loss", "val mIoU %", "val person IoU %", "images/s", "kept"],
                    [
                        [
                            str(e["epoch"]),
                            f"{e['train_loss']:.4f}",
                            f"{e['val_miou'] * 100:.2f}",
                            _num(e.get("val_person_iou"), 2, 100.0),
                            f"{e['images_per_second']:.1f}",
                            "yes" if e["epoch"] == kept else "",
                        ]
                        for e in epochs
                    ],
                    note,
                )
            )
    return tables


def _exports_table(report: dict) -> tuple[str, list[str], list[list[str]], str]:
    """(title, header, rows, note) of the exports: size, ops, both GPU gates and how far each is from Keras."""
    unit = OUTPUT_UNITS.get(report.get("output_kind"), "the output's own units")
    return (
        "Exports",
        [
            "format",
            "size MB",
            "ops",
            "GPU static",
            "GPU dynamic",
            f"max |TFLite − Keras|, {unit}",
            "max |Δ probability|",
            "argmax agreement %",
        ],
        [
            [
                e["format"],
                f"{e['size_bytes'] / 1e6:.2f}",
                str(e["op_count"]),
                e["static_gate"],
                e["dynamic_gate"],
                _num(e["max_abs_diff"], 5),
                _num(e.get("max_probability_diff"), 5),
                _num(e["argmax_agreement"], 2, 100.0),
            ]
            for e in report["exports"]
        ],
        f"Differences on the export's check images: the output the app receives "
        f"({report.get('output_kind') or 'unknown kind'}) and the softmax probabilities, largest over "
        "all pixels and classes; argmax agreement: pixels whose class matches the Keras model's.",
    )


def _escape_cell(text: str) -> str:
    return str(text).replace("|", "\\|")


#: The models table scores the pipeline's own val split (synthetic scenes on the embedded default); the
#: real-photo table, where there is one, comes before it.
MODELS_TITLE = "Models (on the pipeline's val split)"


def render_markdown(report: dict) -> str:
    """The report as Markdown: verdicts, the real photos, the models table and its notes, then every detail table.

    Args:
        report: build_report's result.
    """
    out_of_domain = bool(report.get("out_of_domain_peers"))
    lines = [
        "# edge-deeplab deployment report",
        "",
        f"Data: `{report['data']}`; float model: `{report['float_model']}`.",
        "",
        "## Verdicts",
        "",
        "| gate | verdict | detail |",
        "|---|---|---|",
    ]
    lines += [f"| {v['gate']} | **{v['status']}** | {_escape_cell(v['detail'])} |" for v in report["verdicts"]]
    real = real_table(report.get("real_photos") or {})
    if real:  # first: what the phone's user sees, where the val split may be synthetic scenes
        title, header, rows, note = real
        lines += ["", f"## {title}", "", "| " + " | ".join(_escape_cell(h) for h in header) + " |"]
        lines += ["|" + "---|" * len(header)] + [
            "| " + " | ".join(_escape_cell(c) for c in cells) + " |" for cells in rows
        ]
        lines += ["", note]
    lines += ["", f"## {MODELS_TITLE}", "", "| " + " | ".join(h for _, h in TABLE) + " |", "|" + "---|" * len(TABLE)]
    lines += [
        "| "
        + " | ".join(_model_label(r, out_of_domain) if k == "model" else _cell(k, r.get(k)) for k, _ in TABLE)
        + " |"
        for r in report["models"]
    ]
    lines += [""] + [f"- {note}" for note in _model_notes(report)]
    for title, header, rows, note in _tables(report):
        lines += [
            "",
            f"## {title}",
            "",
            "| " + " | ".join(_escape_cell(h) for h in header) + " |",
            "|" + "---|" * len(header),
        ]
        lines += ["| " + " | ".join(_escape_cell(c) for c in cells) + " |" for cells in rows]
        lines += ["", note]
    return "\n".join(lines) + "\n"


# ---- HTML ----------------------------------------------------------------------------------------------


def plots(report: dict) -> dict:
    """The report's plots as base64 PNGs: accuracy against latency, per-class IoU, and the loss and QAT curves,
    each where there is something to draw.

    Args:
        report: build_report's result.

    Returns:
        title -> PNG (base64).
    """
    from edge_deeplab.pipeline import figures

    images = {}
    points = [
        {"name": r["model"], "ms": r["host_cpu_ms"], "miou": r["mIoU"], "peer": r["kind"] == "peer"}
        for r in report["models"]
        if r["host_cpu_ms"] is not None
    ]
    if points:
        title = "accuracy against latency" + (
            " (peers out of domain on synthetic scenes)" if report.get("out_of_domain_peers") else ""
        )
        images["accuracy against latency"] = figures.png_base64(figures.accuracy_latency(points, title))
    with_classes = [
        {"name": r["model"], "per_class_IoU": r["per_class_IoU"]} for r in report["models"] if r.get("per_class_IoU")
    ]
    if with_classes:
        images["per-class IoU"] = figures.png_base64(figures.per_class_iou(with_classes))
    if report["training"] or report.get("qat_training"):
        images["loss and QAT curves"] = figures.png_base64(
            figures.training_curves(report["training"], report.get("qat_training") or [])
        )
    return images


def _html_table(header, rows, classes="") -> str:
    escape = html.escape
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>" for cells in rows)
    return f"<div class=scroll><table class='{classes}'><tr>{head}</tr>{body}</table></div>"


def _jpeg(path) -> str:
    return base64.b64encode(Path(path).read_bytes()).decode()


def _photos_html(report: dict) -> str:
    escape = html.escape
    photos = report.get("photos") or {}
    reference = photos.get("reference")
    if not reference:
        return ""
    without_person = set(photos.get("without_person", []))
    label = "the Keras float model" if reference == "keras" else reference
    cells = "".join(
        f"<figure><img src='data:image/jpeg;base64,{_jpeg(i['path'])}'><figcaption>{escape(i['which'])}: "
        f"{escape(score_caption(i['id'], i['score'], photos.get('score_name', 'score'), without_person))}"
        f"</figcaption></figure>"
        for i in photos.get("shown", [])
        if Path(i["path"]).is_file()
    )
    parts = [
        f"<h2>Photos</h2><h3>Best and worst photos of {escape(label)}</h3><p>{escape(LEGEND)}. "
        f"Shown once, for the float model; where each export labels pixels otherwise is shown below, and every "
        f"model's own best and worst photos are in "
        f"<code>{escape(str((report.get('evaluation') or {}).get('html')))}</code>.</p>"
        f"<div class=row>{cells}</div>"
    ]
    differences = photos.get("differences") or {}
    if differences:
        rows = {r["model"]: r for r in report["models"]}
        parts.append(
            f"<h3>Where each export's labels differ from the float model's</h3><p>{escape(DIFFERENCE_LEGEND)}. "
            "The photos where the most pixels differ, per export.</p>"
        )
        for model, images in differences.items():
            share = rows.get(model, {}).get("label_disagreement")
            summary = (
                f"{model}: labels differ from the float model on {share * 100:.3f} % of all pixels"
                if share is not None
                else f"{model}: not compared"
            )
            figures = "".join(
                f"<figure><img src='data:image/jpeg;base64,{_jpeg(i['path'])}'><figcaption>{escape(i['id'])}: "
                f"{i['score'] * 100:.2f} % of its pixels differ</figcaption></figure>"
                for i in images
                if Path(i["path"]).is_file()
            )
            if share == 0:
                summary += " (identical on every pixel)"
            parts.append(f"<h4>{escape(summary)}</h4>" + (f"<div class=row>{figures}</div>" if figures else ""))
    return "".join(parts)


def render_html(report: dict) -> str:
    """The report as one self-contained HTML page: the Markdown's tables, the plots and the photos.

    Args:
        report: build_report's result.
    """
    escape = html.escape
    colour = {PASS: "#1a7f37", FAIL: "#cf222e", NOT_MEASURED: "#9a6700"}
    verdicts = _html_table(
        ["gate", "verdict", "detail"],
        [
            [escape(v["gate"]), f"<b style='color:{colour[v['status']]}'>{v['status']}</b>", escape(v["detail"])]
            for v in report["verdicts"]
        ],
        "wrap",
    )
    out_of_domain = bool(report.get("out_of_domain_peers"))
    models = _html_table(
        [h for _, h in TABLE],
        [
            [escape(_model_label(r, out_of_domain) if k == "model" else _cell(k, r.get(k))) for k, _ in TABLE]
            for r in report["models"]
        ],
        "numbers",
    )
    notes = "".join(f"<li>{escape(n)}</li>" for n in _model_notes(report))
    real = real_table(report.get("real_photos") or {})
    real_html = (
        f"<h2>{escape(real[0])}</h2>"
        + _html_table([escape(h) for h in real[1]], [[escape(c) for c in cells] for cells in real[2]], "numbers")
        + f"<p class=note>{escape(real[3])}</p>"
        if real
        else ""
    )
    figures = "".join(
        f"<figure><img class=plot alt='{escape(name)}' src='data:image/png;base64,{png}'></figure>"
        for name, png in plots(report).items()
    )
    details = "".join(
        f"<h3>{escape(title)}</h3>"
        + _html_table([escape(h) for h in header], [[escape(c) for c in cells] for cells in rows], "numbers")
        + f"<p class=note>{escape(note)}</p>"
        for title, header, rows, note in _tables(report)
    )
    style = (
        "body{font-family:sans-serif;margin:2em;color:#222;max-width:1400px}table{border-collapse:collapse;"
        "margin:0.5em 0}td,th{border:1px solid #bbb;padding:4px 8px;vertical-align:top}"
        "table.numbers td{white-space:nowrap}table.wrap td:last-child{min-width:30em}"
        ".scroll{overflow-x:auto;max-width:100%}.row{display:flex;flex-wrap:wrap;gap:10px}"
        "figure{margin:0}figcaption{font-size:12px;max-width:280px}img{max-width:100%}.row figure img:not(.plot)"
        "{width:280px}.note{font-size:13px;"
        "color:#555}"
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset=utf-8><title>edge-deeplab deployment report</title>"
        f"<style>{style}</style></head><body><h1>Deployment report</h1>"
        f"<p>Data <code>{escape(str(report['data']))}</code>, float model "
        f"<code>{escape(report['float_model'])}</code>.</p>"
        f"<h2>Verdicts</h2>{verdicts}{real_html}<h2>{MODELS_TITLE}</h2>{models}<ul class=note>{notes}</ul>"
        f"<h2>Plots</h2><div class=row>{figures}</div>{_photos_html(report)}"
        f"<h2>Training, exports and machine</h2>{details}"
        f"<p class=note>The same tables as Markdown: report.md; every number: report.json.</p></body></html>\n"
    )


def write_report(report: dict, out: Path) -> dict:
    """Write report.json, report.md and report.html into `out`, each atomically.

    Args:
        report: build_report's result.
        out: the pipeline's output folder.

    Returns:
        kind ("json", "md", "html") -> path.
    """
    out = Path(out)
    texts = {"json": json.dumps(report, indent=2) + "\n", "md": render_markdown(report), "html": render_html(report)}
    paths = {}
    for kind, text in texts.items():
        path = out / f"report.{kind}"
        write_text(path, text)
        paths[kind] = path
    return paths

"""The evaluation as a table, JSON, Markdown and a self-contained HTML page with overlays.

Every file is written to a temporary name in its folder and renamed, so a failed run leaves no
half-written report. The HTML page embeds its images as JPEG data URIs: one file, no assets
(JPEG, not PNG: a photo overlay is ~20 kB instead of ~150 kB).
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import numpy as np

from edge_deeplab.contract import IGNORE_LABEL
from edge_deeplab.io import write_text
from edge_deeplab.tables import markdown_table, text_table

OVERLAY_MAX_SIDE = 320
# Overlay colours (RGB): correct foreground, predicted where the truth says otherwise, missed, unlabelled.
CORRECT, WRONG, MISSED, IGNORED = (40, 200, 80), (230, 40, 40), (40, 90, 240), (128, 128, 128)
LEGEND = (
    "green: foreground predicted correctly; red: predicted foreground where the truth differs "
    "(false positive); blue: foreground predicted as background (missed); grey: unlabelled"
)
# Where a model's labels differ from the reference (float) model's.
ADDED, DROPPED, SWAPPED = (255, 140, 0), (0, 200, 230), (230, 230, 0)
DIFFERENCE_LEGEND = (
    "orange: foreground only this model predicts; cyan: foreground only the float model "
    "predicts; yellow: both foreground, different classes; elsewhere the two agree"
)

TABLE_COLUMNS = [
    ("name", "model"),
    ("format", "format"),
    ("size_mb", "size MB"),
    ("mIoU", "mIoU %"),
    ("person_IoU", "person IoU %"),
    ("boundary_F", "boundary F %"),
    ("delta_mIoU", "Δ mIoU"),
    ("latency_ms", "CPU ms"),
    ("photo_ms", "photo ms"),
]


def table_rows(result: dict) -> list[dict]:
    """One row per model, numbers in the units people read: percent, points, megabytes, milliseconds."""

    def percent(value):
        return None if value is None else 100.0 * value

    rows = []
    for model in result["models"]:
        metrics = model["metrics"]
        rows.append(
            {
                "name": model["name"],
                "format": model["format"],
                "size_mb": model["size_bytes"] / 1e6 if model["size_bytes"] else None,
                "mIoU": percent(metrics["mIoU"]),
                "person_IoU": percent(metrics["person_IoU"]),
                "boundary_F": percent(metrics["boundary_F"]),
                "delta_mIoU": percent(model["delta_mIoU"]),
                "latency_ms": model["latency_ms"]["forward_median"],
                # The whole photo: resizes, test-time augmentation and refinement around the forward pass.
                "photo_ms": model["latency_ms"].get("image_median"),
            }
        )
    return rows


def _cell(key: str, value) -> str:
    if value is None:
        return "-"
    if key == "delta_mIoU":
        return f"{value:+.2f}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def render_table(result: dict) -> str:
    """The evaluation as a plain-text table, a row per model."""
    return text_table(
        [heading for _, heading in TABLE_COLUMNS],
        [[_cell(key, row.get(key)) for key, _ in TABLE_COLUMNS] for row in table_rows(result)],
    )


def _notes(result: dict) -> list[str]:
    dataset, settings = result["dataset"], result["settings"]
    notes = [
        f"{dataset['name']}: {dataset['images']} images, classes {', '.join(dataset['class_names'])}.",
        f"Metrics at each image's own resolution; {settings['resize']}.",
        f"Scales {', '.join(f'{s:g}' for s in settings['scales'])}, flip {'on' if settings['flip'] else 'off'}, "
        f"{_refinement(settings)}; "
        f"boundary F tolerance {settings['boundary_tolerance_of_diagonal'] * 100:g} % of the image diagonal.",
        f"Δ mIoU in points against {result['reference']}."
        if result["reference"]
        else "Δ mIoU: no float model of ours among the models, so no reference.",
        f"CPU ms: {settings['latency']} ({result['host']['processor']}); photo ms: the whole photo, "
        f"resizes, scales, flips and refinement included.",
    ]
    return notes


def _refinement(settings: dict) -> str:
    crf = settings.get("crf")
    if settings.get("refine", "none") != "crf" or not crf:
        return "no refinement"
    return "dense CRF refinement (" + ", ".join(f"{key} {value:g}" for key, value in crf.items()) + ")"


def render_markdown(result: dict) -> str:
    """The evaluation as Markdown: the models table, its notes, per-class IoU and the other metrics.

    Args:
        result: the evaluation's plain-JSON result (Evaluation.result).
    """
    classes = result["dataset"]["class_names"]
    lines = [
        "# Evaluation",
        "",
        markdown_table(
            [h for _, h in TABLE_COLUMNS],
            [[_cell(k, row.get(k)) for k, _ in TABLE_COLUMNS] for row in table_rows(result)],
        ),
    ]
    lines += [""] + [f"- {note}" for note in _notes(result)]
    lines += [
        "",
        "## Per class IoU %",
        "",
        markdown_table(
            ["model", *classes],
            [
                [
                    model["name"],
                    *(
                        _cell(
                            "",
                            None
                            if model["metrics"]["per_class_IoU"][c] is None
                            else 100 * model["metrics"]["per_class_IoU"][c],
                        )
                        for c in classes
                    ),
                ]
                for model in result["models"]
            ],
        ),
    ]
    other = ("pixel_accuracy", "fw_IoU", "person_boundary_F")
    lines += [
        "",
        "## Other metrics %",
        "",
        markdown_table(
            ["model", "pixel accuracy", "frequency-weighted IoU", "person boundary F", "image ms (median)"],
            [
                [
                    model["name"],
                    *(_cell("", None if model["metrics"][k] is None else 100 * model["metrics"][k]) for k in other),
                    _cell("", model["latency_ms"]["image_median"]),
                ]
                for model in result["models"]
            ],
        ),
    ]
    return "\n".join(lines) + "\n"


def score_caption(image_id: str, score: float, score_name: str, without_person=()) -> str:
    """'photo_3: person IoU 81.2 %', and for a photo with nobody in it the reason its score is 0 %."""
    caption = f"{image_id}: {score_name} {score * 100:.1f} %"
    if image_id in without_person and score_name == "person IoU":
        caption += " (no person in this photo: every red pixel is a false positive)"
    return caption


def render_html(result: dict, overlays: dict) -> str:
    """The evaluation as one self-contained HTML page: the models table, its notes, and each model's best and
    worst images.

    Args:
        result: the evaluation's plain-JSON result (Evaluation.result).
        overlays: model name -> {"best"|"worst": [(image id, score, JPEG bytes)]} (Evaluation.overlays).
    """
    escape = html.escape
    rows = table_rows(result)
    head = "".join(f"<th>{escape(h)}</th>" for _, h in TABLE_COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_cell(k, row.get(k)))}</td>" for k, _ in TABLE_COLUMNS) + "</tr>" for row in rows
    )
    score_name = result["settings"]["per_image_score"]
    without_person = set(result["dataset"].get("images_without_person", ()))
    sections = []
    for model in result["models"]:
        kept = overlays.get(model["name"], {})
        for which in ("best", "worst"):
            figures = "".join(
                f'<figure><img alt="{escape(str(image_id))}" src="data:image/jpeg;base64,'
                f'{base64.b64encode(jpeg).decode()}"><figcaption>'
                f"{escape(score_caption(str(image_id), score, score_name, without_person))}</figcaption></figure>"
                for image_id, score, jpeg in kept.get(which, [])
            )
            if figures:
                sections.append(
                    f"<h3>{escape(model['name'])} ({escape(model['format'])}): {which} images</h3>"
                    f"<div class=row>{figures}</div>"
                )
    notes = "".join(f"<li>{escape(n)}</li>" for n in _notes(result))
    style = (
        "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
        "td,th{border:1px solid #bbb;padding:4px 8px;text-align:right}td:first-child,th:first-child,"
        "td:nth-child(2){text-align:left}.row{display:flex;flex-wrap:wrap;gap:12px}"
        "figure{margin:0}figcaption{font-size:12px}"
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset=utf-8><title>edge-deeplab evaluation</title>"
        f"<style>{style}</style></head><body><h1>Evaluation</h1><table><tr>{head}</tr>{body}</table>"
        f"<ul>{notes}</ul><h2>Best and worst images</h2><p>{escape(LEGEND)}</p>{''.join(sections)}"
        f"</body></html>\n"
    )


def overlay_jpeg(rgb: np.ndarray, truth: np.ndarray, prediction: np.ndarray, max_side: int = OVERLAY_MAX_SIDE) -> bytes:
    """The photo with the prediction's errors painted on, as JPEG bytes, at most `max_side` pixels."""
    import cv2

    valid = truth != IGNORE_LABEL
    colours = np.zeros(rgb.shape, dtype=np.float32)
    paint = np.zeros(truth.shape, dtype=bool)
    for where, colour in (
        (valid & (prediction == truth) & (truth != 0), CORRECT),
        (valid & (prediction != truth) & (prediction != 0), WRONG),
        (valid & (prediction != truth) & (prediction == 0), MISSED),
        (~valid, IGNORED),
    ):
        colours[where] = colour
        paint |= where
    blended = rgb.astype(np.float32)
    blended[paint] = 0.45 * blended[paint] + 0.55 * colours[paint]
    return _jpeg(blended.astype(np.uint8), max_side, cv2.INTER_AREA, quality=85)


def difference_jpeg(
    rgb: np.ndarray, reference: np.ndarray, prediction: np.ndarray, max_side: int = OVERLAY_MAX_SIDE
) -> bytes:
    """The photo, dimmed where two models agree and painted where their labels differ (DIFFERENCE_LEGEND)."""
    import cv2

    blended = rgb.astype(np.float32) * 0.6
    for where, colour in (
        ((prediction != 0) & (reference == 0), ADDED),
        ((prediction == 0) & (reference != 0), DROPPED),
        ((prediction != 0) & (reference != 0) & (prediction != reference), SWAPPED),
    ):
        blended[where] = colour
    # Nearest: a thin band of changed pixels must stay visible, not be averaged away.
    return _jpeg(blended.astype(np.uint8), max_side, cv2.INTER_NEAREST, quality=90)


def _jpeg(rgb: np.ndarray, max_side: int, interpolation: int, quality: int) -> bytes:
    """An RGB image as JPEG bytes, shrunk (never enlarged) to at most max_side pixels a side."""
    import cv2

    scale = max_side / max(rgb.shape[:2])
    if scale < 1:
        size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
        rgb = cv2.resize(rgb, size, interpolation=interpolation)
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok, "OpenCV failed to encode a JPEG"
    return encoded.tobytes()


def write_reports(evaluation, out_dir, stem: str = "evaluation") -> dict:
    """evaluation.json, .md and .html in `out_dir`; returns their paths by format."""
    out_dir = Path(out_dir)
    texts = {
        "json": json.dumps(evaluation.result, indent=2) + "\n",
        "md": render_markdown(evaluation.result),
        "html": render_html(evaluation.result, evaluation.overlays),
    }
    return {kind: write_text(out_dir / f"{stem}.{kind}", text) for kind, text in texts.items()}

"""Held-out real photos in the main job: does the model the pipeline made segment real people?

The pipeline's own val split may be synthetic scenes (the embedded default) or the user's data; either
way it says nothing of photos the model never trained or was selected on. Where shared/ holds them
(edge_deeplab.shared.EVALUATION_SETS: eg1800 test, ccp-person val, coco-people), the starting model,
the trained float model and its integer exports are scored on each set, at each photo's own
resolution, and a verdict asks every integer export for `min_person_iou` on every set.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional

from edge_deeplab.converters.formats import FORMATS
from edge_deeplab.pipeline.results import Candidate, StageResult

#: The sets the verdict asks: main subjects, as a portrait mode segments them. coco-people (every
#: person of everyday scenes, many small) is scored and shown, not gated: preset:person scores 0.70 there.
GATED_SETS = ("eg1800 test", "ccp-person val")
#: The formats the phone runs: the verdict is theirs (float exports match the Keras model).
INTEGER_FORMATS = tuple(f.name for f in FORMATS if f.integer)
START = "starting model"


@dataclasses.dataclass(frozen=True)
class RealEvaluated(StageResult):
    """The real-photo stage's result.

    Args:
        seconds: how long the stage took when it ran.
        sets: set name -> its evaluation JSON file.
    """

    sets: dict = dataclasses.field(default_factory=dict)  # set name -> its evaluation JSON

    def files(self) -> list:
        return list(self.sets.values())


def real_candidates(init_from: Optional[str], float_model: Path, tflites: dict) -> tuple:
    """The models scored on real photos: where training started, what it made, and the integer exports."""
    start = (Candidate(START, str(init_from), str(init_from)),) if init_from else ()
    return (
        start
        + (Candidate("keras", str(float_model), str(float_model)),)
        + tuple(Candidate(fmt, str(path), str(path)) for fmt, path in tflites.items() if fmt in INTEGER_FORMATS)
    )


def evaluate_real(out_dir: Path, sets: dict, candidates: tuple, progress: bool) -> RealEvaluated:
    """Score the candidates on each set of held-out real photos, one evaluation JSON per set in `out_dir`.

    Args:
        out_dir: where the JSON files go.
        sets: set name -> (its folder, its split), as shared.evaluation_sets gives them.
        candidates: the models to score (real_candidates).
        progress: show progress bars.

    Returns:
        The RealEvaluated.
    """
    from edge_deeplab.evaluate import evaluate
    from edge_deeplab.evaluate.evaluator import EvalConfig
    from edge_deeplab.io import write_json

    written = {}
    for name, (folder, split) in sets.items():
        evaluation = evaluate([c.spec for c in candidates], folder, split, EvalConfig(overlays=0), progress=progress)
        result = dict(evaluation.result, candidates=[dataclasses.asdict(c) for c in candidates])
        written[name] = str(write_json(out_dir / f"{name.replace(' ', '_')}.json", result))
    return RealEvaluated(sets=written)


def real_rows(real: Optional[RealEvaluated]) -> dict:
    """set name -> [{model, mIoU, person_IoU, boundary_F}] in the candidates' order, names as in the report."""
    from edge_deeplab.settings import read_json_object

    rows = {}
    for name, path in ((real.sets if real else {}) or {}).items():
        result = read_json_object(
            path, "real-photo evaluation", "an evaluation's results", fix="run the pipeline again"
        )
        names = {str(Path(c["path"])): c["name"] for c in result["candidates"]}
        rows[name] = [
            {
                "model": names.get(str(Path(m.get("path") or "")), m["name"]),
                **{k: m["metrics"].get(k) for k in ("mIoU", "person_IoU", "boundary_F")},
            }
            for m in result["models"]
        ]
    return rows


def real_verdict(rows: dict, min_person_iou: float) -> dict:
    """PASS when every integer export reaches min_person_iou on every GATED_SETS set here; NOT MEASURED
    without them."""
    gate = f"segments real people: person IoU >= {min_person_iou:g} on held-out real photos ({', '.join(GATED_SETS)})"
    rows = {name: set_rows for name, set_rows in rows.items() if name in GATED_SETS}
    if not rows:
        return {
            "gate": gate,
            "status": "NOT MEASURED",
            "detail": "no held-out real photos here (shared/data/eg1800, shared/data/ccp-person; "
            "$EDGE_DEEPLAB_SHARED points elsewhere)",
        }
    scores = [
        (name, row["model"], row["person_IoU"])
        for name, set_rows in rows.items()
        for row in set_rows
        if row["model"] in INTEGER_FORMATS
    ]
    low = [f"{model} {iou:.3f} on {name}" for name, model, iou in scores if iou is None or iou < min_person_iou]
    detail = "; ".join(f"{model} {iou:.3f} on {name}" for name, model, iou in scores)
    return {
        "gate": gate,
        "status": "FAIL" if low or not scores else "PASS",
        "detail": f"below: {'; '.join(low)}" if low else detail or "no integer export was scored",
    }


def real_table(rows: dict) -> Optional[tuple]:
    """The report's table (title, header, rows, note): one row per model, person IoU / boundary F per set."""
    if not rows:
        return None
    names = list(rows)
    models = list(dict.fromkeys(r["model"] for set_rows in rows.values() for r in set_rows))

    def cell(name, model):
        row = next((r for r in rows[name] if r["model"] == model), None)
        if row is None or row["person_IoU"] is None:
            return "-"
        boundary = "-" if row["boundary_F"] is None else f"{row['boundary_F']:.3f}"
        return f"{row['person_IoU'] * 100:.2f} / {boundary}"

    return (
        "Real photos (held out: never trained or selected on)",
        ["model"] + [f"{name}: person IoU % / boundary F" for name in names],
        [[model] + [cell(name, model) for name in names] for model in models],
        (f"'{START}' is where training began; " if START in models else "")
        + f"each photo at its own resolution; the verdict asks every integer export for the person IoU limit "
        f"on {' and '.join(GATED_SETS)}.",
    )

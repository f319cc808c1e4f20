"""Multi-scale and flipped inputs at test time (DeepLab v2/v3's eval_scales and add_flipped_images) on
preset:person and the peers, on every evaluation set in ../shared/data.

    python benchmarks/multiscale.py [--models preset:person,peer:mediapipe-selfie] [--limit N]

Each model, each set, three settings through `edge_deeplab.evaluate.evaluate` (what `edge-deeplab
evaluate --scales S --flip` runs): one pass; the left-right flip averaged in; scales 0.75, 1, 1.25 and
their flips averaged (six passes, the papers' strongest setting cut to what a phone-sized model can
afford). A scale below 1 pads the model input, above 1 slides the model over the larger photo (see
edge_deeplab/evaluate/inference.py). mIoU, person IoU, boundary F (band 0.75 % of the diagonal) pooled at
each photo's own resolution; ms = median time per photo on this 2-core CPU, which other work may share.

Writes benchmarks/results/multiscale.json and .md and prints the table.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import edge_deeplab  # noqa: F401  (TF_USE_LEGACY_KERAS before anything imports TensorFlow)
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.evaluate import evaluate
from edge_deeplab.evaluate.evaluator import EvalConfig
from edge_deeplab.io import write_text
from edge_deeplab.shared import evaluation_sets

RESULTS = Path(__file__).resolve().parent / "results"
MODELS = ("preset:person", "peer:mediapipe-selfie", "peer:deeplabv3-voc")
SETTINGS = (
    ("one pass", EvalConfig(overlays=0)),
    ("flip", EvalConfig(flip=True, overlays=0)),
    ("scales 0.75,1,1.25 + flip", EvalConfig(scales=(0.75, 1.0, 1.25), flip=True, overlays=0)),
)


def measure(models, limit) -> list:
    sets = evaluation_sets()
    if not sets:
        raise EdgeDeeplabError("../shared/data not found; this benchmark reads the shared evaluation sets")
    rows = []
    for name, (folder, split) in sets.items():
        for label, config in SETTINGS:
            if limit is not None:
                config = dataclasses.replace(config, limit=limit)
            result = evaluate(models, folder, split, config=config, progress=False).result
            for model in result["models"]:
                m = model["metrics"]
                rows.append(
                    {
                        "set": name,
                        "photos": result["dataset"]["images"],
                        "model": model["name"],
                        "setting": label,
                        "mIoU": m["mIoU"],
                        "person_IoU": m["person_IoU"],
                        "boundary_F": m["person_boundary_F"],
                        "ms_per_photo": model["latency_ms"]["image_median"],
                    }
                )
                print(
                    f"  {name} | {model['name']} | {label}: mIoU {100 * m['mIoU']:.2f}, person IoU "
                    f"{100 * m['person_IoU']:.2f}, boundary F {100 * m['person_boundary_F']:.2f}",
                    flush=True,
                )
    return rows


def render_markdown(rows: list) -> str:
    lines = [
        "# Multi-scale and flipped inputs at test time (DeepLab v2/v3)",
        "",
        "Probabilities averaged over the passes; pooled over each set at the photos' own resolution; "
        "boundary F within 0.75 % of the diagonal; ms = median per photo (resize, passes, softmax) on a "
        "2-core CPU shared with other work.",
        "",
        "| set | model | setting | mIoU % | person IoU % | boundary F % | ms per photo |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['set']} ({r['photos']}) | {r['model']} | {r['setting']} | {100 * r['mIoU']:.2f} | "
            f"{100 * r['person_IoU']:.2f} | {100 * r['boundary_F']:.2f} | {r['ms_per_photo']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated models (preset:, peer:, paths)")
    parser.add_argument("--limit", type=int, help="only the first N photos of each set (a quick look)")
    parser.add_argument("--output", default=str(RESULTS / "multiscale"), help="path stem of the .json and .md")
    args = parser.parse_args(argv)
    try:
        rows = measure([m for m in args.models.split(",") if m], args.limit)
    except EdgeDeeplabError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    markdown = render_markdown(rows)
    write_text(Path(args.output + ".json"), json.dumps({"rows": rows, "limit_per_set": args.limit}, indent=2) + "\n")
    write_text(Path(args.output + ".md"), markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Dense CRF refinement (DeepLab v1/v2) of preset:person's probabilities: its defaults chosen on
validation photos, then what it buys on three sets, with and without it.

    python benchmarks/crf.py search  [--limit 50]   # eg1800 val + ccp-person val only, never test
    python benchmarks/crf.py measure [--limit N]    # CRFConfig's defaults: eg1800 test, ccp-person val,
                                                    # coco-people
    python benchmarks/crf.py measure --model peer:mediapipe-selfie --output benchmarks/results/crf_mediapipe
                                                    # the same defaults on a peer's probabilities

search: a small coordinate search (CPU is shared; about half a second per photo and setting) from
the untuned setting of issue 24 (5 iterations, Gaussian sxy 3 / compat 3, bilateral sxy 50 / srgb 10 /
compat 5): first sigma_beta (bilateral_srgb), then sigma_alpha (bilateral_sxy), then w1
(bilateral_compat), each keeping the best so far; the smoothness kernel stays at DeepLab's 3 / 3.
A setting's score is the mean over both validation sets of (person IoU + boundary F) / 2, so the
edges may not improve at the region's expense. The model runs once per photo; every setting refines
the same probabilities.

measure: each photo's probabilities once, scored as they are and after the CRF with CRFConfig's
defaults (the values the search chose). Time per photo: the model's whole photo (resizes, forward,
softmax) and the CRF's time on top, medians; the machine may be busy, so they are a rough guide.

Writes benchmarks/results/crf.json (search and measure sections; each run replaces its own) and
crf.md, and prints the tables.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

import edge_deeplab  # noqa: F401  (TF_USE_LEGACY_KERAS before anything imports TensorFlow)
from edge_deeplab.contract import person_class_of
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.evaluate import mapping as class_map
from edge_deeplab.evaluate import open_eval_dataset
from edge_deeplab.evaluate.inference import predict_probabilities
from edge_deeplab.refine import CRFConfig, dense_crf
from edge_deeplab.evaluate.runners import open_runner
from edge_deeplab.io import write_text
from edge_deeplab.metrics import SegmentationMetrics
from edge_deeplab.shared import shared_dir

RESULTS = Path(__file__).resolve().parent / "results"
MODEL = "preset:person"
SEARCH_SETS = (("eg1800", "val"), ("ccp-person", "val"))
MEASURE_SETS = (("eg1800", "test"), ("ccp-person", "val"), ("coco-people", "val"))
START = CRFConfig(
    iterations=5, gaussian_sxy=3, gaussian_compat=3, bilateral_sxy=50, bilateral_srgb=10, bilateral_compat=5
)
SEARCH_STEPS = (
    ("bilateral_srgb", (5, 10, 20)),
    ("bilateral_sxy", (20, 30, 50, 80)),
    ("bilateral_compat", (3, 5, 8, 12)),
)


class Scores:
    """One model's metrics on one set, with or without the CRF, and its time per photo."""

    def __init__(self, class_names):
        self.class_names = tuple(class_names)
        self.metrics = SegmentationMetrics(self.class_names)
        self.ms = []

    def add(self, truth, probabilities, mapping, ms):
        self.metrics.add(truth, class_map.map_labels(np.argmax(probabilities, axis=-1), mapping))
        self.ms.append(ms)

    def summary(self) -> dict:
        numbers = self.metrics.summary(person_class_of(self.class_names))
        return {
            "mIoU": numbers["mIoU"],
            "person_IoU": numbers["person_IoU"],
            "boundary_F": numbers["person_boundary_F"],
            "ms_per_photo": float(np.median(self.ms)),
        }


def photos(runner, name, split, limit):
    """(truth, rgb, probabilities, model ms, mapping, class names) per photo: the model runs once."""
    dataset = open_eval_dataset(_data(name), split)
    mapping = class_map.class_mapping(runner.contract.labels, tuple(dataset.class_names), runner.name)
    for index, sample in enumerate(dataset):
        if limit is not None and index >= limit:
            break
        rgb = np.ascontiguousarray(sample.image)
        start = time.perf_counter()
        probabilities = predict_probabilities(runner, rgb)
        yield (
            np.asarray(sample.mask),
            rgb,
            probabilities,
            (time.perf_counter() - start) * 1000.0,
            mapping,
            tuple(dataset.class_names),
        )


def search(runner, limit) -> dict:
    cached = {f"{name} {split}": list(photos(runner, name, split, limit)) for name, split in SEARCH_SETS}
    tried = {}

    def score(config: CRFConfig) -> float:
        key = json.dumps(config.to_dict(), sort_keys=True)
        if key not in tried:
            per_set = {}
            for set_name, items in cached.items():
                scores = Scores(items[0][5])
                for truth, rgb, probabilities, model_ms, mapping, _ in items:
                    start = time.perf_counter()
                    refined = dense_crf(rgb, probabilities, config)
                    scores.add(truth, refined, mapping, (time.perf_counter() - start) * 1000.0)
                per_set[set_name] = scores.summary()
            value = float(np.mean([(s["person_IoU"] + s["boundary_F"]) / 2 for s in per_set.values()]))
            tried[key] = {"config": config.to_dict(), "score": value, "sets": per_set}
            print(
                f"  {_short(config)}: score {value:.4f}  "
                + "  ".join(f"{n} IoU {s['person_IoU']:.4f} BF {s['boundary_F']:.4f}" for n, s in per_set.items()),
                flush=True,
            )
        return tried[key]["score"]

    baseline = {}
    for set_name, items in cached.items():
        scores = Scores(items[0][5])
        for truth, _, probabilities, model_ms, mapping, _ in items:
            scores.add(truth, probabilities, mapping, model_ms)
        baseline[set_name] = scores.summary()
    print(
        "no CRF: " + "  ".join(f"{n} IoU {s['person_IoU']:.4f} BF {s['boundary_F']:.4f}" for n, s in baseline.items()),
        flush=True,
    )
    best = START
    for field, values in SEARCH_STEPS:
        best = max((best.replace(**{field: v}) for v in values), key=score)
    return {
        "model": MODEL,
        "sets": {n: len(items) for n, items in cached.items()},
        "limit_per_set": limit,
        "objective": "mean over the sets of (person IoU + boundary F) / 2",
        "no_crf": baseline,
        "tried": list(tried.values()),
        "best": best.to_dict(),
    }


def measure(runner, limit, model: str = MODEL) -> dict:
    config = CRFConfig()
    rows = []
    for name, split in MEASURE_SETS:
        plain = refined = None
        crf_ms = []
        for truth, rgb, probabilities, model_ms, mapping, class_names in photos(runner, name, split, limit):
            if plain is None:
                plain, refined = Scores(class_names), Scores(class_names)
            start = time.perf_counter()
            better = dense_crf(rgb, probabilities, config)
            crf_ms.append((time.perf_counter() - start) * 1000.0)
            plain.add(truth, probabilities, mapping, model_ms)
            refined.add(truth, better, mapping, model_ms + crf_ms[-1])
        print(f"  {name} {split}: {len(crf_ms)} photos", flush=True)
        rows.append(
            {
                "set": f"{name} {split}",
                "photos": len(crf_ms),
                "no_crf": plain.summary(),
                "crf": refined.summary(),
                "crf_only_ms": float(np.median(crf_ms)),
            }
        )
    return {"model": model, "crf": config.to_dict(), "limit_per_set": limit, "rows": rows}


def render_markdown(document: dict) -> str:
    measured = document.get("measure")
    model = (measured or document.get("search") or {}).get("model", MODEL)
    lines = [f"# Dense CRF refinement (DeepLab v1/v2) of {model}" + (" (int8)" if model == MODEL else ""), ""]
    if measured:
        lines += [
            f"CRF: {_short(CRFConfig(**measured['crf']))}. Person IoU and boundary F (band 0.75 % of the "
            "diagonal) pooled over each set at the photos' own resolution; ms = median per photo on this "
            "2-core CPU while other work ran (model: resize, forward, softmax; CRF on top).",
            "",
            "| set | photos | mIoU % | person IoU % | boundary F % | ms per photo | "
            "mIoU % CRF | person IoU % CRF | boundary F % CRF | ms per photo CRF |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in measured["rows"]:
            a, b = row["no_crf"], row["crf"]
            lines.append(
                f"| {row['set']} | {row['photos']} | "
                + " | ".join(
                    f"{100 * s['mIoU']:.2f} | {100 * s['person_IoU']:.2f} | {100 * s['boundary_F']:.2f} | "
                    f"{s['ms_per_photo']:.0f}"
                    for s in (a, b)
                )
                + " |"
            )
        lines.append("")
    searched = document.get("search")
    if searched:
        lines += [
            "## Search (validation only: "
            + ", ".join(f"{n}, first {c} photos" for n, c in searched["sets"].items())
            + ")",
            "",
            f"Score: {searched['objective']}. No CRF: "
            + "; ".join(
                f"{n} person IoU {100 * s['person_IoU']:.2f} %, boundary F {100 * s['boundary_F']:.2f} %"
                for n, s in searched["no_crf"].items()
            )
            + ".",
            "",
            "| setting | score | " + " | ".join(f"{n} IoU % | {n} BF %" for n in searched["sets"]) + " |",
            "|---|---|" + "---|---|" * len(searched["sets"]),
        ]
        for entry in searched["tried"]:
            lines.append(
                f"| {_short(CRFConfig(**entry['config']))} | {100 * entry['score']:.2f} | "
                + " | ".join(
                    f"{100 * s['person_IoU']:.2f} | {100 * s['boundary_F']:.2f}" for s in entry["sets"].values()
                )
                + " |"
            )
        lines += ["", f"Chosen: {_short(CRFConfig(**searched['best']))}.", ""]
    return "\n".join(lines)


def _short(config: CRFConfig) -> str:
    return (
        f"{config.iterations} it, Gaussian sxy {config.gaussian_sxy:g} / compat {config.gaussian_compat:g}, "
        f"bilateral sxy {config.bilateral_sxy:g} / srgb {config.bilateral_srgb:g} / "
        f"compat {config.bilateral_compat:g}"
    )


def _data(name: str) -> Path:
    root = shared_dir()
    if root is None or not (root / "data" / name).is_dir():
        raise EdgeDeeplabError(f"../shared/data/{name} not found; this benchmark reads the shared data sets")
    return root / "data" / name


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=("search", "measure"))
    parser.add_argument("--limit", type=int, help="only the first N photos of each set (search: default 50)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--model",
        default=MODEL,
        help="measure: the model whose probabilities are refined (preset:NAME, peer:NAME, a .tflite or a model folder)",
    )
    parser.add_argument("--output", default=str(RESULTS / "crf"), help="path stem of the .json and .md")
    args = parser.parse_args(argv)
    stem = Path(args.output)
    try:
        runner = open_runner(args.model if args.stage == "measure" else MODEL, args.threads)
        if args.stage == "search":
            section = search(runner, args.limit or 50)
        else:
            section = measure(runner, args.limit, args.model)
    except EdgeDeeplabError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    path = stem.with_suffix(".json")
    document = json.loads(path.read_text()) if path.is_file() else {}
    document[args.stage] = section
    write_text(path, json.dumps(document, indent=2) + "\n")
    markdown = render_markdown(document)
    write_text(stem.with_suffix(".md"), markdown)
    print(markdown)
    print(f"results: {path}  {stem.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Accuracy of the two peers (and optionally our models) on ccp-person val, in one run.

    python benchmarks/eval_peers.py [MODEL ...] [--data DIR] [--split val] [--flip] [--scales 1]

Peers (../shared/peers, see its README): Google's DeepLab v3 MobileNet-v2 0.5 at 257, PASCAL VOC,
scored as person = (argmax == 15); MediaPipe's selfie segmentation at 256, person = probability > 0.5.
MODEL: further models to put in the same table (our exported .tflite files, saved Keras models);
the same as `edge-deeplab evaluate --data DIR MODEL ... --peers`.

Writes benchmarks/results/eval_peers.json (full result: per-class IoU, boundary F, confusion
matrices, latency, per-image person IoU) and eval_peers.md (the table). The HTML page with
overlays is not written here: it embeds dataset photos, which must not be redistributed with the
product (ccp-person README); `edge-deeplab evaluate` writes it under reports/.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import edge_deeplab  # noqa: F401  (TF_USE_LEGACY_KERAS and friends before anything else)
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.evaluate import evaluate
from edge_deeplab.evaluate.evaluator import EvalConfig
from edge_deeplab.peers import PEER_PREFIX, PEERS
from edge_deeplab.evaluate.report import render_markdown, render_table
from edge_deeplab.io import write_text
from edge_deeplab.shared import shared_dir

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="further models (.tflite, saved Keras) to evaluate")
    parser.add_argument("--data", help="dataset folder (default: ../shared/data/ccp-person)")
    parser.add_argument("--split", default="val")
    parser.add_argument("--scales", default="1", help="test-time scales, e.g. 0.75,1,1.25")
    parser.add_argument("--flip", action="store_true", help="also average the left-right flipped image")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", default=str(RESULTS / "eval_peers"), help="path stem of the .json and .md")
    args = parser.parse_args(argv)
    try:
        data = args.data or _default_data()
        config = EvalConfig(scales=tuple(float(s) for s in args.scales.split(",")), flip=args.flip)
        evaluation = evaluate(
            list(args.models) + [PEER_PREFIX + name for name in PEERS],
            data,
            split=args.split,
            config=config,
            threads=args.threads,
        )
    except EdgeDeeplabError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    stem = Path(args.output)
    write_text(stem.with_suffix(".json"), json.dumps(evaluation.result, indent=2) + "\n")
    write_text(stem.with_suffix(".md"), render_markdown(evaluation.result))
    print(render_table(evaluation.result))
    print(f"results: {stem.with_suffix('.json')}  {stem.with_suffix('.md')}")
    return 0


def _default_data() -> Path:
    root = shared_dir()
    if root is None or not (root / "data" / "ccp-person").is_dir():
        raise EdgeDeeplabError("../shared/data/ccp-person not found; pass --data with a dataset folder")
    return root / "data" / "ccp-person"


if __name__ == "__main__":
    sys.exit(main())

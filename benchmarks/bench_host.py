"""Host benchmark of our exported models against the two peers, in one run, with ratios to the peers.

    python benchmarks/bench_host.py [MODEL_OR_GLOB ...] [--runs 50] [--threads 1,2]

Peers (../shared/peers, see its README): Google's DeepLab v3 MobileNet-v2 0.5 at 257 (input (x-127.5)/127.5,
21-class logits, person = 15) and MediaPipe's selfie segmentation at 256 (input x/255, person probability).
Our models carry their own contract (normalisation, output meaning) inside the .tflite.

Writes benchmarks/results/bench_host.json: the full host report (CPU model-only and end-to-end,
every thread count; LiteRT's GPU accelerator where an adapter exists, as a correctness path only)
plus, for each of our models, its latency over each peer's in the same configuration (< 1: ours is
faster). Numbers are this computer's CPU, not a phone's: use `edge-deeplab bench device` for those.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
from pathlib import Path

import edge_deeplab  # noqa: F401  (TF_USE_LEGACY_KERAS and friends before anything else)
from edge_deeplab.bench import host
from edge_deeplab.bench.rows import HOST_COLUMNS, host_rows
from edge_deeplab.bench.report import render_table
from edge_deeplab.io import write_json
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.shared import shared_dir

PEERS = {
    "deeplabv3-mnv2-dm05-voc/deeplabv3_257.tflite": {
        "mean": (127.5, 127.5, 127.5),
        "std": (127.5, 127.5, 127.5),
        "output_kind": "logits",
        "person_class": 15,
    },
    "mediapipe-selfie/selfie_segmentation.tflite": {
        "mean": (0.0, 0.0, 0.0),
        "std": (255.0, 255.0, 255.0),
        "output_kind": "person_alpha",
        "person_class": None,
    },
}


def expand(patterns: list[str]) -> list[Path]:
    paths = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if any(c in pattern for c in "*?[") else [pattern]
        if not matches:
            raise EdgeDeeplabError(
                f"{pattern}: matches no file; pass .tflite paths or globs written by `edge-deeplab export`"
            )
        paths += [Path(match) for match in matches]
    return paths


def ratios(report: dict, ours: list[str], peers: list[str]) -> list[dict]:
    """Our median latency over each peer's, per (backend, variant, mode) measured on both."""
    medians = {}
    for model in report["models"]:
        for row in model["results"]:
            if row.get("status") == "ok" and row["backend"] == "cpu":
                medians[(model["path"], row["variant"], row["mode"])] = row["stats"]["median_ms"]
    table = []
    for (path, variant, mode), latency in sorted(medians.items()):
        if path not in ours:
            continue
        for peer in peers:
            peer_latency = medians.get((peer, variant, mode))
            if peer_latency:
                table.append(
                    {
                        "model": Path(path).name,
                        "peer": Path(peer).name,
                        "variant": variant,
                        "mode": mode,
                        "ours_ms": round(latency, 3),
                        "peer_ms": round(peer_latency, 3),
                        "ours_over_peer_latency": round(latency / peer_latency, 3),
                    }
                )
    return table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="our exported .tflite models (paths or globs)")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--no-gpu", action="store_true", help="skip LiteRT's GPU accelerator")
    parser.add_argument("--gpu-runs", type=int, default=3)
    parser.add_argument("--image", help="JPEG for end-to-end runs (default: the DeepLab peer's golden input)")
    parser.add_argument("--output", default=str(Path(__file__).resolve().parent / "results" / "bench_host.json"))
    args = parser.parse_args(argv)
    try:
        shared = shared_dir()
        if shared is None:
            raise EdgeDeeplabError("../shared is missing (or set EDGE_DEEPLAB_SHARED): the peers live there")
        peer_paths = [shared / "peers" / name for name in PEERS]
        ours = expand(args.models)
        image = args.image or str(shared / "peers" / "deeplabv3-mnv2-dm05-voc" / "golden_input.jpg")
        config = host.HostBenchConfig(
            runs=args.runs,
            warmup=args.warmup,
            threads=tuple(int(t) for t in args.threads.split(",")),
            gpu=not args.no_gpu,
            gpu_runs=args.gpu_runs,
            image=image,
        )
        load_before = os.getloadavg()
        report = host.benchmark_on_host(
            ours + peer_paths, config, {str(path): PEERS[name] for path, name in zip(peer_paths, PEERS)}
        )
        report["load_average_1_5_15_min"] = {"before": load_before, "after": os.getloadavg()}
        report["peers"] = [str(path) for path in peer_paths]
        report["ours"] = [str(path) for path in ours]
        report["ratios"] = ratios(report, report["ours"], report["peers"])
        report["note"] = (
            "CPU numbers of this computer (LiteRT interpreter, XNNPACK); GPU rows are LiteRT's GPU "
            "accelerator on a software driver: correctness, not phone FPS. "
            + ("No model of ours was given: peers only." if not ours else "")
        )
        write_json(args.output, report)
    except EdgeDeeplabError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    print(render_table(host_rows(report), HOST_COLUMNS))
    if report["ratios"]:
        print()
        print(
            render_table(
                report["ratios"],
                [
                    ("model", "ours"),
                    ("peer", "peer"),
                    ("variant", "variant"),
                    ("mode", "mode"),
                    ("ours_ms", "ours ms"),
                    ("peer_ms", "peer ms"),
                    ("ours_over_peer_latency", "ours/peer"),
                ],
            )
        )
    print(f"\nsaved {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

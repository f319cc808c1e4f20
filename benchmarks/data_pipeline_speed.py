"""Images/s of the training data pipeline alone (decode + augment + batch, no model), with each
augmentation option on by itself, and the 'world' preset, on ccp-person (where ../shared holds it)
mixed or not with the synthetic portraits.

    python benchmarks/data_pipeline_speed.py [--data PATH] [--images 96] [--batch-size 8]

Training on this 2-core CPU runs at about 5-9 images/s, so the pipeline must stay well above that.
Writes benchmarks/results/data_pipeline_speed.json. Shared-CPU numbers: other jobs may run alongside.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import edge_deeplab  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)

from edge_deeplab.train.config import AUGMENT_PRESETS, TrainConfig

RESULTS = Path(__file__).parent / "results" / "data_pipeline_speed.json"
WORLD = AUGMENT_PRESETS["world"]
CASES = {
    "default (DeepLab: scale 0.5-2, crop, flip, colour)": {},
    "min_scale 0.25": {"min_scale": 0.25},
    "edge_crop 1.0": {"edge_crop": 1.0},
    "copy_paste 3": {"copy_paste": 3},
    "copy_paste 3 + background 1.0 + edge blur 1": {
        "copy_paste": 3,
        "copy_paste_background": 1.0,
        "copy_paste_edge_blur": 1.0,
    },
    "color_jitter 2": {"color_jitter": 2.0},
    "blur 1.0": {"blur": 1.0},
    "noise 0.03": {"noise": 0.03},
    "jpeg 1.0": {"jpeg": 1.0},
    "world preset": WORLD,
}


def measure(dataset, config: TrainConfig, images: int, batch_size: int, size: int) -> float:
    from edge_deeplab.data.pipeline import training_dataset

    augmentation = config.augmentation((size, size))
    data = training_dataset(dataset, size, batch_size, seed=0, augmentation=augmentation).take(images // batch_size)
    next(iter(data))  # tracing and the first decodes are not throughput
    started = time.perf_counter()
    count = sum(int(x.shape[0]) for x, _ in data)
    return count / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        action="append",
        help="dataset spec(s) [ccp-person if ../shared has it, and ccp-person:weight=3 + synthetic:weight=1]",
    )
    parser.add_argument("--images", type=int, default=96)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--size", type=int, default=257)
    args = parser.parse_args()

    from edge_deeplab.data.mix import open_mix
    from edge_deeplab.shared import shared_dir

    if args.data:
        sources = {" + ".join(args.data): args.data}
    else:
        shared = shared_dir()
        ccp = str(shared / "data" / "ccp-person") if shared and (shared / "data" / "ccp-person").is_dir() else None
        sources = (
            {"ccp-person": [ccp], "ccp-person:weight=3 + synthetic:weight=1": [f"{ccp}:weight=3", "synthetic:weight=1"]}
            if ccp
            else {"synthetic": ["synthetic"]}
        )
    rows = []
    for name, specs in sources.items():
        dataset = open_mix(specs, "train", verify=False)
        cases = CASES if len(rows) == 0 else {k: CASES[k] for k in (next(iter(CASES)), "world preset")}
        for case, options in cases.items():
            rate = measure(dataset, TrainConfig(**options), args.images, args.batch_size, args.size)
            rows.append({"data": name, "augmentation": case, "options": options, "images_per_second": rate})
            print(f"{name:45s} {case:48s} {rate:7.1f} images/s", flush=True)
    result = {
        "rows": rows,
        "images": args.images,
        "batch_size": args.batch_size,
        "size": args.size,
        "cpu_count": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "note": "data pipeline only (decode, augment, batch); no model; shared CPU",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    temporary = RESULTS.with_name(f".{RESULTS.name}.tmp")
    temporary.write_text(json.dumps(result, indent=2))
    os.replace(temporary, RESULTS)
    print(f"saved {RESULTS}")


if __name__ == "__main__":
    main()

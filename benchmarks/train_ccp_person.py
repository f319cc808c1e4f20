"""Train DeepLab v3+ from the shared ImageNet backbone on ccp-person at 257 px, per width, and record
val person IoU and mIoU per epoch, wall time and training throughput.

    python benchmarks/train_ccp_person.py [--widths 1.0,0.5] [--epochs 12] [--runs DIR]

Long: run it in the background (nohup ... > train.log 2>&1 &). Each width trains into its own run
folder (default ../runs/ccp-person-w<width>, outside the checkout); a rerun resumes each run from its
last checkpoint, so killing it loses at most the current epoch's progress since the last checkpoint.
Writes benchmarks/results/train_ccp_person.json after every finished run.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import edge_deeplab  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
from edge_deeplab.model.config import DeepLabConfig
from edge_deeplab.shared import shared_dir
from edge_deeplab.train import TrainConfig, TrainSpec, train

RESULTS = Path(__file__).resolve().parent / "results" / "train_ccp_person.json"
TARGET_PERSON_IOU = 0.90


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", default="1.0,0.5")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--learning-rate", type=float, default=0.02)
    parser.add_argument("--loss", default="ce")
    parser.add_argument("--aspp-channels", type=int, default=256)
    parser.add_argument("--decoder-channels", type=int, default=256)
    parser.add_argument("--runs", default=str(Path(__file__).resolve().parents[2] / "runs"))
    args = parser.parse_args()
    shared = shared_dir()
    if shared is None:
        raise SystemExit("../shared is missing: this benchmark needs ccp-person and the ImageNet backbone")
    data = shared / "data" / "ccp-person"
    weights = shared / "weights" / "mobilenet_v2_1.0_imagenet160_no_top.h5"
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {"runs": {}}
    for width in (float(w) for w in args.widths.split(",")):
        name = f"ccp-person-w{width:g}" + (
            ""
            if (args.aspp_channels, args.decoder_channels) == (256, 256)
            else f"-aspp{args.aspp_channels}-dec{args.decoder_channels}"
        )
        output = Path(args.runs) / name
        model = DeepLabConfig(
            num_classes=2,
            input_size=(257, 257),
            depth_multiplier=width,
            aspp_channels=args.aspp_channels,
            decoder_channels=args.decoder_channels,
        )
        config = TrainConfig(
            epochs=args.epochs,
            batch_size=args.batch_size,
            learning_rate=args.learning_rate,
            loss=args.loss,
            warmup_epochs=1.0,
            checkpoint_every_steps=25,
        )
        resume = (output / "run.json").is_file()
        started = time.time()
        # ImageNet weights only exist for width 1.0 here; narrower backbones start from random weights
        # unless a file of their width is given (Keras' download needs the internet).
        backbone = weights if width == 1.0 else None
        spec = TrainSpec(data, None if resume else model, config, backbone_weights=None if resume else backbone)
        summary = train(spec, output, resume=resume, progress=False)
        epochs = summary["epochs"]
        best = max(epochs, key=lambda e: e["val_miou"])
        reached = [e for e in epochs if (e.get("val_person_iou") or 0) >= TARGET_PERSON_IOU]
        results["runs"][name] = {
            "model": model.to_dict(),
            "train": config.to_dict(),
            "run_folder": str(output),
            "backbone": str(backbone) if backbone else "random initialisation",
            "epochs": [
                {
                    k: e[k]
                    for k in (
                        "epoch",
                        "train_loss",
                        "val_miou",
                        "val_person_iou",
                        "train_seconds",
                        "images_per_second",
                        "val_seconds",
                        "learning_rate",
                    )
                }
                for e in epochs
            ],
            "best_epoch": best["epoch"],
            "best_val_miou": best["val_miou"],
            "best_val_person_iou": best.get("val_person_iou"),
            "train_wall_seconds": sum(e["train_seconds"] + e["val_seconds"] for e in epochs),
            "mean_images_per_second": sum(e["images_per_second"] for e in epochs) / len(epochs),
            "target_person_iou": TARGET_PERSON_IOU,
            "target_reached_at_epoch": reached[0]["epoch"] if reached else None,
            "this_invocation_seconds": time.time() - started,
        }
        results["machine"] = {"cpu": platform.processor() or platform.machine(), "cores": __import__("os").cpu_count()}
        results["note"] = (
            "val scores at the model input size (257x257, masks resized nearest); the evaluator "
            "scores at each photo's own resolution"
        )
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2))
        print(
            json.dumps(
                {
                    name: {
                        k: results["runs"][name][k]
                        for k in (
                            "best_epoch",
                            "best_val_miou",
                            "best_val_person_iou",
                            "train_wall_seconds",
                            "mean_images_per_second",
                            "target_reached_at_epoch",
                        )
                    }
                },
                indent=2,
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

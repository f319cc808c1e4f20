"""A measured sweep of the QAT recipe on the synthetic default pipeline (issue 14, item 2).

    python benchmarks/qat_sweep.py [--float-model DIR] [--work runs/qat-sweep] [--lrs 0.0005,0.002]
                                   [--freeze none,0.25] [--epochs 1,2] [--range-images 100] [--baseline]

Trains the pipeline's default float model once (edge_deeplab.pipeline.run.DEFAULT_MODEL/DEFAULT_TRAIN on
'synthetic'), or takes a trained one (--float-model, a saved model folder). Exports post-training int8
from it once, calibrated on the representative set the pipeline uses (100 train images, seed 0). Then,
for each learning rate x batch-norm freeze (none, or after that many epochs) x epochs, runs QAT from
the float model exactly as the pipeline's QAT stage does (QAT_DEFAULTS with those three changed, the
activation ranges initialised from the same representative set), exports qat-int8 from the QAT run's
best model and scores it with the evaluator on the val split, against float and post-training int8.
--baseline adds the recipe before this sweep (lr 0.002, 2 epochs, no freeze, tfmot's [-6, 6] ranges).

Prints the table; writes benchmarks/results/qat_sweep.{json,md}. Each finished configuration is kept in
--work (score.json beside its run), so an interrupted sweep continues where it stopped.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import time
from pathlib import Path

import edge_deeplab  # noqa: F401  (TF_USE_LEGACY_KERAS before anything imports TensorFlow)
from edge_deeplab.io import write_json, write_text

RESULTS = Path(__file__).resolve().parent / "results"
DATA = "synthetic"


def _floats(text):
    return [float(x) for x in text.split(",") if x.strip()]


def _freezes(text):
    return [None if x.strip() == "none" else float(x) for x in text.split(",") if x.strip()]


def _miou(path, log):
    from edge_deeplab.evaluate import evaluate
    from edge_deeplab.evaluate.evaluator import EvalConfig

    evaluation = evaluate([str(path)], DATA, "val", EvalConfig(overlays=0), progress=False)
    model = evaluation.result["models"][0]
    log(f"  {Path(path).name}: mIoU {model['metrics']['mIoU'] * 100:.2f}")
    return model["metrics"]["mIoU"], model["metrics"].get("person_IoU")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--float-model", help="A trained float model folder [train the pipeline's default].")
    parser.add_argument("--work", default="runs/qat-sweep")
    parser.add_argument("--lrs", type=_floats, default=[0.0005, 0.002])
    parser.add_argument(
        "--freeze",
        type=_freezes,
        default=[None, 0.25],
        help="Batch-norm freeze after N epochs, comma-separated; 'none' never freezes.",
    )
    parser.add_argument("--epochs", type=lambda t: [int(x) for x in t.split(",")], default=[1, 2])
    parser.add_argument("--range-images", type=int, default=100)
    parser.add_argument("--calibration-images", type=int, default=100)
    parser.add_argument("--baseline", action="store_true", help="Also run the recipe before this sweep.")
    parser.add_argument("--name", default="qat_sweep", help="Results file stem in benchmarks/results.")
    args = parser.parse_args(argv)

    from edge_deeplab.converters.export import export
    from edge_deeplab.pipeline.run import DEFAULT_MODEL, DEFAULT_TRAIN
    from edge_deeplab.train.config import QAT_DEFAULTS
    from edge_deeplab.train.loop import train
    from edge_deeplab.train.spec import TrainSpec

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    started = time.time()

    def log(line):
        print(f"[{time.time() - started:6.0f}s] {line}", flush=True)

    if args.float_model:
        float_model = Path(args.float_model)
    else:
        float_model = work / "float" / "best"
        if not float_model.is_dir():
            resume = (work / "float" / "run.json").is_file()
            log("training the default float model" + (" (resuming)" if resume else ""))
            train(
                TrainSpec(DATA, None if resume else DEFAULT_MODEL, None if resume else DEFAULT_TRAIN),
                work / "float",
                resume=resume,
                progress=False,
                log=lambda line: log("  " + line),
            )
    float_miou, float_person = _miou(float_model, log)

    ptq = work / "ptq" / "model_int8.tflite"
    if not ptq.is_file():
        export(
            float_model,
            work / "ptq",
            ["int8"],
            data=DATA,
            num_calibration=args.calibration_images,
            gpu_check=False,
            name="model",
            log=lambda line: log("  " + line),
        )
    ptq_miou, ptq_person = _miou(ptq, log)

    configs = [
        {
            "learning_rate": lr,
            "freeze_batch_norm_after_epochs": freeze,
            "epochs": epochs,
            "qat_range_images": args.range_images,
        }
        for lr in args.lrs
        for freeze in args.freeze
        for epochs in args.epochs
    ]
    if args.baseline:
        configs.append(
            {"learning_rate": 0.002, "freeze_batch_norm_after_epochs": None, "epochs": 2, "qat_range_images": 0}
        )
    rows = []
    for knobs in configs:
        freeze = knobs["freeze_batch_norm_after_epochs"]
        name = (
            f"lr{knobs['learning_rate']:g}_bn-{'never' if freeze is None else f'{freeze:g}ep'}_"
            f"ep{knobs['epochs']}_ranges{knobs['qat_range_images']}"
        )
        folder = work / name
        score_path = folder / "score.json"
        if score_path.is_file():
            row = json.loads(score_path.read_text())
            log(f"{name}: done before, QAT-int8 mIoU {row['qat_int8_miou'] * 100:.2f}")
            rows.append(row)
            continue
        shutil.rmtree(folder, ignore_errors=True)
        config = QAT_DEFAULTS.replace(checkpoint_every_steps=0, **knobs)
        log(f"{name}: QAT")
        qat_started = time.time()
        result = train(
            TrainSpec(DATA, None, config, init_from=float_model, qat=True),
            folder / "run",
            progress=False,
            log=lambda line: log("  " + line),
        )
        qat_seconds = time.time() - qat_started
        export(
            float_model,
            folder / "export",
            ["qat-int8"],
            qat_model_path=folder / "run" / "best",
            data=DATA,
            num_calibration=args.calibration_images,
            gpu_check=False,
            name="model",
            log=lambda line: log("  " + line),
        )
        qat_miou, qat_person = _miou(folder / "export" / "model_qat-int8.tflite", log)
        row = {
            "name": name,
            **knobs,
            "qat_seconds": qat_seconds,
            "qat_keras_val_miou": result["best_val_miou"],
            "best_epoch": max(result["epochs"], key=lambda e: e["val_miou"])["epoch"],
            "qat_int8_miou": qat_miou,
            "qat_int8_person_iou": qat_person,
            "loss_vs_float_points": (float_miou - qat_miou) * 100,
            "vs_ptq_points": (qat_miou - ptq_miou) * 100,
        }
        row["passes"] = row["loss_vs_float_points"] <= 0.3 and row["vs_ptq_points"] >= -0.1
        write_json(score_path, row)
        rows.append(row)

    document = {
        "data": DATA,
        "split": "val",
        "float_model": str(float_model),
        "float_miou": float_miou,
        "float_person_iou": float_person,
        "ptq_int8_miou": ptq_miou,
        "ptq_int8_person_iou": ptq_person,
        "ptq_loss_vs_float_points": (float_miou - ptq_miou) * 100,
        "calibration_images": args.calibration_images,
        "acceptance": "QAT-int8 loses <= 0.3 mIoU points vs float and is >= PTQ int8 - 0.1 points",
        "qat_base": {
            k: v
            for k, v in QAT_DEFAULTS.to_dict().items()
            if k in ("optimizer", "batch_size", "warmup_epochs", "poly_power", "momentum")
        },
        "host": {"machine": platform.machine(), "python": sys.version.split()[0]},
        "rows": rows,
        "seconds": time.time() - started,
    }
    RESULTS.mkdir(exist_ok=True)
    write_json(RESULTS / f"{args.name}.json", document)
    table = _table(document)
    write_text(RESULTS / f"{args.name}.md", table)
    print(table)


def _table(doc) -> str:
    lines = [
        f"# QAT sweep on {doc['data']} {doc['split']} (the pipeline's default model)",
        "",
        f"float mIoU {doc['float_miou'] * 100:.2f}; post-training int8 {doc['ptq_int8_miou'] * 100:.2f} "
        f"({-doc['ptq_loss_vs_float_points']:+.2f} vs float), calibrated on {doc['calibration_images']} "
        "representative train images; QAT ranges initialised from the same images unless ranges=0.",
        "",
        "| lr | BN freeze | epochs | ranges | QAT keras val mIoU (best ep) | QAT-int8 mIoU | vs float | vs PTQ "
        "| pass | QAT s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in doc["rows"]:
        after = r["freeze_batch_norm_after_epochs"]
        freeze = "never" if after is None else f"{after:g} ep"
        lines.append(
            f"| {r['learning_rate']:g} | {freeze} | {r['epochs']} | {r['qat_range_images']} | "
            f"{r['qat_keras_val_miou'] * 100:.2f} ({r['best_epoch']}) | {r['qat_int8_miou'] * 100:.2f} | "
            f"{-r['loss_vs_float_points']:+.2f} | {r['vs_ptq_points']:+.2f} | "
            f"{'yes' if r['passes'] else 'no'} | {r['qat_seconds']:.0f} |"
        )
    lines += ["", doc["acceptance"] + "."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

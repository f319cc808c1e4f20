"""preset:person: does it hold up on portraits and on everyday photos? One resumable run, every verdict.

    python benchmarks/generalize.py [--run runs/v2] [--epochs 8] [--skip-train] [--qat] [--ship]

Stages (each skipped when its output exists, so a killed run picks up where it stopped):
1. import Google's DeepLab v3 257 (COCO + VOC weights, ../shared/peers), background merged from every
   class but person (`edge-deeplab model import --classes background,person`);
2. relabel ccp-person's training masks with Coral's COCO + VOC model: bystanders it sees are ignored,
   not background (`edge-deeplab relabel`; ccp-person marks only the main subject);
3. train the recipe below from the import on eg1800 train + relabelled ccp-person train, distilling from
   Coral's and MediaPipe's TFLite models (`edge-deeplab train`, resumable: run it under nohup; a rerun
   resumes), model selection on eg1800 val + ccp-person val only;
4. export the best float model to fp32, fp16 and int8 (calibrated on the training mix, probabilities out),
   GPU gates on; with --qat also QAT on the same mix with the same teachers, exported as qat-int8;
5. evaluate the Keras float model and each export next to all three peers on eg1800 test, ccp-person
   val and coco-people (each photo at its own resolution, `edge-deeplab evaluate`): mIoU, person IoU,
   person boundary F;
6. the horse on Google's golden photo: the share of its pixels each model calls person;
7. host CPU latency (LiteRT, 2 threads, model only, median over rounds that alternate the models).

Writes benchmarks/results/generalize.{json,md} with a verdict per acceptance claim of issue 23, whether
it passes or not. eg1800 test is reported, never trained, calibrated or selected on.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import edge_deeplab  # noqa: F401  (TF_USE_LEGACY_KERAS before anything imports TensorFlow)
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.io import write_json, write_text
from edge_deeplab.shared import EVALUATION_SETS, shared_dir

RESULTS = Path(__file__).resolve().parent / "results"
GOOGLE = "peers/deeplabv3-mnv2-dm05-voc/deeplabv3_257.tflite"
CORAL = "peers/coral-deeplabv3-mnv2-voc/deeplabv3_mnv2_pascal_quant.tflite"
MEDIAPIPE = "peers/mediapipe-selfie/selfie_segmentation.tflite"
#: (folder under shared/, split) of each set scored; none of them is trained or selected on.
SETS = EVALUATION_SETS
TRAINING = ["eg1800", "ccp-relabelled"]
#: Published: PortraitNet (Zhang et al. 2019) on the EG1800 test list, 224 px.
PORTRAITNET_EG1800_MIOU = 96.6
#: The recipe: Google's COCO+VOC DeepLab v3 (backbone, ASPP and its 21-row head with background merged;
#: batch norm frozen: it is folded into biases) with a new v3+ decoder 64 wide whose logits are added to
#: the head's (--encoder-logits: a fresh head on the decoder called 95 % of the golden photo's horse a
#: person after two epochs), output stride 16, 321 px, trained on portraits (eg1800)
#: and street photos (ccp-person, bystanders ignored) with copy-paste of people onto other scenes
#: ('world'), distilling person-vs-everything-else from two TFLite teachers: Coral's width-1.0 COCO
#: model (everyday photos, bystanders, what is not a person) and MediaPipe's selfie model (portrait
#: edges). Each trade is recorded in benchmarks/results/generalize_experiments.md.
RECIPE = [
    "--output-stride",
    "16",
    "--decoder",
    "--decoder-channels",
    "64",
    "--encoder-logits",
    "--distill-from",
    "peer:coral-voc:weight=1.5",
    "--distill-from",
    "peer:mediapipe-selfie:weight=0.5",
    "--freeze-batch-norm",
    "--augment-preset",
    "world",
    "--optimizer",
    "sgd",
    "--learning-rate",
    "0.001",
    "--checkpoint-every-steps",
    "50",
    "--cache",
]
#: The model each recipe starts from (--base): the peer imported and the input size trained at.
#: google: width 0.5 at 321 px (0.49x Google's own latency); coral: Coral's width-1.0 COCO model at 225 px,
#: the largest square a width-1.0 v3+ fits in the 0.6x budget (0.42x; generalize_experiments.md).
BASES = {"google": (GOOGLE, "321"), "coral": (CORAL, "225")}
FORMATS = ("fp32", "fp16", "int8")
OUTPUT_KIND = "probabilities"  # what MediaPipe Tasks and the Android demo read without a softmax of their own
LATENCY_ROUNDS, LATENCY_RUNS = 5, 40


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="runs/v2", help="folder of this benchmark's run")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument(
        "--base", choices=sorted(BASES), default="google", help="the peer imported as the starting point (see BASES)"
    )
    parser.add_argument("--skip-train", action="store_true", help="use RUN/train/best as it is")
    parser.add_argument("--qat", action="store_true", help="also QAT on the same mix and teachers (qat-int8)")
    parser.add_argument("--limit", type=int, help="score only the first N photos of each set (a quick look)")
    parser.add_argument("--output", default=str(RESULTS / "generalize_v2"), help="path stem of the .json and .md")
    parser.add_argument(
        "--ship", action="store_true", help="install the better int8 (post-training or QAT) as the person preset"
    )
    args = parser.parse_args(argv)
    try:
        shared = shared_dir()
        if shared is None:
            raise EdgeDeeplabError("../shared not found (data, peers): set EDGE_DEEPLAB_SHARED")
        run = Path(args.run)
        peer, input_size = BASES[args.base]
        recipe = ["--input-size", input_size, *RECIPE]
        imported = run / "imported-merged"
        if not (imported / "model.json").is_file():
            _cli(
                "model",
                "import",
                str(shared / peer),
                str(imported),
                "--classes",
                "background,person",
                "--input-size",
                input_size,
            )
        relabelled = run / "ccp-relabelled"
        if not (relabelled / "relabel.json").is_file():
            _cli(
                "relabel",
                "--data",
                str(shared / "data" / "ccp-person"),
                "--teacher",
                "peer:coral-voc",
                "--output",
                str(relabelled),
                "--no-progress",
            )
        data = [str(shared / "data" / "eg1800"), str(relabelled)]
        train = run / "train"
        if not args.skip_train:
            resume = ["--resume"] if (train / "run.json").is_file() else ["--init-from", str(imported), *recipe]
            _cli(
                "train",
                *[w for d in data for w in ("--data", d)],
                "--output",
                str(train),
                "--epochs",
                str(args.epochs),
                "--no-progress",
                *resume,
            )
        exports = export_models(train / "best", run / "export")
        if args.qat:
            qat = run / "qat"
            if not (qat / "best" / "model.json").is_file():
                _cli(
                    "qat",
                    str(train / "best"),
                    "--output",
                    str(qat),
                    "--no-progress",
                    *(["--resume"] if (qat / "run.json").is_file() else []),
                )
            exports.update(export_models(train / "best", run / "export", qat_model=qat / "best"))
        models = [str(train / "best"), *map(str, exports.values())]
        scores = {
            name: evaluate_on(shared / folder, split, models, args.limit) for name, (folder, split) in SETS.items()
        }
        horse = {
            label: horse_share(path, shared)
            for label, path in [
                ("ours Keras float", train / "best"),
                *[(f"ours {fmt}", p) for fmt, p in exports.items()],
                ("Google DLv3 257", "peer:deeplabv3-voc"),
                ("MediaPipe selfie", "peer:mediapipe-selfie"),
                ("Coral DLv3 513", "peer:coral-voc"),
            ]
        }
        latency = host_latency(
            {
                "ours int8": exports["int8"],
                "ours fp16": exports["fp16"],
                **({"ours qat-int8": exports["qat-int8"]} if "qat-int8" in exports else {}),
                "Google DLv3 257": shared / GOOGLE,
                "MediaPipe selfie": shared / MEDIAPIPE,
            }
        )
    except EdgeDeeplabError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    # What the measured model was trained with, from its run (a --skip-train run may predate RECIPE).
    trained = json.loads((train / "run.json").read_text())
    best_epoch = json.loads((train / "best" / "model.json").read_text()).get("epoch")
    history = json.loads((train / "history.json").read_text())["epochs"]
    result = {
        "recipe": recipe,
        "base": args.base,
        "epochs": trained["train"]["epochs"],
        "epochs_trained": len(history),
        "best_epoch": best_epoch,
        "run": str(run),
        "limit": args.limit,
        "trained_with": {key: trained.get(key) for key in ("model", "train", "init_from", "teacher", "data")},
        "sets": scores,
        "horse_share": horse,
        "latency": latency,
    }
    result["shipped"] = shipped_format(result)
    result["verdicts"] = verdicts(result)
    stem = Path(args.output)
    write_json(stem.with_suffix(".json"), result)
    write_text(stem.with_suffix(".md"), render_markdown(result))
    print(render_markdown(result))
    if args.ship:
        ship_preset(train / "best", exports, result)
    return 0 if all(v["passed"] for v in result["verdicts"]) else 2


def _cli(*words: str) -> None:
    """One edge-deeplab command, its output passed through; a failure stops the benchmark."""
    command = [sys.executable, "-m", "edge_deeplab", *words]
    print("$ edge-deeplab " + " ".join(words), flush=True)
    if subprocess.run(command).returncode != 0:
        raise EdgeDeeplabError(f"`edge-deeplab {' '.join(words)}` failed (see above)")


def export_models(model: Path, folder: Path, qat_model: Path = None) -> dict:
    """{format: .tflite path}, exporting only what is missing (qat-int8 alone when qat_model is given)."""
    formats = ("qat-int8",) if qat_model is not None else FORMATS
    from edge_deeplab.converters.formats import DEFAULT_OUTPUT_KIND

    suffix = "" if OUTPUT_KIND == DEFAULT_OUTPUT_KIND else f"_{OUTPUT_KIND}"  # export's file naming
    paths = {fmt: folder / f"{model.name}_{fmt}{suffix}.tflite" for fmt in formats}
    missing = [fmt for fmt, path in paths.items() if not path.is_file()]
    if missing:
        from edge_deeplab.converters.export import export

        export(model, folder, missing, qat_model_path=qat_model, data=_training_data(model), output_kind=OUTPUT_KIND)
    return paths


def _training_data(model: Path):
    return json.loads((model.parent / "run.json").read_text())["data"]["train"]


def evaluate_on(data: Path, split: str, models: list, limit=None) -> dict:
    """mIoU, person IoU, person boundary F and latency of our models and every peer on one set, one run."""
    from edge_deeplab.evaluate import evaluate
    from edge_deeplab.evaluate.evaluator import EvalConfig
    from edge_deeplab.peers import PEER_PREFIX, PEERS

    config = EvalConfig(limit=limit) if limit else None
    evaluation = evaluate(
        models + [PEER_PREFIX + name for name in PEERS], data, split=split, config=config, progress=False
    )
    rows = {}
    for model in evaluation.result["models"]:
        metrics = model["metrics"]
        rows[_label(model)] = {
            "mIoU": metrics["mIoU"],
            "person_IoU": metrics["person_IoU"],
            "boundary_F": metrics["person_boundary_F"],
            "latency_ms": model["latency_ms"]["forward_median"],
            "path": model.get("path"),
        }
    return {"images": evaluation.result["dataset"].get("images"), "models": rows}


PEER_LABELS = {
    "peer:deeplabv3-voc": "Google DLv3 257",
    "peer:mediapipe-selfie": "MediaPipe selfie",
    "peer:coral-voc": "Coral DLv3 513",
}


def _label(model: dict) -> str:
    if model["name"].startswith("peer:"):
        return PEER_LABELS.get(model["name"], model["name"])
    for fmt in ("qat-int8", *FORMATS):
        name = Path(str(model.get("path", ""))).name
        if name.endswith(f"_{fmt}.tflite") or f"_{fmt}_" in name:
            return f"ours {fmt}"
    return "ours Keras float"


def horse_share(model, shared: Path) -> float:
    """The share of the horse's pixels on Google's golden photo (label 13 x 10 in its mask) called person."""
    import cv2
    import numpy as np

    from edge_deeplab.evaluate.inference import predict_probabilities
    from edge_deeplab.evaluate.runners import open_runner
    from edge_deeplab.litert.outputs import portrait_class

    folder = shared / "peers" / "deeplabv3-mnv2-dm05-voc"
    rgb = cv2.cvtColor(cv2.imread(str(folder / "golden_input.jpg")), cv2.COLOR_BGR2RGB)
    horse = cv2.imread(str(folder / "golden_mask_x10.png"), cv2.IMREAD_UNCHANGED) // 10 == 13
    runner = open_runner(str(model))
    person = np.argmax(predict_probabilities(runner, rgb), axis=-1) == portrait_class(runner.contract)
    return float(person[horse].mean())


def host_latency(models: dict) -> dict:
    """Median model-only latency (LiteRT CPU, 2 threads) over rounds that alternate the models, so that
    a busy moment of the machine does not fall on one model alone."""
    from edge_deeplab.bench.host import HostBenchConfig, benchmark_on_host

    config = HostBenchConfig(runs=LATENCY_RUNS, threads=(2,), e2e=False, gpu=False)
    medians = {name: [] for name in models}
    for _ in range(LATENCY_ROUNDS):
        for name, path in models.items():
            entry = benchmark_on_host([path], config, progress=False)["models"][0]
            medians[name].append(_cpu_median(entry))
        time.sleep(0.5)
    result = {name: {"median_ms": statistics.median(values), "rounds_ms": values} for name, values in medians.items()}
    google = result["Google DLv3 257"]["median_ms"]
    for entry in result.values():
        entry["ratio_to_google"] = entry["median_ms"] / google
    return result


def _cpu_median(entry: dict) -> float:
    for row in entry["results"]:
        if row["backend"] == "cpu" and row["mode"] == "model" and row["threads"] == 2 and row["status"] == "ok":
            return row["stats"]["median_ms"]
    raise EdgeDeeplabError(f"no 2-thread CPU timing for {entry['name']}")


def shipped_format(result: dict) -> str:
    """int8 from QAT when it is at least as good as post-training int8 on every set, else post-training."""
    if "ours qat-int8" not in next(iter(result["sets"].values()))["models"]:
        return "int8"
    better = all(
        entry["models"]["ours qat-int8"]["mIoU"] >= entry["models"]["ours int8"]["mIoU"]
        for entry in result["sets"].values()
    )
    return "qat-int8" if better else "int8"


def verdicts(result: dict) -> list:
    """Issue 23's acceptance claims, each measured here."""
    sets, latency, shipped = result["sets"], result["latency"], f"ours {result['shipped']}"
    out = []

    def claim(text, passed, detail):
        out.append({"claim": text, "passed": bool(passed), "detail": detail})

    eg = sets["eg1800 test"]["models"]
    ours, mediapipe = eg[shipped], eg["MediaPipe selfie"]
    claim(
        "eg1800 test: int8 mIoU >= 95.5 and above MediaPipe's",
        ours["mIoU"] >= 0.955 and ours["mIoU"] > mediapipe["mIoU"],
        f"{100 * ours['mIoU']:.2f} vs MediaPipe {100 * mediapipe['mIoU']:.2f}",
    )
    claim(
        "eg1800 test: int8 boundary F above MediaPipe's",
        ours["boundary_F"] > mediapipe["boundary_F"],
        f"{ours['boundary_F']:.3f} vs {mediapipe['boundary_F']:.3f}",
    )
    ccp = sets["ccp-person val"]["models"]
    claim(
        "ccp-person val: int8 person IoU above MediaPipe's",
        ccp[shipped]["person_IoU"] > ccp["MediaPipe selfie"]["person_IoU"],
        f"{ccp[shipped]['person_IoU']:.4f} vs {ccp['MediaPipe selfie']['person_IoU']:.4f}",
    )
    coco = sets["coco-people"]["models"]
    best_peer = max(coco["Google DLv3 257"]["person_IoU"], coco["MediaPipe selfie"]["person_IoU"])
    claim(
        "coco-people: int8 person IoU >= 0.72 and above Google DLv3 257 and MediaPipe",
        coco[shipped]["person_IoU"] >= 0.72 and coco[shipped]["person_IoU"] > best_peer,
        f"{coco[shipped]['person_IoU']:.4f} vs Google {coco['Google DLv3 257']['person_IoU']:.4f}, MediaPipe "
        f"{coco['MediaPipe selfie']['person_IoU']:.4f}",
    )
    horse = result["horse_share"][shipped]
    claim("golden photo: under 5 % of the horse's pixels are person", horse < 0.05, f"{100 * horse:.2f} %")
    for name, entry in sets.items():
        models = entry["models"]
        key = "mIoU" if name == "eg1800 test" else "person_IoU"
        gap = models[shipped][key] - models["ours Keras float"][key]
        post = models["ours int8"][key] - models["ours Keras float"][key]
        claim(
            f"{name}: int8 ({result['shipped']}) within 0.5 point of float ({key})",
            abs(gap) <= 0.005,
            f"{100 * gap:+.2f} points (post-training int8 {100 * post:+.2f})",
        )
    if "ours qat-int8" in next(iter(sets.values()))["models"]:
        worse = [
            f"{name} {100 * (e['models']['ours qat-int8']['mIoU'] - e['models']['ours int8']['mIoU']):+.2f}"
            for name, e in sets.items()
        ]
        claim(
            "QAT int8 at least as good as post-training int8 on every set (mIoU)",
            result["shipped"] == "qat-int8",
            "QAT minus post-training: " + ", ".join(worse),
        )
    else:
        claim("QAT int8 at least as good as post-training int8 on every set", False, "QAT not run (--qat)")
    use_decoder = result["trained_with"]["model"]["use_decoder"]
    ratio = latency["ours int8"]["ratio_to_google"]
    claim(
        "the model has a decoder (v3+) and its int8 host CPU latency is <= 0.6x Google DLv3 257's",
        use_decoder and ratio <= 0.6,
        f"{'v3+' if use_decoder else 'v3'}; {latency['ours int8']['median_ms']:.2f} ms vs "
        f"{latency['Google DLv3 257']['median_ms']:.2f} ms = {ratio:.2f}x (MediaPipe "
        f"{latency['MediaPipe selfie']['ratio_to_google']:.2f}x)",
    )
    return out


def ship_preset(model: Path, exports: dict, result: dict) -> None:
    """The measured model becomes preset:person: Keras folder, the better int8 and fp16, MODEL_CARD.md."""
    import shutil

    from edge_deeplab.presets import PRESETS_DIR

    folder = PRESETS_DIR / "person"
    staging = PRESETS_DIR / ".person.new"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "keras").mkdir(parents=True)
    for name in ("model.json", "weights.h5"):
        shutil.copy2(model / name, staging / "keras" / name)
    shutil.copy2(exports[result["shipped"]], staging / "int8.tflite")
    shutil.copy2(exports["fp16"], staging / "fp16.tflite")
    write_text(staging / "MODEL_CARD.md", model_card(result))
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    print(f"preset:person installed in {folder}")


#: Where each base's weights come from, for the model card.
SOURCES = {
    "google": "Google's DeepLab v3 257 (MobileNet-v2 0.5; tensorflow/models, tflite-support test data)",
    "coral": "Coral's DeepLab v3 513 (MobileNet-v2 1.0, uint8 weights dequantized; google-coral/test_data)",
}


def model_card(result: dict) -> str:
    model = result["trained_with"]["model"]
    teachers = result["trained_with"].get("teacher") or []
    return "\n".join(
        [
            "# preset:person",
            "",
            "A person segmenter for portrait mode and background blur: "
            f"DeepLab {'v3+' if model['use_decoder'] else 'v3'}"
            f" with a MobileNet-v2 backbone at width {model['depth_multiplier']}, output stride "
            f"{model['output_stride']}, ASPP {model['aspp_channels']} wide (image pooling + 1x1), "
            + (f"a v3+ decoder {model['decoder_channels']} wide, " if model["use_decoder"] else "no decoder, ")
            + f"{model['input_size'][0]}x{model['input_size'][1]} RGB input normalised (x - 127.5) / 127.5; "
            "the exports output the probabilities of background (every class but person) and person.",
            "",
            "- `keras/`: the model folder (`edge-deeplab pipeline --from-model preset:person`, fine-tuning).",
            f"- `int8.tflite`: full-integer ({'from QAT' if result['shipped'] == 'qat-int8' else 'post-training'}), "
            "float I/O, for the CPU; `fp16.tflite`: for the GPU delegate. Both carry the edge-deeplab contract and "
            "standard TFLite metadata (MediaPipe Tasks reads it).",
            "",
            "## Recipe (benchmarks/generalize.py)",
            "1. `edge-deeplab model import --classes background,person` of "
            + SOURCES[result.get("base", "google")]
            + " (COCO + PASCAL VOC): background = every class but person (the 20 other rows merged).",
            "2. `edge-deeplab relabel --teacher peer:coral-voc`: ccp-person training pixels labelled background where "
            "Coral's model sees a person are ignored (ccp-person marks only the main subject).",
            "3. `edge-deeplab train --init-from IMPORTED "
            + " ".join(result["recipe"])
            + f"`, {result['epochs_trained']} of {result['epochs']} scheduled epochs (poly schedule) on eg1800 train + "
            "relabelled ccp-person train; teachers: "
            f"{', '.join(teachers) if isinstance(teachers, list) else teachers}; "
            f"kept: epoch {result.get('best_epoch')}, "
            "the best mIoU on eg1800 val + ccp-person val.",
            "4. `edge-deeplab export --output-kind probabilities`: int8 calibrated on 100 training photos; "
            "GPU-delegate "
            "gates passed."
            + (
                " `edge-deeplab qat` on the same mix with the same teachers (and the float model)."
                if "ours qat-int8" in next(iter(result["sets"].values()))["models"]
                else ""
            ),
            "",
            "## Data and licences",
            "- Weights start from " + SOURCES[result.get("base", "google")] + ": Apache-2.0.",
            "- Trained on EG1800 (Shen et al. 2016; PortraitNet's split): Flickr portraits released by the dataset's "
            "authors for research only; the photos are not redistributed, and this model's use beyond research "
            "should be checked against that.",
            "- Trained on ccp-person (Clothing Co-Parsing, bearpaw/clothing-co-parsing): Apache-2.0; photos not "
            "redistributed.",
            "- Teachers: Coral's DeepLab v3 (google-coral/test_data) and MediaPipe selfie segmentation, Apache-2.0.",
            "- Never trained, calibrated or selected on eg1800 test or coco-people.",
            "",
            "## Measured (benchmarks/results/generalize.md)",
            "",
            render_markdown(result).split("\n", 2)[2],
            "## Where it loses",
            "",
            *(
                [f"- {v['claim']}: {v['detail']}." for v in result["verdicts"] if not v["passed"]]
                or ["- Every claim above passes on these sets."]
            ),
            "",
            "What was tried to get here, with each change's cost: benchmarks/results/generalize_experiments.md.",
            "",
        ]
    )


def render_markdown(result: dict) -> str:
    sets = list(result["sets"])
    models = list(next(iter(result["sets"].values()))["models"])
    lines = [
        "# The person model of benchmarks/generalize.py across datasets",
        "",
        "mIoU % / person IoU % / person boundary F per set (each photo at its own resolution; boundary F "
        "within 0.75 % of the diagonal); horse: share of the golden photo's horse called person; host CPU "
        "ms: LiteRT, 2 threads, model only."
        + (f" First {result['limit']} photos per set only." if result.get("limit") else ""),
        "",
        "| model | " + " | ".join(f"{s} mIoU / person IoU / boundary F" for s in sets) + " | horse % | host CPU ms |",
        "|---|" + "---|" * (len(sets) + 2),
    ]
    for model in models:
        cells = []
        for s in sets:
            m = result["sets"][s]["models"][model]
            cells.append(f"{100 * m['mIoU']:.2f} / {100 * m['person_IoU']:.2f} / {m['boundary_F']:.3f}")
        horse = result["horse_share"].get(model)
        ms = result["latency"].get(model, {}).get("median_ms")
        lines.append(
            f"| {model} | " + " | ".join(cells) + f" | {'-' if horse is None else f'{100 * horse:.1f}'} | "
            f"{'-' if ms is None else f'{ms:.2f}'} |"
        )
    lines += [
        f"| PortraitNet (published, 224 px, all 289 EG1800 test photos) | {PORTRAITNET_EG1800_MIOU} / - / - |"
        + " - |" * (len(sets) + 1)
    ]
    lines += ["", "| claim | measured | verdict |", "|---|---|---|"]
    lines += [f"| {v['claim']} | {v['detail']} | {'PASS' if v['passed'] else 'FAIL'} |" for v in result["verdicts"]]
    lines += [
        "",
        "eg1800 test is 264 of PortraitNet's 289 test photos (the rest are no longer available). "
        "ccp-person marks only the main subject (bystanders are background); coco-people marks every person. "
        "coco-people comes from COCO train2017, which Google's and Coral's models, and every model initialised "
        "or distilled from them (ours), were pretrained on: scores there are optimistic for all of them.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

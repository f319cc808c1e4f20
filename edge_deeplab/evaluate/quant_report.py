"""`edge-deeplab quant-report`: the per-layer int8 damage (calibration/) and, for each selective
model, its mIoU on a labelled split. Scoring is evaluation, so the verb that joins the two lives here,
after both stages in the data flow."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Optional, Sequence

from edge_deeplab.calibration.selective import DEFAULT_KS, measure_variant
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.evaluate import evaluate
from edge_deeplab.evaluate.evaluator import EvalConfig
from edge_deeplab.evaluate.runners import TfliteRunner
from edge_deeplab.io import check_writable_output, write_bytes, write_json
from edge_deeplab.presets import model_name
from edge_deeplab.progress import say


def quant_report(
    model_path,
    data,
    split: str = "val",
    num_calibration: int = 100,
    top: int = 10,
    ks: Sequence[int] = DEFAULT_KS,
    keep_float: Sequence[str] = (),
    output_dir=None,
    debug_images: Optional[int] = None,
    limit: Optional[int] = None,
    gpu_check: bool = False,
    seed: int = 0,
    progress: bool = True,
    log=say,
) -> dict:
    """The per-layer report and the selective-quantization table for a saved model folder.

    Calibration images come from the dataset's train split (as `edge-deeplab export` takes them); mIoU
    is measured on `split`. The .tflite files and quant_report.json go to `output_dir` (kept), or to a
    temporary folder (removed). `gpu_check` also compiles each model with LiteRT's GPU accelerator.

    Args:
        model_path: a saved model folder or preset:NAME.
        data: the dataset folder (calibration from its train split, mIoU on `split`).
        num_calibration: representative images to calibrate int8 and run the debug model on.
        top: the most damaged layers reported.
        ks: numbers of most damaged layers kept in float, one selective model each (0: full int8).
        keep_float: also a model with these layers in float (Keras layer names or TFLite op types).
        debug_images: run the debug model on only the first N calibration images (None: all).
        limit: score on only the first N images of `split` (None: all).
        seed: of the calibration images' choice. progress: progress bars on a terminal.
        log: receives progress messages, one line each.
    """
    from edge_deeplab.calibration.debugger import analyse
    from edge_deeplab.evaluate import open_eval_dataset
    from edge_deeplab.model.saving import read_model_json

    ks = _layer_counts(ks)
    # Cheap checks first: the model folder and the evaluation split (with masks) before any conversion.
    read_model_json(model_path)
    if output_dir:
        check_writable_output(output_dir)  # before calibrating: the files must have somewhere to go
    eval_dataset = open_eval_dataset(data, split)

    log(f"calibrating int8 on {num_calibration} images and running the debug model ...")
    started = time.perf_counter()
    debugger, report, _, _, contract = analyse(
        model_path, data, top=top, num_images=num_calibration, seed=seed, debug_images=debug_images
    )
    seconds = {"calibrate_and_debug": time.perf_counter() - started}
    temporary = not output_dir
    folder = Path(tempfile.mkdtemp(prefix="quant-report-")) if temporary else Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = model_name(model_path)
    try:
        started = time.perf_counter()
        variants = _variants(report, ks, keep_float)
        results = _convert_variants(debugger, contract, variants, folder, name, gpu_check, log)
        seconds["convert_and_gate"] = time.perf_counter() - started
        log(f"evaluating {len(results)} models on {data} {split} ...")
        started = time.perf_counter()
        _score(results, eval_dataset, limit, progress)
        seconds["evaluate"] = time.perf_counter() - started
        if temporary:  # the files are about to go: name them, not where they were
            for r in results:
                r.path = Path(r.path).name
        images = len(eval_dataset) if limit is None else min(limit, len(eval_dataset))
        document = _document(model_path, data, split, images, report, results, gpu_check, seconds)
        if not temporary:
            write_json(folder / "quant_report.json", document)
        return document
    finally:
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)


def _layer_counts(ks: Sequence[int]) -> list[int]:
    """The distinct numbers of layers to keep in float, smallest first; a negative count is refused."""
    ks = sorted(set(int(k) for k in ks))
    if any(k < 0 for k in ks):
        raise EdgeDeeplabError(f"--selective {','.join(map(str, ks))}: give counts of layers, 0 or more")
    return ks


def _convert_variants(debugger, contract, variants: list[tuple], folder: Path, name: str, gpu_check: bool, log) -> list:
    """Each variant (_variants) converted from the debugger's calibration to folder/NAME_LABEL.tflite, with the
    model's contract, and measured (size, GPU gates): a SelectiveResult each."""
    from edge_deeplab.calibration.selective import selective_model
    from edge_deeplab.litert.flatbuffer import embed_contract

    results = []
    for label, nodes, ops, kept in variants:
        log(f"converting {label} ...")
        # The float reference is the debugger's calibrated model: the very float graph the quantizer
        # starts from (same ops and outputs as the fp32 export, plus a few kB of min/max statistics),
        # which spares a second Keras conversion.
        data_bytes = debugger.calibrated_model if label == "float" else selective_model(debugger, nodes, ops)
        path = folder / f"{name}_{_slug(label)}.tflite"
        write_bytes(path, embed_contract(data_bytes, contract))
        results.append(measure_variant(label, kept, path, gpu_check))
    return results


def _document(model_path, data, split: str, images: int, report, results: list, gpu_check: bool, seconds: dict) -> dict:
    """quant_report.json: the per-layer report, the selective table, which GPU gates ran and how long each stage
    took."""
    return {
        "model": str(model_path),
        "data": str(data),
        "split": split,
        "images": images,
        "calibration_images": report.calibration["num_images"],
        "report": report.to_dict(),
        "selective": [r.to_dict() for r in results],
        "gate": "static: every op against the mobile GPU delegate's documented constraints"
        + ("; dynamic: LiteRT GPU accelerator" if gpu_check else "; dynamic not run"),
        "seconds": {stage: round(value, 1) for stage, value in seconds.items()},
    }


def _variants(report, ks, keep_float) -> list[tuple]:
    """(label, tensor names kept float, op types kept float, what the user named) of each model measured:
    float, full int8 (the deltas are taken against it), int8 with the k most damaged layers float, and
    int8 with the layers given."""
    from edge_deeplab.calibration.selective import resolve_layers

    variants = [("float", [], [], None)]
    for k in ks:
        chosen = report.most_damaged(k)
        variants.append(
            ("int8" if k == 0 else f"int8 + {k} float", [r.tensor_name for r in chosen], [], [r.layer for r in chosen])
        )
    if keep_float:
        nodes, ops = resolve_layers(report, keep_float)
        variants.append(("int8 + given float", nodes, ops, list(keep_float)))
    if 0 not in ks:
        variants.insert(1, ("int8", [], [], []))
    return variants


def _slug(label: str) -> str:
    return label.replace(" + ", "_").replace(" ", "-")


def _score(results: list, dataset, limit: Optional[int], progress: bool) -> None:
    runners = [TfliteRunner(r.path, name=r.name) for r in results]
    evaluation = evaluate(runners, dataset, config=EvalConfig(overlays=0, limit=limit), progress=progress)
    metrics = {m["name"]: m["metrics"] for m in evaluation.result["models"]}
    for r in results:
        r.miou, r.person_iou = metrics[r.name]["mIoU"], metrics[r.name]["person_IoU"]
    float_result = next(r for r in results if r.name == "float")
    int8 = next(r for r in results if r.name == "int8")
    for r in results:
        r.delta_miou_vs_int8 = _points(r.miou, int8.miou)
        r.delta_miou_vs_float = _points(r.miou, float_result.miou)
        r.delta_person_iou_vs_int8 = _points(r.person_iou, int8.person_iou)
        r.size_vs_int8 = r.size_bytes / int8.size_bytes


def _points(value, reference) -> Optional[float]:
    return None if value is None or reference is None else 100.0 * (value - reference)

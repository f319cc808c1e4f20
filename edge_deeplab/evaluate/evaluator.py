"""Evaluate models on a segmentation dataset: every model sees every image once, at its own resolution.

The dataset is read once; each photo goes through every model in turn (so all models meet the
same images under the same machine load), the predictions are mapped onto the dataset's classes
and counted into each model's confusion matrix and boundary totals. The result says what each
model scores, what quantization cost against the float model, and how the peers compare.
"""

from __future__ import annotations

import dataclasses
import math
import os
import platform
import time
from typing import Optional, Sequence

import numpy as np

from edge_deeplab.contract import IGNORE_LABEL, person_class_of
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.evaluate import mapping as class_map
from edge_deeplab.evaluate.inference import predict_probabilities
from edge_deeplab.refine import CRFConfig, require
from edge_deeplab.metrics import BOUNDARY_TOLERANCE, SegmentationMetrics, per_class_iou
from edge_deeplab.evaluate.runners import median_latency_ms, timed_samples

FLOAT_FORMATS = ("keras fp32", "tflite fp32")


@dataclasses.dataclass(frozen=True)
class EvalConfig:
    """How `evaluate` scores the models; checked on creation.

    Args:
        scales: test-time scales, DeepLab's eval_scales; (1.0,) is one pass.
        flip: also average the left-right flipped image (DeepLab's add_flipped_images).
        refine: "crf": a dense CRF over the photo refines the probabilities (DeepLab v1/v2); "none" does not.
        crf: the CRF's parameters, used when refine is "crf".
        boundary_tolerance: the distance a boundary pixel may be off and still match, as a fraction of the
            image diagonal.
        overlays: best and worst images kept per model for the HTML page.
        limit: score only the first N images (a quick look, not a result); None: all.
        reference: the model the differences are taken against; None: the first float one.
    """

    scales: tuple = (1.0,)  # test-time scales (DeepLab's eval_scales); (1.0,) = one pass
    flip: bool = False  # also average the left-right flipped image (add_flipped_images)
    refine: str = "none"  # "crf": a dense CRF over the photo refines the probabilities (v1/v2)
    crf: CRFConfig = CRFConfig()  # its parameters, used when refine is "crf"
    boundary_tolerance: float = BOUNDARY_TOLERANCE  # boundary match distance, fraction of the diagonal
    overlays: int = 3  # best and worst images kept per model for the HTML page
    limit: Optional[int] = None  # only the first N images (a quick look, not a result)
    reference: Optional[str] = None  # model the differences are taken against; default: first float one

    def __post_init__(self):
        object.__setattr__(self, "scales", tuple(float(s) for s in self.scales))
        if not self.scales or not all(0 < s < math.inf for s in self.scales):  # NaN too
            raise EdgeDeeplabError(
                f"--scales {','.join(map(str, self.scales))}: give positive finite scales, e.g. 0.75,1,1.25"
            )
        require(self.refine)  # a missing CRF package stops the run before the first photo, not after it
        if self.limit is not None and self.limit < 1:
            raise EdgeDeeplabError("--limit must be at least 1 image")
        if self.boundary_tolerance <= 0:
            raise EdgeDeeplabError("the boundary tolerance must be a positive fraction of the image diagonal")


@dataclasses.dataclass
class Evaluation:
    """`result` is plain JSON; `overlays[model] = {"best"|"worst": [(image id, score, JPEG bytes)]}`."""

    result: dict
    overlays: dict


@dataclasses.dataclass
class _ModelState:
    runner: object
    mapping: np.ndarray
    metrics: SegmentationMetrics
    image_ms: list
    scores: dict  # image id -> per-image score (person IoU, or mIoU without a person class)
    best: list  # [(score, id, overlay JPEG)]
    worst: list
    # Against the reference model (the float one): pixels whose label differs, and the photos where
    # the most differ [(fraction, id, difference JPEG)].
    differing_pixels: int = 0
    compared_pixels: int = 0
    differs: list = dataclasses.field(default_factory=list)


def evaluate_models(
    runners: Sequence, dataset, config: EvalConfig = EvalConfig(), progress: bool = True, dataset_name: str = "dataset"
) -> Evaluation:
    """Score every runner on every image of `dataset` (its labels mapped onto the dataset's classes).

    Args:
        runners: the models, as runners (evaluate/runners.py).
        dataset: the Dataset to score on.
        config: the EvalConfig.
        progress: show a progress bar.
        dataset_name: names the dataset in the result and in error messages.

    Returns:
        The Evaluation: the plain-JSON result (metrics, latency, settings) and each model's best and worst
        images.
    """
    from edge_deeplab.progress import progress_bar

    class_names = tuple(dataset.class_names)
    person = person_class_of(class_names)
    images = len(dataset) if config.limit is None else min(len(dataset), config.limit)
    if images == 0:
        raise EdgeDeeplabError(f"{dataset_name}: has no images in this split; pass a dataset with images and masks")
    if not runners:
        raise EdgeDeeplabError("no models to evaluate: pass .tflite files, saved Keras models or peer:NAME")
    states = [
        _ModelState(
            runner=runner,
            mapping=class_map.class_mapping(runner.contract.labels, class_names, runner.name),
            metrics=SegmentationMetrics(class_names, boundary_tolerance=config.boundary_tolerance),
            image_ms=[],
            scores={},
            best=[],
            worst=[],
        )
        for runner in runners
    ]
    reference = _reference_index(runners, config.reference)
    without_person = []
    # A log file gets one line per evaluated model (the bar would be one line of redraws).
    with progress_bar(total=images * len(states), desc="evaluate", unit="pass", enabled=progress, summary=False) as bar:
        for index, sample in enumerate(dataset):
            if index >= images:
                break
            rgb, truth = _checked_sample(sample, len(class_names), dataset_name)
            if person is not None and not np.any(truth == person):
                without_person.append(str(sample.id))  # a person IoU of 0 there means false positives
            predictions = []
            for state in states:
                bar.set_postfix_str(state.runner.name[-40:])
                predictions.append(_evaluate_one(state, sample.id, rgb, truth, person, config))
            if reference is not None:
                for state, prediction in zip(states, predictions):
                    if state is not states[reference]:
                        _count_differences(
                            state, str(sample.id), rgb, predictions[reference], prediction, config.overlays
                        )
                bar.update(1)
        for state in states:
            bar.note(
                f"evaluated {state.runner.name}: {images} images, median {np.median(state.image_ms):.1f} ms per image"
            )
    return _collect(states, class_names, person, images, config, dataset_name, without_person)


def _reference_index(runners, name: Optional[str]) -> Optional[int]:
    """Which runner the others are compared with pixel by pixel: as _reference picks it from the results."""
    for index, runner in enumerate(runners):
        if name is not None and (runner.name == name or str(getattr(runner, "path", None) or "") == name):
            return index
        if name is None and runner.kind == "ours" and runner.format in FLOAT_FORMATS:
            return index
    return None


def _count_differences(state: _ModelState, image_id: str, rgb, reference, prediction, keep: int):
    """Count the pixels whose label differs from the reference model's; keep the photos where most differ."""
    differing = int(np.count_nonzero(prediction != reference))
    state.differing_pixels += differing
    state.compared_pixels += prediction.size
    fraction = differing / prediction.size
    if keep <= 0 or differing == 0 or (len(state.differs) >= keep and fraction <= state.differs[-1][0]):
        return
    from edge_deeplab.evaluate.report import difference_jpeg

    entry = (fraction, image_id, difference_jpeg(rgb, reference, prediction))
    state.differs = sorted(state.differs + [entry], key=lambda e: -e[0])[:keep]


def _checked_sample(sample, num_classes: int, dataset_name: str):
    mask = getattr(sample, "mask", None)
    if mask is None:
        raise EdgeDeeplabError(
            f"{dataset_name}: image {sample.id} has no mask; evaluation needs ground-truth "
            f"masks (a split with masks, e.g. --split val)"
        )
    rgb, truth = np.asarray(sample.image), np.asarray(mask)
    if truth.shape != rgb.shape[:2]:
        raise EdgeDeeplabError(
            f"{dataset_name}: mask of {sample.id} is {truth.shape[1]}x{truth.shape[0]} but its "
            f"image is {rgb.shape[1]}x{rgb.shape[0]}; masks must match their images"
        )
    bad = truth[(truth != IGNORE_LABEL) & (truth >= num_classes)]
    if bad.size:
        raise EdgeDeeplabError(
            f"{dataset_name}: mask of {sample.id} holds label {int(bad.max())}, but the dataset "
            f"has {num_classes} classes (ignore = {IGNORE_LABEL}); fix the mask or the class list"
        )
    return rgb, truth


def _evaluate_one(state: _ModelState, image_id, rgb, truth, person, config: EvalConfig):
    start = time.perf_counter()
    probabilities = predict_probabilities(state.runner, rgb, config.scales, config.flip, config.refine, config.crf)
    prediction = class_map.map_labels(np.argmax(probabilities, axis=-1), state.mapping)
    state.image_ms.append((time.perf_counter() - start) * 1000.0)
    image_iou = per_class_iou(state.metrics.add(truth, prediction))
    score = (
        image_iou[person] if person is not None else (np.nanmean(image_iou) if np.any(~np.isnan(image_iou)) else np.nan)
    )
    if not np.isnan(score):  # NaN: no person in the image nor in the prediction, nothing to rank it by
        state.scores[str(image_id)] = float(score)
        _keep_if_extreme(state, float(score), str(image_id), rgb, truth, prediction, config.overlays)
    return prediction


def _keep_if_extreme(state: _ModelState, score, image_id, rgb, truth, prediction, keep: int):
    """Keep the `keep` best and worst images; an overlay is drawn only for an image that enters one."""
    if keep <= 0:
        return
    enters_best = len(state.best) < keep or score > state.best[-1][0]
    enters_worst = len(state.worst) < keep or score < state.worst[-1][0]
    if not (enters_best or enters_worst):
        return
    from edge_deeplab.evaluate.report import overlay_jpeg

    jpeg = overlay_jpeg(rgb, truth, prediction)
    if enters_best:
        state.best = sorted(state.best + [(score, image_id, jpeg)], key=lambda e: -e[0])[:keep]
    if enters_worst:
        state.worst = sorted(state.worst + [(score, image_id, jpeg)], key=lambda e: e[0])[:keep]


def _collect(
    states, class_names, person, images, config: EvalConfig, dataset_name, without_person: Sequence[str] = ()
) -> Evaluation:
    models, overlays = [], {}
    for state in states:
        runner = state.runner
        contract = runner.contract
        samples = timed_samples(runner)
        models.append(
            {
                "name": runner.name,
                "kind": runner.kind,
                "format": runner.format,
                "path": str(runner.path) if runner.path else None,
                "size_bytes": runner.size_bytes,
                "contract": {
                    "labels": list(contract.labels),
                    "input_size": [contract.input_height, contract.input_width],
                    "mean": list(contract.mean),
                    "std": list(contract.std),
                    "output_kind": contract.output_kind,
                },
                "class_mapping": class_map.describe(state.mapping, contract.labels, class_names),
                "metrics": state.metrics.summary(person),
                "latency_ms": {
                    "forward_median": median_latency_ms(runner),
                    "forward_p90": float(np.percentile(samples, 90)) if samples else None,
                    "forward_runs": len(samples),
                    "image_median": float(np.median(state.image_ms)) if state.image_ms else None,
                },
                "best": [{"id": i, "score": s} for s, i, _ in state.best],
                "worst": [{"id": i, "score": s} for s, i, _ in state.worst],
                "per_image_score": state.scores,
                # None for the reference itself (and without one); else the fraction of pixels labelled otherwise.
                "label_disagreement": state.differing_pixels / state.compared_pixels if state.compared_pixels else None,
                "most_different": [{"id": i, "fraction": f} for f, i, _ in state.differs],
            }
        )
        overlays[runner.name] = {
            "best": [(i, s, jpeg) for s, i, jpeg in state.best],
            "worst": [(i, s, jpeg) for s, i, jpeg in state.worst],
            "differs": [(i, f, jpeg) for f, i, jpeg in state.differs],
        }
    reference = _reference(models, config.reference)
    for model in models:
        model["delta_mIoU"] = _difference(model, reference, "mIoU")
        model["delta_person_IoU"] = _difference(model, reference, "person_IoU")
    result = {
        "dataset": {
            "name": dataset_name,
            "class_names": list(class_names),
            "images": images,
            "person_class": person,
            "images_without_person": list(without_person),
        },
        "settings": {
            "scales": list(config.scales),
            "flip": config.flip,
            "refine": config.refine,
            "crf": config.crf.to_dict() if config.refine == "crf" else None,
            "boundary_tolerance_of_diagonal": config.boundary_tolerance,
            "resize": "bilinear, half-pixel centres (cv2.INTER_LINEAR), whole image stretched to the "
            "model input; scores resized back before softmax/argmax",
            "per_image_score": "person IoU" if person is not None else "mIoU",
            "latency": "LiteRT/tf_keras forward pass on this CPU, median over the images, first excluded",
        },
        "host": {
            "machine": platform.machine(),
            "processor": _cpu_name(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "reference": reference["name"] if reference else None,
        "models": models,
    }
    return Evaluation(result=result, overlays=overlays)


def _reference(models: list, name: Optional[str]):
    if name is not None:
        for model in models:
            if model["name"] == name or (model["path"] and model["path"] == name):
                return model
        raise EdgeDeeplabError(
            f"--reference {name}: not among the evaluated models ({', '.join(m['name'] for m in models)})"
        )
    floats = [m for m in models if m["kind"] == "ours" and m["format"] in FLOAT_FORMATS]
    return floats[0] if floats else None


def _difference(model: dict, reference: Optional[dict], key: str) -> Optional[float]:
    if reference is None or model is reference:
        return None if reference is None else 0.0
    mine, theirs = model["metrics"].get(key), reference["metrics"].get(key)
    return None if mine is None or theirs is None else mine - theirs


def _cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()

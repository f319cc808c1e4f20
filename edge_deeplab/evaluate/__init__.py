"""Evaluate segmentation models: what quantization cost, and how a model compares with its peers.

runners (a .tflite in LiteRT, a tf_keras model, the peers with their own preprocessing),
inference (each photo at its own resolution, optional flips and scales), refine (the dense CRF),
mapping (a model's classes onto the dataset's), evaluator (all models over one dataset, scored with
edge_deeplab.metrics: IoU, mIoU, boundary F) and report (table, JSON, Markdown, HTML); quant_report
(what int8 costs per layer) and relabel (masks disputed by a teacher). `edge-deeplab evaluate` is the
command; `evaluate()` the same from Python.
"""

from __future__ import annotations

import edge_deeplab  # noqa: F401  (TF_USE_LEGACY_KERAS before anything imports TensorFlow)


def open_eval_dataset(root, split: str = "val"):
    """The `split` of the dataset folder `root` (or "synthetic"), through edge_deeplab.data's reader (images
    with masks, class names); a one-line error for a missing folder."""
    from pathlib import Path

    from edge_deeplab.errors import EdgeDeeplabError

    if str(root) != "synthetic" and not Path(root).is_dir():
        raise EdgeDeeplabError(
            f"{root}: dataset folder not found; pass --data with a dataset folder (images/, masks/, {split}.txt)"
        )
    from edge_deeplab.data import open_dataset

    return open_dataset(root, split=split)


def evaluate(models, data, split: str = "val", config=None, threads: int = 2, progress: bool = True):
    """Evaluate `models` on a dataset.

    Args:
        models: 'peer:NAME', 'preset:NAME', .tflite paths, saved Keras models, or runners.
        data: a dataset folder or an already opened dataset.
        split: the split scored.
        config: an EvalConfig (scales, flips, refinement, overlays, limit, reference), or None for its defaults.
        threads: LiteRT CPU threads.
        progress: a progress bar on a terminal.

    Returns:
        An Evaluation (result JSON + overlays); write it with edge_deeplab.evaluate.report.write_reports.
    """
    from pathlib import Path

    from edge_deeplab.evaluate.evaluator import EvalConfig, evaluate_models
    from edge_deeplab.evaluate.runners import open_runner

    # The dataset first: a wrong folder is reported before any model is loaded.
    if isinstance(data, (str, Path)):
        dataset, name = open_eval_dataset(data, split), f"{Path(data).name} {split}"
    else:
        dataset, name = data, getattr(data, "name", "dataset")
    runners = [open_runner(str(m), threads) if isinstance(m, (str, Path)) else m for m in models]
    _make_names_unique(runners)
    return evaluate_models(runners, dataset, config or EvalConfig(), progress=progress, dataset_name=name)


def _make_names_unique(runners):
    """runs/a/model.tflite and runs/b/model.tflite would share a name: add their folder."""
    names = [r.name for r in runners]
    for runner in runners:
        if names.count(runner.name) > 1 and getattr(runner, "path", None) is not None:
            runner.name = f"{runner.path.parent.name}/{runner.path.name}"

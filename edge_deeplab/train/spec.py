"""What a training run is asked to do (TrainSpec), and run.json: the record of it that --resume reads back."""

from __future__ import annotations

import dataclasses
from typing import Any, Optional

from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.model.config import DeepLabConfig
from edge_deeplab.train.config import TrainConfig


@dataclasses.dataclass(frozen=True)
class TrainSpec:
    """What `train(spec, output)` trains, on what and from what.

    Args:
        data: a dataset folder or 'synthetic', or a list of dataset specs to train on at once
            ('PATH[:labels=FILE][:weight=W]' strings or edge_deeplab.data.mix.DataSpec); each spec without
            labels= uses `labels_config`. With several, every dataset's val split is scored on its own and
            together (history.json: val_per_dataset).
        model_config: the DeepLabConfig; None: the `init_from` model's, or the default one with the data's
            classes.
        train_config: the TrainConfig; None: TrainConfig() (on resume: the run's own, with these epochs).
        val_data: one dataset spec or a list to validate on; None: the val splits of `data`.
        labels_config: the labels config (file, preset name or dict, edge_deeplab.data.labels) of `data`.
        backbone_weights: 'imagenet' or a Keras no-top MobileNet-v2 .h5 to start the backbone from.
        init_from: a saved model folder or preset:NAME to start from. Without model_config the model is
            that one; with another (e.g. a v3+ decoder on an imported v3) every layer whose name and shapes
            match is copied and the rest start fresh (edge_deeplab.model.saving.load_matching_weights).
        teacher: one or a list of models to distil from (train/distill.py, train/teachers.py).
        qat: quantization-aware training (edge_deeplab/model/qat.py) of that model; its saved models are
            QAT models.
        on_error: 'raise' or 'skip' for an unreadable or inconsistent sample.
        cpu_replicas: split the CPU into that many logical devices (mirrored training without GPUs).
        deterministic: deterministic TensorFlow ops (bit-identical reruns, slower).
    """

    data: Any
    model_config: Optional[DeepLabConfig] = None
    train_config: Optional[TrainConfig] = None
    val_data: Any = None
    labels_config: Any = None
    backbone_weights: Any = None
    init_from: Any = None
    teacher: Any = None
    qat: bool = False
    on_error: str = "raise"
    cpu_replicas: int = 0
    deterministic: bool = False

    def __post_init__(self):
        if self.cpu_replicas < 0:
            raise EdgeDeeplabError(
                f"--cpu-replicas {self.cpu_replicas} must be 0 (no split) or more logical CPU devices, e.g. 2"
            )

    def replace(self, **changes) -> TrainSpec:
        """A copy with the given fields changed."""
        return dataclasses.replace(self, **changes)

    @property
    def validation_data(self):
        """What the run validates on: val_data, or else the val splits of data."""
        return self.data if self.val_data is None else self.val_data


def resumed_spec(spec: TrainSpec, run: dict, source: str) -> TrainSpec:
    """The spec run.json recorded, for --resume. Only the number of epochs may change (to train longer):
    anything else would not continue the same run. How to run (on_error, cpu_replicas, deterministic)
    stays the caller's."""
    saved_train = TrainConfig.from_dict(run["train"], source=source)
    epochs = spec.train_config.epochs if spec.train_config is not None else saved_train.epochs
    return spec.replace(
        model_config=DeepLabConfig.from_dict(run["model"], source=source),
        train_config=saved_train.replace(epochs=epochs),
        data=run["data"]["train"],
        val_data=run["data"]["val"],
        labels_config=run["data"].get("labels"),
        backbone_weights=run.get("backbone_weights"),
        init_from=run.get("init_from"),
        qat=bool(run.get("qat")),
        teacher=run.get("teacher"),
    )


def run_record(
    spec: TrainSpec, contract, train_set, val_sets, frozen_batch_norm: list, init_report, replicas: int
) -> dict:
    """run.json: what was trained on what (model config, training config, data, contract), so that
    --resume, `qat` and `export` read the run back."""
    from edge_deeplab.train.teachers import teacher_text

    labels = spec.labels_config
    return {
        "model": spec.model_config.to_dict(),
        "train": spec.train_config.to_dict(),
        "contract": contract.to_dict(),
        "data": {
            "train": _spec_text(spec.data),
            "val": _spec_text(spec.validation_data),
            "labels": labels if isinstance(labels, (str, dict)) or labels is None else str(labels),
            "class_names": list(train_set.class_names),
            "train_images": len(train_set),
            "val_images": sum(len(v) for v in val_sets),
            **_mix_record(spec.data, train_set),
        },
        "backbone_weights": None if spec.backbone_weights is None else str(spec.backbone_weights),
        "init_from": None if spec.init_from is None else str(spec.init_from),
        "qat": spec.qat,
        **({"teacher": teacher_text(spec.teacher)} if spec.teacher is not None else {}),
        "frozen_batch_norm": frozen_batch_norm,
        "init_layers": None
        if init_report is None
        else {"copied": init_report.matched, "new": init_report.new + [name for name, _, _ in init_report.mismatched]},
        "replicas": replicas,
    }


def _mix_record(data, train_set) -> dict:
    """For a mix of datasets: each one's share of the training images."""
    from edge_deeplab.data.mix import data_specs

    if not hasattr(train_set, "parts"):
        return {}
    return {
        "mix": [
            {"data": str(spec), "train_images": len(part), "share": float(share)}
            for spec, part, share in zip(data_specs(data), train_set.parts, train_set.shares())
        ]
    }


def _spec_text(data):
    """run.json's record of the data: one string as before, or a list of spec strings for a mix."""
    from edge_deeplab.data.mix import data_specs

    specs = data_specs(data)
    return str(specs[0]) if len(specs) == 1 else [str(spec) for spec in specs]

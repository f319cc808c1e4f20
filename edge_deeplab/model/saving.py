"""A saved model is a folder: model.json (the DeepLabConfig and the ModelContract) + weights.h5.

Weights, not a serialised Keras graph: the model is rebuilt from its config, so it can be
rebuilt at another output stride or input size with the same weights (the papers train at
output stride 16 and evaluate at 8), and a QAT model can be rebuilt around them
(../shared/FIELD_NOTES.md: QAT models do not survive Keras' own formats).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from edge_deeplab import presets
from edge_deeplab.contract import ModelContract
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.io import staged_folder, write_files
from edge_deeplab.model.config import DeepLabConfig
from edge_deeplab.settings import read_json_object

MODEL_JSON, WEIGHTS_H5 = "model.json", "weights.h5"
FORMAT = "edge-deeplab-model"


def default_contract(config: DeepLabConfig, labels=None) -> ModelContract:
    from edge_deeplab.contract import person_class_of

    labels = (
        tuple(labels)
        if labels
        else (
            ("background", "person")
            if config.num_classes == 2
            else tuple(f"class_{i}" for i in range(config.num_classes))
        )
    )
    return ModelContract(
        labels=labels,
        input_height=config.input_size[0],
        input_width=config.input_size[1],
        person_class=person_class_of(labels),
    )


def check_model_output(directory) -> Path:
    """Refuse, before any work, a model folder output that cannot be written (edge_deeplab.io's
    check_writable_output) or that holds anything but a model folder save_model wrote (model.json and
    weights.h5 alone): saving replaces the whole folder, so a dataset, a run or the input would be lost."""
    from edge_deeplab.io import check_writable_output

    directory = check_writable_output(directory)
    if directory.is_dir():
        names = sorted(entry.name for entry in directory.iterdir())
        if names and not (set(names) <= {MODEL_JSON, WEIGHTS_H5} and _written_by_us(directory / MODEL_JSON)):
            others = [name for name in names if name not in (MODEL_JSON, WEIGHTS_H5)] or names
            raise EdgeDeeplabError(
                f"{directory} is not an empty folder or a model folder (it holds "
                f"{', '.join(others[:3])}{', ...' if len(others) > 3 else ''}), and saving "
                "replaces the whole folder: choose a new or empty folder"
            )
    return directory


def _written_by_us(document_path: Path) -> bool:
    try:
        document = read_json_object(document_path, "model description", "a model's config and contract")
    except (OSError, EdgeDeeplabError):
        return False
    return document.get("format") == FORMAT


def save_model(model, config: DeepLabConfig, contract: ModelContract, directory, extra=None) -> Path:
    """Save a model as a folder (model.json + weights.h5), atomically: a killed save leaves the previous
    folder (or none), never half of one. An existing folder is replaced only when it is a model folder
    (check_model_output).

    Args:
        model: the tf_keras model (its weights are saved).
        config: the DeepLabConfig it was built from (load_model rebuilds it from that).
        contract: its ModelContract (labels, input size, normalisation, output).
        directory: the model folder to write.
        extra: more entries for model.json (e.g. the epoch and val mIoU of a training run).

    Returns:
        The folder.
    """
    directory = check_model_output(directory)
    weights = weights_h5_bytes(model)  # before the disk is touched
    document = {
        "format": FORMAT,
        "version": 1,
        "config": config.to_dict(),
        "contract": contract.to_dict(),
        **(extra or {}),
    }
    with staged_folder(directory, replace=True) as staging:
        try:
            write_files(
                {
                    staging / WEIGHTS_H5: weights,
                    staging / MODEL_JSON: json.dumps(document, indent=2, sort_keys=True).encode("utf-8"),
                }
            )
        except EdgeDeeplabError as error:  # name where the file was going, not the staging folder
            raise EdgeDeeplabError(str(error).replace(str(staging), str(directory))) from None
    return directory


def weights_h5_bytes(model) -> bytes:
    """The model's weights as the bytes of the HDF5 file save_weights writes. Made in memory: libhdf5 writing
    to a full disk crashed the process (a segfault in h5py's clean-up) instead of raising."""
    import io

    import h5py
    from tf_keras.src.saving.legacy import hdf5_format

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as stream:
        hdf5_format.save_weights_to_hdf5_group(stream, model)
    return buffer.getvalue()


def read_model_json(path) -> tuple[DeepLabConfig, ModelContract, dict]:
    """The config, the contract and the whole model.json of a saved model folder (or of `preset:NAME`).

    Args:
        path: a model folder, its model.json, or `preset:NAME` (edge_deeplab.presets.resolve).

    Returns:
        (DeepLabConfig, ModelContract, the model.json document); a one-line EdgeDeeplabError when the
        folder is not a model folder or its model.json is damaged.
    """
    path = presets.resolve(path, "keras")
    directory = path.parent if path.name == MODEL_JSON else path
    document_path = directory / MODEL_JSON
    if not document_path.is_file():
        raise EdgeDeeplabError(
            f"{path} is not an edge-deeplab model folder (no {MODEL_JSON}): give the folder "
            "written by `edge-deeplab train` or `save_model`"
        )
    document = read_json_object(
        document_path,
        "model description",
        "an edge-deeplab model's config and contract",
        fix="restore the model.json written with weights.h5, or save the model again",
    )
    if document.get("format") != FORMAT:
        raise EdgeDeeplabError(
            f"{document_path} is not a valid edge-deeplab model description (format is {document.get('format')!r})"
        )
    for key, what in (("config", "the DeepLabConfig"), ("contract", "the preprocessing contract")):
        if not isinstance(document.get(key), dict):
            raise EdgeDeeplabError(
                f"{document_path} has no {key!r} object ({what} the weights were saved with): "
                "restore the model.json written with weights.h5, or save the model again"
            )
    config = DeepLabConfig.from_dict(document["config"], source=str(document_path))
    contract = ModelContract.from_dict(document["contract"], source=str(document_path))
    if len(contract.labels) != config.num_classes:
        raise EdgeDeeplabError(
            f"{document_path}: num_classes is {config.num_classes} but the contract names "
            f"{len(contract.labels)} labels; restore the model.json written with the weights"
        )
    return config, contract, document


def load_model(path, batch_size=None, **config_changes):
    """(tf_keras.Model, ModelContract) from a saved folder, optionally at another output_stride or
    input_size: the weights are the same because an atrous convolution has exactly the parameters
    of a plain one.

    Args:
        path: a saved model folder (or its model.json), or `preset:NAME` (edge_deeplab.presets.resolve).
        batch_size: a fixed batch size for the model's input, or None (any).
        **config_changes: DeepLabConfig fields to change, e.g. output_stride=8 or input_size=(513, 513).
    """
    path = presets.resolve(path, "keras")
    config, contract, document = read_model_json(path)
    directory = path.parent if path.name == MODEL_JSON else path
    if config_changes:
        config = config.replace(**config_changes)
        if "input_size" in config_changes:
            contract = contract.__class__(
                **{**contract.__dict__, "input_height": config.input_size[0], "input_width": config.input_size[1]}
            )
    from edge_deeplab.model.deeplab import build_deeplab

    model = build_deeplab(config, batch_size=batch_size)
    if document.get("quantization") == "qat":
        # A QAT model is rebuilt around its weights: Keras' own formats do not reload it.
        from edge_deeplab.model.qat import quantize_deeplab

        model = quantize_deeplab(model)
    weights = directory / WEIGHTS_H5
    if not weights.is_file():
        raise EdgeDeeplabError(f"{weights} is missing: the model folder is incomplete; save or train it again")
    try:
        model.load_weights(str(weights))
    except (OSError, ValueError, KeyError, IndexError, TypeError) as error:
        # A cut file (h5py cannot open it) or weights of another shape (num_classes, depth_multiplier or
        # channel widths in model.json differ from those the weights were trained with).
        reason = " ".join(str(error).split())[:160] or type(error).__name__
        raise EdgeDeeplabError(
            f"{weights} does not load into the model {directory / MODEL_JSON} describes "
            f"({reason}): the file is damaged or model.json was changed; restore the pair "
            "written together, or save or train the model again"
        ) from None
    model.deeplab_config = config
    return model, contract


@dataclasses.dataclass
class InitReport:
    """Which layers of a new model took their weights from a saved one (same name, same shapes)."""

    source: str
    matched: list  # layer names copied
    new: list  # our layers with weights that kept their fresh initialisation
    mismatched: list  # (name, our shapes, saved shapes): same name, other shapes (e.g. other classes)
    unused: list  # saved layers with no namesake here

    def __str__(self):
        new = ", ".join(self.new + [name for name, _, _ in self.mismatched]) or "none"
        unused = f"; unused in the source: {', '.join(self.unused)}" if self.unused else ""
        return (
            f"initialised from {self.source}: {len(self.matched)} layers copied, "
            f"{len(self.new) + len(self.mismatched)} new ({new}){unused}"
        )


def load_matching_weights(model, folder) -> InitReport:
    """Copy into `model` every layer of a saved model folder whose name and weight shapes match.

    The way to start a model from another of a different head: a v3+ from an imported v3 takes the
    backbone, the ASPP and (with the same classes) the logits, while its decoder starts fresh.

    Args:
        model: the tf_keras model to copy into (changed in place).
        folder: a saved model folder or `preset:NAME`.

    Returns:
        An InitReport naming the layers copied, new, of another shape, and unused in the source.
    """
    import h5py
    import numpy as np

    read_model_json(folder)  # a one-line error unless it is a model folder
    path = presets.resolve(folder, "keras") / WEIGHTS_H5
    if not path.is_file():
        raise EdgeDeeplabError(f"{path} is missing: the model folder is incomplete; save or train it again")
    with h5py.File(path, "r") as handle:
        group = handle["model_weights"] if "model_weights" in handle else handle
        saved = {}
        for name in group.attrs["layer_names"]:
            name = name.decode() if isinstance(name, bytes) else name
            names = [n.decode() if isinstance(n, bytes) else n for n in group[name].attrs["weight_names"]]
            if names:
                saved[name] = [np.asarray(group[name][n]) for n in names]
    matched, new, mismatched = [], [], []
    for layer in model.layers:
        if not layer.weights:
            continue
        values = saved.get(layer.name)
        if values is None:
            new.append(layer.name)
            continue
        ours = [tuple(w.shape) for w in layer.weights]
        if [v.shape for v in values] != ours:
            mismatched.append((layer.name, ours, [v.shape for v in values]))
            continue
        layer.set_weights(values)
        matched.append(layer.name)
    used = set(matched) | {name for name, _, _ in mismatched}
    return InitReport(str(folder), matched, new, mismatched, [name for name in saved if name not in used])

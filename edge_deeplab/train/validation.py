"""Validation during training: mIoU and per-class IoU at the model's input size, each epoch."""

from __future__ import annotations

import math

import numpy as np


def label_predictor(model):
    """images -> int32 label maps in inference mode; built once per run, since each new tf.function
    traces the whole network again."""
    import tensorflow as tf

    return tf.function(lambda images: tf.argmax(model(images, training=False), axis=-1, output_type=tf.int32))


def validate(predict, dataset, contract, batch_size: int) -> dict:
    """mIoU and per-class IoU at the model's input size (images bilinear, masks nearest)."""
    return _val_scores(_val_confusion(predict, dataset, contract, batch_size), contract)


def validate_each(predict, datasets, contract, batch_size: int) -> dict:
    """validate() of one val set; of several, the scores of all their pixels together (val_miou, ...,
    which pick the best model) plus each set's own under val_per_dataset (keyed by dataset name)."""
    if len(datasets) == 1:
        return validate(predict, datasets[0], contract, batch_size)
    confusions = [_val_confusion(predict, dataset, contract, batch_size) for dataset in datasets]
    result = _val_scores(sum(confusions), contract)
    result["val_per_dataset"] = {
        dataset.name: _val_scores(confusion, contract) for dataset, confusion in zip(datasets, confusions)
    }
    return result


def _val_confusion(predict, dataset, contract, batch_size: int) -> np.ndarray:
    from edge_deeplab.data.pipeline import evaluation_dataset
    from edge_deeplab.metrics import confusion_matrix

    num_classes = len(contract.labels)
    confusion = np.zeros((num_classes, num_classes), np.int64)
    size = (contract.input_height, contract.input_width)
    for images, masks in evaluation_dataset(dataset, size, contract=contract, batch_size=batch_size):
        confusion += confusion_matrix(masks.numpy(), predict(images).numpy(), num_classes)
    return confusion


def _val_scores(confusion: np.ndarray, contract) -> dict:
    from edge_deeplab.metrics import mean_iou, per_class_iou

    ious = per_class_iou(confusion)
    result = {
        "val_miou": float(mean_iou(confusion)),
        "val_per_class_iou": {name: (None if math.isnan(v) else float(v)) for name, v in zip(contract.labels, ious)},
    }
    if contract.person_class is not None:
        result["val_person_iou"] = result["val_per_class_iou"][contract.labels[contract.person_class]]
    return result

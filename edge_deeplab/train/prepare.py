"""A run's model, made ready inside the distribution strategy: built or started from a saved model
(init_from), its batch norm and backbone frozen as asked, made quantization-aware for QAT, with its
optimizer and the teachers it distils from."""

from __future__ import annotations

import dataclasses
from typing import Any, Optional

from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.train.setup import freezable_batch_norm, freeze_batch_norm, init_qat_ranges, make_optimizer
from edge_deeplab.train.spec import TrainSpec


@dataclasses.dataclass
class PreparedModel:
    """What prepare_model made.

    Args:
        spec: the run's spec; QAT of a model trained with frozen batch norm keeps it frozen from step 0.
        model: the tf_keras model to train.
        optimizer: its optimizer, built (its slots exist, so a checkpoint restores them too).
        frozen_batch_norm: names of the batch-norm layers kept frozen (run.json records them).
        init_report: what init_from copied (edge_deeplab.model.saving.InitReport), or None.
        teacher_model: the Keras teacher (train/distill.py), or None.
        tflite_teachers: the TFLite teachers (train/teachers.py TfliteTeachers), or None.
        teacher_weight: the weight of the Keras teacher's distillation term.
    """

    spec: TrainSpec
    model: Any
    optimizer: Any
    frozen_batch_norm: list
    init_report: Any
    teacher_model: Any
    tflite_teachers: Any
    teacher_weight: float


def prepare_model(
    spec: TrainSpec,
    contract,
    train_set,
    steps_per_epoch: int,
    saved_frozen: Optional[list],
    restore_from: Optional[str],
    log,
) -> PreparedModel:
    """The model, its optimizer and teachers, to be called inside the strategy's scope.

    Args:
        spec: the run's spec, with its model and training configs decided.
        contract: the model's preprocessing contract.
        train_set: the training data (QAT's activation ranges are set on its representative images).
        steps_per_epoch: optimisation steps per epoch (the poly schedule's length).
        saved_frozen: on resume, the batch norm the first start froze (so the optimizer's slots match); None
            on a first start.
        restore_from: the checkpoint the run resumes from (it holds QAT's ranges), or None.
        log: one line per message.
    """
    config = spec.train_config
    model, pretrained, init_report = _start_model(spec, log)
    frozen = (
        saved_frozen
        if saved_frozen is not None
        else []
        if config.fine_tune_batch_norm or spec.qat
        else freezable_batch_norm(model, pretrained)
    )
    freeze_batch_norm(model, frozen)
    if config.freeze_backbone and not spec.qat:
        from edge_deeplab.model.weights import backbone_layers

        for layer in backbone_layers(model):
            layer.trainable = False
    if spec.qat:
        model, spec = _quantization_aware(model, spec, contract, train_set, restore_from, log)
    optimizer = make_optimizer(spec.train_config, steps_per_epoch * spec.train_config.epochs, steps_per_epoch)
    # Teachers are loaded before run.json is written: a wrong teacher leaves no run behind.
    teacher_model, tflite_teachers, teacher_weight = _load_teachers(spec, contract, log)
    optimizer.build(model.trainable_variables)  # slots exist before restore: resume restores them too
    return PreparedModel(spec, model, optimizer, frozen, init_report, teacher_model, tflite_teachers, teacher_weight)


def _start_model(spec: TrainSpec, log):
    """(model, names of its pretrained layers, InitReport or None): the init_from model itself when the
    configs agree, else a new model with the backbone weights and whatever of init_from fits."""
    from edge_deeplab.model.deeplab import build_deeplab
    from edge_deeplab.model.saving import load_matching_weights, load_model, read_model_json
    from edge_deeplab.model.weights import backbone_layers

    if spec.init_from is not None and spec.model_config == read_model_json(spec.init_from)[0]:
        model, _ = load_model(spec.init_from)
        return model, {layer.name for layer in model.layers}, None
    model = build_deeplab(spec.model_config, backbone_weights=spec.backbone_weights)
    pretrained = set()
    if spec.backbone_weights is not None:
        pretrained = {layer.name for layer in backbone_layers(model)}
    init_report = None
    if spec.init_from is not None:
        init_report = load_matching_weights(model, spec.init_from)
        pretrained |= set(init_report.matched)
        log(str(init_report))
    return model, pretrained, init_report


def _quantization_aware(model, spec: TrainSpec, contract, train_set, restore_from, log):
    """(the QAT model, the spec): QAT keeps batch norm frozen from step 0 when the float model froze it."""
    from edge_deeplab.model.qat import quantize_deeplab

    model = quantize_deeplab(model)
    config = spec.train_config
    if (
        spec.init_from is not None
        and _batch_norm_frozen_in(spec.init_from)
        and config.freeze_batch_norm_after_epochs != 0
    ):
        # Its statistics are folded or pretrained ones that training mode would overwrite at the
        # first step (measured: a warm-up with batch norm updating took preset:person's QAT
        # model to 0 person IoU on ccp-person).
        config = config.replace(freeze_batch_norm_after_epochs=0.0)
        spec = spec.replace(train_config=config)
        log("QAT: the float model was trained with frozen batch norm; QAT keeps it frozen from step 0")
    if config.qat_range_images and restore_from is None:  # a checkpoint holds its ranges
        init_qat_ranges(model, train_set, contract, config, log)
    return model, spec


def _load_teachers(spec: TrainSpec, contract, log):
    """(Keras teacher or None, TfliteTeachers or None, the Keras teacher's weight) for --distill-from:
    at most one Keras model (train/distill.py) and any number of TFLite teachers (train/teachers.py)."""
    from edge_deeplab.train.teachers import TfliteTeachers, teacher_specs

    specs = teacher_specs(spec.teacher)
    keras_specs = [teacher for teacher in specs if not teacher.is_tflite]
    tflite_specs = [teacher for teacher in specs if teacher.is_tflite]
    if len(keras_specs) > 1:
        raise EdgeDeeplabError(
            f"--distill-from: {len(keras_specs)} Keras teachers "
            f"({', '.join(map(str, keras_specs))}); give one Keras model and any number of "
            ".tflite or peer:NAME teachers"
        )
    weight = spec.train_config.distill_weight
    teacher_model = None
    if keras_specs:
        from edge_deeplab.train.distill import load_teacher

        teacher_model = load_teacher(keras_specs[0].model, spec.model_config, contract, log)
        weight = keras_specs[0].weight if keras_specs[0].weight is not None else weight
    config = spec.train_config
    if config.label_weight == 0 and not specs:
        raise EdgeDeeplabError("label_weight 0 leaves nothing to learn from: add a teacher (--distill-from)")
    if config.distill_refine != "none" and not tflite_specs:
        raise EdgeDeeplabError(
            f"--distill-refine {config.distill_refine} refines TFLite teachers' targets: add "
            "--distill-from peer:NAME or a .tflite teacher"
        )
    tflite = (
        TfliteTeachers(tflite_specs, config.distill_weight, contract, log, refine=config.distill_refine)
        if tflite_specs
        else None
    )
    return teacher_model, tflite, weight


def _batch_norm_frozen_in(model_folder) -> bool:
    """Whether the saved model was trained with (some of) its batch norm frozen (model.json)."""
    from edge_deeplab.model.saving import read_model_json

    return bool(read_model_json(model_folder)[2].get("frozen_batch_norm"))

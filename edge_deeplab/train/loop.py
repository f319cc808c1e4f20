"""The training loop: resumable, interruptible, distributable, with val mIoU every epoch.

A run is a folder:
    run.json       what was trained on what (model config, training config, data, contract)
    checkpoints/   tf.train checkpoints: model, optimizer state, epoch, step inside the epoch
    last/, best/   saved models (model.json + weights.h5) after each epoch / of the best val mIoU
    history.json   per-epoch loss, learning rate, val mIoU, per-class IoU, time and images/s
    tensorboard/   TensorBoard logs

A checkpoint is written every epoch, every `checkpoint_every_steps` steps, and when SIGINT or SIGTERM
arrives. `resume=True` restores it and rebuilds the same epoch's data order (it depends only on the
seed and the epoch), skipping the batches already seen, so a resumed run continues where it stopped.
"""
from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path
from typing import Callable, Optional

from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.io import check_writable_output, write_json
from edge_deeplab.model.config import DeepLabConfig
from edge_deeplab.train.config import TrainConfig
from edge_deeplab.train.runfolder import (HISTORY_JSON, RUN_JSON, checkpoint_prefixes, newest_intact_checkpoint,
                                         locked_run, read_run, refuse_restart_over_results)
from edge_deeplab.train.setup import (QatBatchNormFreeze, freezable_batch_norm, freeze_batch_norm, init_qat_ranges,
                                      make_optimizer, make_strategy, make_train_step)
from edge_deeplab.train.teachers import teacher_text
from edge_deeplab.train.validation import label_predictor, validate_each


class TrainingInterrupted(EdgeDeeplabError):
    """SIGINT/SIGTERM arrived; the state was checkpointed first."""


class _StopRequest:
    """Turns SIGINT/SIGTERM into a flag the loop checks between steps (a step is never cut in half)."""

    def __init__(self):
        self.signal = None
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame):
        self.signal = signum

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


@locked_run
def train(data, output, model_config: Optional[DeepLabConfig] = None, train_config: Optional[TrainConfig] = None, *,
          val_data=None, backbone_weights=None, init_from=None, teacher=None, qat: bool = False,
          resume: bool = False, labels_config=None, on_error: str = "raise",
          cpu_replicas: int = 0, deterministic: bool = False, progress: bool = True,
          log: Callable[[str], None] = print) -> dict:
    """Train a DeepLab model on `data`; validate on its val split (or `val_data`). Returns the run's
    summary (also in run.json and history.json).

    data: a dataset folder or 'synthetic', or a list of dataset specs to train on at once
    ('PATH[:labels=FILE][:weight=W]' strings or edge_deeplab.data.mix.DataSpec, see there); each
    spec without labels= uses `labels_config`. With several, every dataset's val split is scored on
    its own and together (history.json: val_per_dataset). val_data: one spec or a list, likewise.

    init_from: a saved model folder to start from. Without model_config the model is that one; with
    another model_config (e.g. a v3+ decoder on an imported v3) every layer whose name and shapes
    match is copied and the rest start fresh (edge_deeplab.model.weights.load_matching_weights; the
    log names both). teacher: a model folder or preset:NAME to distil from (train/distill.py). qat:
    quantization-aware training (edge_deeplab/model/qat.py) of that model; its saved models are QAT models."""
    output = check_writable_output(output)  # before the data is read: a run must not fail at its first write
    run_path = output / RUN_JSON
    restore_from = None
    if resume:
        run = read_run(output)
        model_config = DeepLabConfig.from_dict(run["model"], source=str(run_path))
        saved_train = TrainConfig.from_dict(run["train"], source=str(run_path))
        # Only the number of epochs may change on resume (to train longer); anything else would not
        # continue the same run.
        epochs = train_config.epochs if train_config is not None else saved_train.epochs
        train_config = saved_train.replace(epochs=epochs)
        data, val_data, labels_config = run["data"]["train"], run["data"]["val"], run["data"].get("labels")
        backbone_weights, init_from, qat = run.get("backbone_weights"), run.get("init_from"), bool(run.get("qat"))
        teacher = run.get("teacher")
        restore_from = newest_intact_checkpoint(output, log)
        if restore_from is None:
            refuse_restart_over_results(output)
            what = "no intact checkpoint" if checkpoint_prefixes(output) else \
                "no checkpoint (it stopped before its first one)"
            log(f"{output} holds {what}: starting the run from scratch with its saved options")
        else:
            backbone_weights = None  # the checkpoint holds every weight
    elif run_path.is_file():
        if checkpoint_prefixes(output):
            raise EdgeDeeplabError(f"{output} already holds a training run: pass --resume to continue it, or "
                                   "choose another --output")
        refuse_restart_over_results(output)
        log(f"{output} holds a run with no checkpoint (it stopped before its first one): starting it again")
    train_config = train_config or TrainConfig()
    if init_from is not None and not resume:
        from edge_deeplab.model.saving import read_model_json

        model_config = model_config or read_model_json(init_from)[0]

    from edge_deeplab.data.mix import data_specs, open_each, open_mix

    train_set = open_mix(data, "train", labels_config=labels_config, on_error=on_error)
    val_sets = open_each(val_data if val_data is not None else data, "val", labels_config=labels_config,
                         on_error=on_error)
    if model_config is None:
        model_config = DeepLabConfig(num_classes=len(train_set.class_names))
    if model_config.num_classes != len(train_set.class_names):
        raise EdgeDeeplabError(f"the model has {model_config.num_classes} classes but {train_set.name} has "
                               f"{len(train_set.class_names)} ({', '.join(train_set.class_names)}): set "
                               "--num-classes to match or map the labels with --labels")
    for val_set in val_sets:
        if tuple(val_set.class_names) != tuple(train_set.class_names):
            raise EdgeDeeplabError(f"train and val class names differ ({train_set.class_names} vs "
                                   f"{val_set.class_names} of {val_set.name})")
    if len(train_set) < train_config.batch_size:  # found now, before run.json: never a run that cannot start
        raise EdgeDeeplabError(f"{train_set.name}: {len(train_set)} samples are fewer than one batch of "
                               f"{train_config.batch_size}; lower the batch size")

    strategy = make_strategy(train_config.strategy, cpu_replicas)
    import tensorflow as tf
    import tf_keras

    from edge_deeplab.data.pipeline import batches_per_epoch, training_dataset
    from edge_deeplab.model.deeplab import build_deeplab
    from edge_deeplab.model.saving import default_contract, save_model
    from edge_deeplab.train.losses import make_loss

    if deterministic:
        tf.config.experimental.enable_op_determinism()
    tf_keras.utils.set_random_seed(train_config.seed)
    contract = default_contract(model_config, train_set.class_names)
    steps_per_epoch = batches_per_epoch(train_set, train_config.batch_size)
    total_steps = steps_per_epoch * train_config.epochs
    replicas = strategy.num_replicas_in_sync
    if train_config.batch_size % replicas:
        raise EdgeDeeplabError(f"batch size {train_config.batch_size} does not split over {replicas} replicas: "
                               f"use a multiple of {replicas}")

    with strategy.scope():
        from edge_deeplab.model.saving import read_model_json

        init_report = None
        if init_from is not None and model_config == read_model_json(init_from)[0]:
            from edge_deeplab.model.saving import load_model

            model, _ = load_model(init_from)
            pretrained = {layer.name for layer in model.layers}
        else:
            model = build_deeplab(model_config, backbone_weights=backbone_weights)
            pretrained = set()
            if backbone_weights is not None:
                from edge_deeplab.model.weights import backbone_layers

                pretrained = {layer.name for layer in backbone_layers(model)}
            if init_from is not None:
                from edge_deeplab.model.weights import load_matching_weights

                init_report = load_matching_weights(model, init_from)
                pretrained |= set(init_report.matched)
                log(str(init_report))
        # A resumed run freezes what its first start froze (run.json), so the optimizer's slots match.
        frozen_batch_norm = (run.get("frozen_batch_norm", []) if resume else
                             [] if train_config.fine_tune_batch_norm or qat else
                             freezable_batch_norm(model, pretrained))
        freeze_batch_norm(model, frozen_batch_norm)
        if train_config.freeze_backbone and not qat:
            from edge_deeplab.model.weights import backbone_layers

            for layer in backbone_layers(model):
                layer.trainable = False
        if qat:
            from edge_deeplab.model.qat import quantize_deeplab

            model = quantize_deeplab(model)
            if init_from is not None and _batch_norm_frozen_in(init_from) and \
                    train_config.freeze_batch_norm_after_epochs != 0:
                # Its statistics are folded or pretrained ones that training mode would overwrite at the
                # first step (measured: a warm-up with batch norm updating took preset:person's QAT
                # model to 0 person IoU on ccp-person).
                train_config = train_config.replace(freeze_batch_norm_after_epochs=0.0)
                log("QAT: the float model was trained with frozen batch norm; QAT keeps it frozen from step 0")
            if train_config.qat_range_images and restore_from is None:  # a checkpoint holds its ranges
                init_qat_ranges(model, train_set, contract, train_config, log)
        optimizer = make_optimizer(train_config, total_steps, steps_per_epoch)
        # Teachers are loaded before run.json is written: a wrong teacher leaves no run behind.
        teacher_model, tflite_teachers, teacher_weight = _load_teachers(teacher, model_config, contract,
                                                                        train_config, log)
        optimizer.build(model.trainable_variables)  # slots exist before restore: resume restores them too
    # The loop's own bookkeeping: plain variables, outside the strategy (not mirrored per replica).
    state = {"epoch": tf.Variable(0, dtype=tf.int64), "step_in_epoch": tf.Variable(0, dtype=tf.int64),
             "epoch_loss_sum": tf.Variable(0.0, dtype=tf.float64),
             "epoch_seconds": tf.Variable(0.0, dtype=tf.float64)}
    checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer, **state)
    manager = tf.train.CheckpointManager(checkpoint, str(output / "checkpoints"), max_to_keep=2)
    history = []
    if restore_from is not None:
        try:
            checkpoint.restore(restore_from).assert_existing_objects_matched()
        except (AssertionError, ValueError, tf.errors.OpError) as error:
            raise EdgeDeeplabError(f"{restore_from} does not match the model in {run_path} "
                                   f"({' '.join(str(error).split())[:120]}); start the run again in a new "
                                   "--output") from None
        if (output / HISTORY_JSON).is_file():
            history = json.loads((output / HISTORY_JSON).read_text())["epochs"]
            history = [entry for entry in history if entry["epoch"] <= int(state["epoch"])]
        if int(state["epoch"]) >= train_config.epochs:
            log(f"{output} already trained {int(state['epoch'])} of {train_config.epochs} epochs: nothing to do; "
                "pass --epochs with more to train longer")
        else:
            log(f"resuming {output} from {Path(restore_from).name} at epoch {int(state['epoch']) + 1}, step "
                f"{int(state['step_in_epoch'])} of {steps_per_epoch} (global step "
                f"{int(optimizer.iterations.numpy())})")
    else:
        output.mkdir(parents=True, exist_ok=True)
        if getattr(model, "backbone_report", None) is not None:
            log(str(model.backbone_report))
        write_json(run_path, sort_keys=True, data={
            "model": model_config.to_dict(), "train": train_config.to_dict(),
            "contract": json.loads(contract.to_json()),
            "data": {"train": _spec_text(data), "val": _spec_text(val_data if val_data is not None else data),
                     "labels": labels_config if isinstance(labels_config, (str, dict)) or labels_config is None
                     else str(labels_config),
                     "class_names": list(train_set.class_names), "train_images": len(train_set),
                     "val_images": sum(len(v) for v in val_sets),
                     **({"mix": [{"data": str(spec), "train_images": len(part), "share": float(share)}
                                 for spec, part, share in zip(data_specs(data), train_set.parts,
                                                              train_set.shares())]}
                        if hasattr(train_set, "parts") else {})},
            "backbone_weights": None if backbone_weights is None else str(backbone_weights),
            "init_from": None if init_from is None else str(init_from), "qat": qat,
            **({"teacher": teacher_text(teacher)} if teacher is not None else {}),
            "frozen_batch_norm": frozen_batch_norm,
            "init_layers": None if init_report is None else {"copied": init_report.matched,
                                                             "new": init_report.new + [
                                                                 n for n, _, _ in init_report.mismatched]},
            "replicas": replicas})

    base_size = tuple(model_config.input_size) if train_config.resize_to_input else None
    augmentation = train_config.augmentation(base_size)
    loss_fn = make_loss(train_config.loss, train_config.aux_loss_weight)
    global_batch = train_config.batch_size

    def make_step():
        return make_train_step(model, optimizer, strategy, loss_fn, global_batch, teacher_model, teacher_weight,
                               tflite_teachers)

    train_step = make_step()
    batch_norm_freeze = QatBatchNormFreeze(model, train_config.freeze_batch_norm_after_epochs, steps_per_epoch, log)

    predict = label_predictor(model)
    writer = tf.summary.create_file_writer(str(output / "tensorboard"))
    best = max((entry["val_miou"] for entry in history), default=-1.0)
    from edge_deeplab.progress import progress_bar

    with _StopRequest() as stop:
        for epoch in range(int(state["epoch"]), train_config.epochs):
            skip = int(state["step_in_epoch"])
            data_epoch = training_dataset(train_set, model_config.input_size, global_batch, train_config.seed,
                                          epoch=epoch, skip_batches=skip, contract=contract,
                                          augmentation=augmentation, cache=train_config.cache)
            # A bar on a terminal; in a log file the epoch line logged below is the progress.
            bar = progress_bar(total=steps_per_epoch * global_batch, initial=skip * global_batch, unit="img",
                               desc=f"epoch {epoch + 1}/{train_config.epochs}", enabled=progress, summary=False)
            started = time.perf_counter()
            seconds_before = float(state["epoch_seconds"])
            for images, masks in data_epoch:
                if batch_norm_freeze.due(int(optimizer.iterations.numpy())):
                    train_step = make_step()  # traced again: batch norm now calls itself in inference mode
                if tflite_teachers is not None:  # LiteRT runs between the steps, on this batch's pixels
                    loss = float(train_step(images, masks, tf.constant(tflite_teachers.targets(images.numpy()))))
                else:
                    loss = float(train_step(images, masks))
                state["step_in_epoch"].assign_add(1)
                state["epoch_loss_sum"].assign_add(loss)
                state["epoch_seconds"].assign(seconds_before + time.perf_counter() - started)
                step = int(optimizer.iterations.numpy())
                learning_rate = float(tf.convert_to_tensor(optimizer.learning_rate))
                bar.update(global_batch)
                bar.set_postfix(loss=f"{loss:.4f}", lr=f"{learning_rate:.2e}")
                with writer.as_default(step=step):
                    tf.summary.scalar("train/loss", loss)
                    tf.summary.scalar("train/learning_rate", learning_rate)
                if stop.signal is not None:
                    manager.save(checkpoint_number=step)
                    bar.close()
                    raise TrainingInterrupted(
                        f"training stopped by {signal.Signals(stop.signal).name} at epoch {epoch + 1}, step "
                        f"{int(state['step_in_epoch'])}; checkpoint saved: continue with --resume")
                if train_config.checkpoint_every_steps and step % train_config.checkpoint_every_steps == 0:
                    manager.save(checkpoint_number=step)
            bar.close()

            steps_done = int(state["step_in_epoch"])
            entry = {"epoch": epoch + 1, "step": int(optimizer.iterations.numpy()),
                     "train_loss": float(state["epoch_loss_sum"]) / max(steps_done, 1),
                     "learning_rate": float(tf.convert_to_tensor(optimizer.learning_rate)),
                     "train_seconds": float(state["epoch_seconds"]),
                     "images_per_second": steps_done * global_batch / max(float(state["epoch_seconds"]), 1e-9)}
            validation_started = time.perf_counter()
            entry.update(validate_each(predict, val_sets, contract, global_batch))
            entry["val_seconds"] = time.perf_counter() - validation_started
            with writer.as_default(step=int(optimizer.iterations.numpy())):
                tf.summary.scalar("val/miou", entry["val_miou"])
                for name, value in entry["val_per_class_iou"].items():
                    if value is not None:
                        tf.summary.scalar(f"val/iou_{name}", value)
            writer.flush()
            extra = {"epoch": epoch + 1, **_scores(entry), **({"quantization": "qat"} if qat else {}),
                     **({"frozen_batch_norm": frozen_batch_norm} if frozen_batch_norm else {})}
            save_model(model, model_config, contract, output / "last", extra=extra)
            if entry["val_miou"] > best:
                best = entry["val_miou"]
                save_model(model, model_config, contract, output / "best", extra=extra)
            entry["best"] = entry["val_miou"] >= best
            history = [h for h in history if h["epoch"] != epoch + 1] + [entry]
            write_json(output / HISTORY_JSON, {"epochs": history}, sort_keys=True)
            state["epoch"].assign(epoch + 1)
            state["step_in_epoch"].assign(0)
            state["epoch_loss_sum"].assign(0.0)
            state["epoch_seconds"].assign(0.0)
            manager.save(checkpoint_number=int(optimizer.iterations.numpy()))
            person = f", person IoU {entry['val_person_iou']:.4f}" if entry.get("val_person_iou") is not None else ""
            log(f"epoch {epoch + 1}/{train_config.epochs}: loss {entry['train_loss']:.4f}, val mIoU "
                f"{entry['val_miou']:.4f}{person}, {entry['images_per_second']:.1f} images/s")
            for name, scores in entry.get("val_per_dataset", {}).items():
                part_person = (f", person IoU {scores['val_person_iou']:.4f}"
                               if scores.get("val_person_iou") is not None else "")
                log(f"  val {name}: mIoU {scores['val_miou']:.4f}{part_person}")
    return {"output": str(output), "epochs": history, "best_val_miou": best,
            "global_step": int(optimizer.iterations.numpy()), "replicas": replicas}


def _load_teachers(teacher, model_config, contract, train_config, log):
    """(Keras teacher or None, TfliteTeachers or None, the Keras teacher's weight) for --distill-from:
    at most one Keras model (train/distill.py) and any number of TFLite teachers (train/teachers.py)."""
    from edge_deeplab.train.teachers import TfliteTeachers, teacher_specs

    specs = teacher_specs(teacher)
    keras_specs = [spec for spec in specs if not spec.is_tflite]
    tflite_specs = [spec for spec in specs if spec.is_tflite]
    if len(keras_specs) > 1:
        raise EdgeDeeplabError(f"--distill-from: {len(keras_specs)} Keras teachers ({', '.join(map(str, keras_specs))});"
                               " give one Keras model and any number of .tflite or peer:NAME teachers")
    teacher_model, weight = None, train_config.distill_weight
    if keras_specs:
        from edge_deeplab.train.distill import load_teacher

        teacher_model = load_teacher(keras_specs[0].model, model_config, contract, log)
        weight = keras_specs[0].weight if keras_specs[0].weight is not None else weight
    tflite = TfliteTeachers(tflite_specs, train_config.distill_weight, contract, log) if tflite_specs else None
    return teacher_model, tflite, weight


def _spec_text(data):
    """run.json's record of the data: one string as before, or a list of spec strings for a mix."""
    from edge_deeplab.data.mix import data_specs

    specs = data_specs(data)
    return str(specs[0]) if len(specs) == 1 else [str(spec) for spec in specs]


def _scores(entry: dict) -> dict:
    return {key: entry[key] for key in ("val_miou", "val_person_iou") if entry.get(key) is not None}


def _batch_norm_frozen_in(model_folder) -> bool:
    """Whether the saved model was trained with (some of) its batch norm frozen (model.json)."""
    from edge_deeplab.model.saving import read_model_json

    return bool(read_model_json(model_folder)[2].get("frozen_batch_norm"))

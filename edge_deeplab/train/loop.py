"""The training loop: resumable, interruptible, distributable, with val mIoU every epoch.

A run is a folder:
    run.json       what was trained on what (model config, training config, data, contract)
    checkpoints/   tf.train checkpoints: model, optimizer state, epoch, step inside the epoch
    last/, best/   saved models (model.json + weights.h5) after each epoch / of the best val mIoU
    history.json   per-epoch loss (and its mean over each LOSS_POINTS-th of the epoch), learning rate, val mIoU,
                   per-class IoU, time and images/s
    tensorboard/   TensorBoard logs

A checkpoint is written every epoch, every `checkpoint_every_steps` steps, and when SIGINT or SIGTERM
arrives. `resume=True` restores it and rebuilds the same epoch's data order (it depends only on the
seed and the epoch), skipping the batches already seen, so a resumed run continues where it stopped.
"""

from __future__ import annotations

import dataclasses
import signal
import threading
import time
from pathlib import Path
from typing import Any, Callable

from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.io import check_writable_output, write_json
from edge_deeplab.model.config import DeepLabConfig
from edge_deeplab.progress import say
from edge_deeplab.settings import read_json_object
from edge_deeplab.train.prepare import PreparedModel, prepare_model
from edge_deeplab.train.runfolder import HISTORY_JSON, RUN_JSON, locked_run, open_run_folder, save_checkpoint
from edge_deeplab.train.setup import TrainStep, make_strategy
from edge_deeplab.train.spec import TrainSpec, run_record
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


#: Points per epoch of the loss curve in history.json ("train_loss_points"): a one-epoch run (the main job's
#: QAT) still draws a curve, not a dot.
LOSS_POINTS = 20


@locked_run
def train(
    spec: TrainSpec, output, *, resume: bool = False, progress: bool = True, log: Callable[[str], None] = say
) -> dict:
    """Train the model `spec` describes, validating every epoch; the run's summary is returned (and kept in
    run.json and history.json).

    Args:
        spec: what to train, on what, from what (TrainSpec).
        output: the run folder (see the module docstring).
        resume: continue the run in `output` from its newest intact checkpoint, with the spec its run.json
            recorded (only spec.train_config's epochs count, to train longer).
        progress: a progress bar per epoch on a terminal.
        log: receives every message, one line each.

    Returns:
        {"output", "epochs" (the history), "best_val_miou", "global_step", "replicas"}.
    """
    output = check_writable_output(output)  # before the data is read: a run must not fail at its first write
    spec, restore_from, saved_frozen = open_run_folder(spec, output, resume, log)
    spec, train_set, val_sets = _open_data(spec)
    run = _build_run(spec, output, train_set, val_sets, saved_frozen, restore_from, log)
    if restore_from is not None:
        history = _restore(run, restore_from, log)
    else:
        output.mkdir(parents=True, exist_ok=True)
        if getattr(run.model, "backbone_report", None) is not None:
            log(str(run.model.backbone_report))
        write_json(
            output / RUN_JSON,
            run_record(
                run.spec,
                run.contract,
                train_set,
                val_sets,
                run.frozen_batch_norm,
                run.prepared.init_report,
                run.replicas,
            ),
            sort_keys=True,
        )
        history = []
    history, best = _epoch_loop(run, history, progress, log)
    return {
        "output": str(output),
        "epochs": history,
        "best_val_miou": best,
        "global_step": int(run.optimizer.iterations.numpy()),
        "replicas": run.replicas,
    }


def _open_data(spec: TrainSpec):
    """(spec with its model config decided, the training set, the val sets), checked against each other
    before anything is written."""
    from edge_deeplab.data.mix import open_each, open_mix

    train_set = open_mix(spec.data, "train", labels_config=spec.labels_config, on_error=spec.on_error)
    val_sets = open_each(spec.validation_data, "val", labels_config=spec.labels_config, on_error=spec.on_error)
    if spec.model_config is None:
        spec = spec.replace(model_config=DeepLabConfig(num_classes=len(train_set.class_names)))
    if spec.model_config.num_classes != len(train_set.class_names):
        raise EdgeDeeplabError(
            f"the model has {spec.model_config.num_classes} classes but {train_set.name} has "
            f"{len(train_set.class_names)} ({', '.join(train_set.class_names)}): set "
            "--num-classes to match or map the labels with --labels"
        )
    for val_set in val_sets:
        if tuple(val_set.class_names) != tuple(train_set.class_names):
            raise EdgeDeeplabError(
                f"train and val class names differ ({train_set.class_names} vs {val_set.class_names} of {val_set.name})"
            )
    if len(train_set) < spec.train_config.batch_size:  # found now, before run.json: never a run that cannot start
        raise EdgeDeeplabError(
            f"{train_set.name}: {len(train_set)} samples are fewer than one batch of "
            f"{spec.train_config.batch_size}; lower the batch size"
        )
    return spec, train_set, val_sets


@dataclasses.dataclass
class _Run:
    """A run's parts once built: what the epoch loop works with."""

    output: Path
    train_set: Any
    val_sets: list
    contract: Any
    steps_per_epoch: int
    strategy: Any
    prepared: PreparedModel
    state: dict  # the loop's own bookkeeping: epoch, step in it, its loss sum and seconds
    checkpoint: Any
    manager: Any

    spec = property(lambda self: self.prepared.spec)
    model = property(lambda self: self.prepared.model)
    optimizer = property(lambda self: self.prepared.optimizer)
    frozen_batch_norm = property(lambda self: self.prepared.frozen_batch_norm)
    replicas = property(lambda self: self.strategy.num_replicas_in_sync)
    step = property(lambda self: int(self.optimizer.iterations.numpy()))


def _build_run(spec: TrainSpec, output: Path, train_set, val_sets, saved_frozen, restore_from, log) -> _Run:
    """The strategy, the model with its optimizer and teachers, and the checkpoint that holds them."""
    strategy = make_strategy(spec.train_config.strategy, spec.cpu_replicas)
    import tensorflow as tf
    import tf_keras

    from edge_deeplab.data.pipeline import batches_per_epoch
    from edge_deeplab.model.saving import default_contract

    if spec.deterministic:
        tf.config.experimental.enable_op_determinism()
    tf_keras.utils.set_random_seed(spec.train_config.seed)
    contract = default_contract(spec.model_config, train_set.class_names)
    steps_per_epoch = batches_per_epoch(train_set, spec.train_config.batch_size)
    replicas = strategy.num_replicas_in_sync
    if spec.train_config.batch_size % replicas:
        raise EdgeDeeplabError(
            f"batch size {spec.train_config.batch_size} does not split over {replicas} replicas: "
            f"use a multiple of {replicas}"
        )
    with strategy.scope():
        prepared = prepare_model(spec, contract, train_set, steps_per_epoch, saved_frozen, restore_from, log)
    # The loop's own bookkeeping: plain variables, outside the strategy (not mirrored per replica).
    state = {
        "epoch": tf.Variable(0, dtype=tf.int64),
        "step_in_epoch": tf.Variable(0, dtype=tf.int64),
        "epoch_loss_sum": tf.Variable(0.0, dtype=tf.float64),
        "epoch_seconds": tf.Variable(0.0, dtype=tf.float64),
        # The loss summed over each LOSS_POINTS-th of the epoch, and its steps: checkpointed, so a resumed
        # epoch's curve keeps the part before the kill.
        "segment_loss_sum": tf.Variable(tf.zeros(LOSS_POINTS, tf.float64)),
        "segment_steps": tf.Variable(tf.zeros(LOSS_POINTS, tf.int64)),
    }
    checkpoint = tf.train.Checkpoint(model=prepared.model, optimizer=prepared.optimizer, **state)
    manager = tf.train.CheckpointManager(checkpoint, str(output / "checkpoints"), max_to_keep=2)
    return _Run(output, train_set, val_sets, contract, steps_per_epoch, strategy, prepared, state, checkpoint, manager)


def _restore(run: _Run, restore_from: str, log) -> list:
    """Restore the checkpoint into the run; the history of the epochs it holds."""
    import tensorflow as tf

    try:
        checkpoint = run.checkpoint
        if not any(name.startswith("segment_loss_sum") for name, _ in tf.train.list_variables(restore_from)):
            # A checkpoint from before the loss curve's segments: the epoch's curve starts at the resume.
            kept = {name: value for name, value in run.state.items() if not name.startswith("segment_")}
            checkpoint = tf.train.Checkpoint(model=run.model, optimizer=run.optimizer, **kept)
        checkpoint.restore(restore_from).assert_existing_objects_matched()
    except (AssertionError, ValueError, tf.errors.OpError) as error:
        raise EdgeDeeplabError(
            f"{restore_from} does not match the model in {run.output / RUN_JSON} "
            f"({' '.join(str(error).split())[:120]}); start the run again in a new "
            "--output"
        ) from None
    epoch, epochs = int(run.state["epoch"]), run.spec.train_config.epochs
    history = []
    if (run.output / HISTORY_JSON).is_file():
        history = read_json_object(run.output / HISTORY_JSON, "training history", "the finished epochs")["epochs"]
        history = [entry for entry in history if entry["epoch"] <= epoch]
    if epoch >= epochs:
        log(
            f"{run.output} already trained {epoch} of {epochs} epochs: nothing to do; "
            "pass --epochs with more to train longer"
        )
    else:
        log(
            f"resuming {run.output} from {Path(restore_from).name} at epoch {epoch + 1}, step "
            f"{int(run.state['step_in_epoch'])} of {run.steps_per_epoch} (global step {run.step})"
        )
    return history


def _epoch_loop(run: _Run, history: list, progress: bool, log):
    """Train the epochs left, validating, saving and checkpointing after each; (history, best val mIoU)."""
    import tensorflow as tf

    config = run.spec.train_config
    augmentation = config.augmentation(tuple(run.spec.model_config.input_size) if config.resize_to_input else None)
    steps = TrainStep(run.prepared, run.strategy, run.steps_per_epoch, log)
    predict = label_predictor(run.model)
    writer = tf.summary.create_file_writer(str(run.output / "tensorboard"))
    best = max((entry["val_miou"] for entry in history), default=-1.0)
    with _StopRequest() as stop:
        for epoch in range(int(run.state["epoch"]), config.epochs):
            _train_epoch(run, epoch, steps, augmentation, writer, stop, progress)
            history, best = _finish_epoch(run, epoch, history, best, predict, writer, log)
    return history, best


def _train_epoch(
    run: _Run, epoch: int, steps: TrainStep, augmentation, writer, stop: _StopRequest, progress: bool
) -> None:
    """The epoch's steps from where its checkpoint left it; a stop request checkpoints and raises."""
    import tensorflow as tf

    from edge_deeplab.data.pipeline import training_dataset
    from edge_deeplab.progress import progress_bar

    config, state, batch = run.spec.train_config, run.state, run.spec.train_config.batch_size
    skip = int(state["step_in_epoch"])
    data_epoch = training_dataset(
        run.train_set,
        run.spec.model_config.input_size,
        batch,
        config.seed,
        epoch=epoch,
        skip_batches=skip,
        contract=run.contract,
        augmentation=augmentation,
        cache=config.cache,
    )
    # A bar on a terminal; in a log file the epoch line logged below is the progress.
    bar = progress_bar(
        total=run.steps_per_epoch * batch,
        initial=skip * batch,
        unit="img",
        desc=f"epoch {epoch + 1}/{config.epochs}",
        enabled=progress,
        summary=False,
    )
    started = time.perf_counter()
    seconds_before = float(state["epoch_seconds"])
    for images, masks in data_epoch:
        loss = steps(images, masks)
        state["step_in_epoch"].assign_add(1)
        state["epoch_loss_sum"].assign_add(loss)
        segment = min(LOSS_POINTS - 1, (int(state["step_in_epoch"]) - 1) * LOSS_POINTS // run.steps_per_epoch)
        state["segment_loss_sum"][segment].assign(state["segment_loss_sum"][segment] + float(loss))
        state["segment_steps"][segment].assign(state["segment_steps"][segment] + 1)
        state["epoch_seconds"].assign(seconds_before + time.perf_counter() - started)
        step = run.step
        learning_rate = float(tf.convert_to_tensor(run.optimizer.learning_rate))
        bar.update(batch)
        bar.set_postfix(loss=f"{loss:.4f}", lr=f"{learning_rate:.2e}")
        with writer.as_default(step=step):
            tf.summary.scalar("train/loss", loss)
            tf.summary.scalar("train/learning_rate", learning_rate)
        if stop.signal is not None:
            save_checkpoint(run.manager, step)
            bar.close()
            raise TrainingInterrupted(
                f"training stopped by {signal.Signals(stop.signal).name} at epoch {epoch + 1}, step "
                f"{int(state['step_in_epoch'])}; checkpoint saved: continue with --resume"
            )
        if config.checkpoint_every_steps and step % config.checkpoint_every_steps == 0:
            save_checkpoint(run.manager, step)
    bar.close()


def _finish_epoch(run: _Run, epoch: int, history: list, best: float, predict, writer, log):
    """Validate, save last/ (and best/), append to the history, checkpoint; (history, best val mIoU)."""
    import tensorflow as tf

    from edge_deeplab.model.saving import save_model

    spec, state, batch = run.spec, run.state, run.spec.train_config.batch_size
    steps_done = int(state["step_in_epoch"])
    entry = {
        "epoch": epoch + 1,
        "step": run.step,
        "train_loss": float(state["epoch_loss_sum"]) / max(steps_done, 1),
        "train_loss_points": _loss_points(state, epoch, run.steps_per_epoch),
        "learning_rate": float(tf.convert_to_tensor(run.optimizer.learning_rate)),
        "train_seconds": float(state["epoch_seconds"]),
        "images_per_second": steps_done * batch / max(float(state["epoch_seconds"]), 1e-9),
    }
    validation_started = time.perf_counter()
    entry.update(validate_each(predict, run.val_sets, run.contract, batch))
    entry["val_seconds"] = time.perf_counter() - validation_started
    with writer.as_default(step=run.step):
        tf.summary.scalar("val/miou", entry["val_miou"])
        for name, value in entry["val_per_class_iou"].items():
            if value is not None:
                tf.summary.scalar(f"val/iou_{name}", value)
    writer.flush()
    extra = {
        "epoch": epoch + 1,
        **_scores(entry),
        **({"quantization": "qat"} if spec.qat else {}),
        **({"frozen_batch_norm": run.frozen_batch_norm} if run.frozen_batch_norm else {}),
    }
    save_model(run.model, spec.model_config, run.contract, run.output / "last", extra=extra)
    if entry["val_miou"] > best:
        best = entry["val_miou"]
        save_model(run.model, spec.model_config, run.contract, run.output / "best", extra=extra)
    entry["best"] = entry["val_miou"] >= best
    history = [h for h in history if h["epoch"] != epoch + 1] + [entry]
    write_json(run.output / HISTORY_JSON, {"epochs": history}, sort_keys=True)
    state["epoch"].assign(epoch + 1)
    for name, zero in (("step_in_epoch", 0), ("epoch_loss_sum", 0.0), ("epoch_seconds", 0.0)):
        state[name].assign(zero)
    for name in ("segment_loss_sum", "segment_steps"):
        state[name].assign(tf.zeros_like(state[name]))
    save_checkpoint(run.manager, run.step)
    _log_epoch(entry, epoch, spec.train_config.epochs, log)
    return history, best


def _loss_points(state: dict, epoch: int, steps_per_epoch: int) -> list:
    """[[epoch position at the segment's end, its mean loss], ...] for the segments that ran (epoch 1 = 0..1)."""
    sums, steps = state["segment_loss_sum"].numpy(), state["segment_steps"].numpy()
    points, done = [], 0
    for total, count in zip(sums, steps):
        done += int(count)
        if count:
            points.append([round(epoch + done / steps_per_epoch, 4), float(total) / int(count)])
    return points


def _log_epoch(entry: dict, epoch: int, epochs: int, log) -> None:
    person = f", person IoU {entry['val_person_iou']:.4f}" if entry.get("val_person_iou") is not None else ""
    log(
        f"epoch {epoch + 1}/{epochs}: loss {entry['train_loss']:.4f}, val mIoU "
        f"{entry['val_miou']:.4f}{person}, {entry['images_per_second']:.1f} images/s"
    )
    for name, scores in entry.get("val_per_dataset", {}).items():
        part_person = f", person IoU {scores['val_person_iou']:.4f}" if scores.get("val_person_iou") is not None else ""
        log(f"  val {name}: mIoU {scores['val_miou']:.4f}{part_person}")


def _scores(entry: dict) -> dict:
    return {key: entry[key] for key in ("val_miou", "val_person_iou") if entry.get(key) is not None}

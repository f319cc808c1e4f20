"""What a training run is built from: the tf.distribute strategy, the optimizer with its poly
schedule, and the batch-norm layers fine_tune_batch_norm=False freezes."""

from __future__ import annotations

from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.train.config import TrainConfig


def make_strategy(name: str, cpu_replicas: int = 0):
    """The tf.distribute strategy of TrainConfig.strategy. cpu_replicas > 1 splits the CPU into that
    many logical devices (for trying mirrored training without GPUs); it must run before TensorFlow
    initialises its devices."""
    import tensorflow as tf

    if cpu_replicas > 1:
        try:
            cpu = tf.config.list_physical_devices("CPU")[0]
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * cpu_replicas)
        except RuntimeError:
            raise EdgeDeeplabError(
                "--cpu-replicas must be set before TensorFlow starts: run it in a fresh process"
            ) from None
    if name == "none":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        devices = [d.name for d in tf.config.list_logical_devices("GPU")]
        return tf.distribute.MirroredStrategy(devices or [d.name for d in tf.config.list_logical_devices("CPU")])
    return tf.distribute.MultiWorkerMirroredStrategy()  # the cluster comes from TF_CONFIG


def make_optimizer(config: TrainConfig, total_steps: int, steps_per_epoch: int):
    """The run's optimizer with its poly schedule; batch-norm scale and offset and biases are not decayed.

    Args:
        config: the TrainConfig (optimizer, learning rate, poly power, warm-up, momentum, weight decay).
        total_steps: the steps of the whole run.
        steps_per_epoch: to count the warm-up's epochs in steps.

    Returns:
        A tf_keras SGD (with momentum) or AdamW optimizer.
    """
    import tf_keras

    from edge_deeplab.train.schedule import PolyDecay

    schedule = PolyDecay(
        config.learning_rate,
        total_steps,
        config.poly_power,
        warmup_steps=int(round(config.warmup_epochs * steps_per_epoch)),
    )
    if config.optimizer == "sgd":
        optimizer = tf_keras.optimizers.SGD(
            schedule, momentum=config.momentum, weight_decay=config.weight_decay_or_default
        )
    else:
        optimizer = tf_keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay_or_default)
    # Batch-norm scale/offset and biases are not decayed (DeepLab regularises weights only).
    optimizer.exclude_from_weight_decay(var_names=["gamma", "beta", "bias"])
    return optimizer


def freezable_batch_norm(model, pretrained: set) -> list:
    """The batch-norm layers that came with pretrained weights (backbone file or --init-from)."""
    import tf_keras

    return [
        layer.name
        for layer in model.layers
        if isinstance(layer, tf_keras.layers.BatchNormalization) and layer.name in pretrained
    ]


def freeze_batch_norm(model, names) -> None:
    """TF-DeepLab's fine_tune_batch_norm=False for these layers: a Keras BatchNormalization that is not
    trainable keeps its moving statistics, gamma and beta, and normalises as at inference, whatever the
    `training` flag. New layers (a fresh decoder) keep learning theirs: frozen at their initial
    identity statistics, a new decoder fed by an imported backbone's large activations died (constant
    logits after one epoch, measured)."""
    names = set(names)
    for layer in model.layers:
        if layer.name in names:
            layer.trainable = False


def make_train_step(
    model,
    optimizer,
    strategy,
    loss_fn,
    global_batch: int,
    teacher=None,
    distill_weight=0.0,
    tflite_teachers=None,
    label_weight: float = 1.0,
):
    """One (distributed) optimisation step as a tf.function; the sum of the replicas' losses. With a
    Keras teacher, distill_weight times its distillation term (train/distill.py) is added to each
    example's loss; with TFLite teachers (train/teachers.py), their weighted person distillation, from
    the targets they computed on the batch (the step's third argument). label_weight scales the loss on
    the labels (0: the teachers alone)."""
    import tensorflow as tf

    from edge_deeplab.train.distill import distillation
    from edge_deeplab.train.teachers import person_distillation

    def step_fn(images, masks, targets=None):
        with tf.GradientTape() as tape:
            logits = model(images, training=True)
            per_example = label_weight * loss_fn(masks, logits)
            if teacher is not None:
                per_example += distill_weight * distillation(teacher(images, training=False), logits)
            if targets is not None:
                per_example += person_distillation(targets, tflite_teachers.weights, logits, tflite_teachers.person)
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    @tf.function
    def train_step(images, masks, targets=None):
        per_replica = strategy.run(step_fn, args=(images, masks) if targets is None else (images, masks, targets))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    return train_step


def init_qat_ranges(model, train_set, contract, config: TrainConfig, log) -> None:
    """QAT's activation ranges from the float model on the images int8 export calibrates on."""
    from edge_deeplab.data.representative import representative_images
    from edge_deeplab.model.qat import init_activation_ranges

    images, _ = representative_images(train_set, contract, config.qat_range_images)
    count = init_activation_ranges(model, images, batch_size=config.batch_size)
    log(
        f"QAT: {count} activation ranges set from the float model on {len(images)} representative images "
        "(the int8 calibration set)"
    )


class QatBatchNormFreeze:
    """The QAT recipe's batch-norm freeze (TF-DeepLab, the TF quantization whitepaper): after
    `after_epochs` (counted in steps, so a resumed run freezes at the same step, or at once if its
    checkpoint is past it) every batch norm keeps its moving statistics. None: never."""

    def __init__(self, model, after_epochs, steps_per_epoch: int, log):
        self.model, self.log, self.frozen = model, log, False
        self.step = None if after_epochs is None else int(round(after_epochs * steps_per_epoch))

    def due(self, step: int) -> bool:
        """Freeze now if the step has come; True when it just happened (the train step must be traced again)."""
        if self.step is None or self.frozen or step < self.step:
            return False
        from edge_deeplab.model.qat import freeze_batch_norm_statistics

        count = freeze_batch_norm_statistics(self.model)
        self.frozen = True
        self.log(f"batch norm frozen at step {step}: {count} layers keep their moving statistics from here on")
        return True


class TrainStep:
    """The traced optimisation step of a prepared model (train/prepare.py), traced again when QAT's
    batch-norm freeze comes (batch norm then calls itself in inference mode); TFLite teachers run between
    the steps, on the batch's pixels.

    Args:
        prepared: the PreparedModel (model, optimizer, teachers, spec).
        strategy: the tf.distribute strategy it was built in.
        steps_per_epoch: to count the freeze's epochs in steps.
        log: one line per message.
    """

    def __init__(self, prepared, strategy, steps_per_epoch: int, log):
        from edge_deeplab.train.losses import make_loss

        self.prepared, self.strategy = prepared, strategy
        config = prepared.spec.train_config
        self.loss = make_loss(config.loss, config.aux_loss_weight)
        self.freeze = QatBatchNormFreeze(prepared.model, config.freeze_batch_norm_after_epochs, steps_per_epoch, log)
        self.traced = self._trace()

    def _trace(self):
        prepared = self.prepared
        return make_train_step(
            prepared.model,
            prepared.optimizer,
            self.strategy,
            self.loss,
            prepared.spec.train_config.batch_size,
            prepared.teacher_model,
            prepared.teacher_weight,
            prepared.tflite_teachers,
            label_weight=prepared.spec.train_config.label_weight,
        )

    def __call__(self, images, masks) -> float:
        """One step on the batch; its loss."""
        import tensorflow as tf

        if self.freeze.due(int(self.prepared.optimizer.iterations.numpy())):
            self.traced = self._trace()
        teachers = self.prepared.tflite_teachers
        if teachers is not None:
            return float(self.traced(images, masks, tf.constant(teachers.targets(images.numpy()))))
        return float(self.traced(images, masks))

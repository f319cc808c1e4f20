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
            raise EdgeDeeplabError("--cpu-replicas must be set before TensorFlow starts: run it in a fresh "
                                   "process") from None
    if name == "none":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        devices = [d.name for d in tf.config.list_logical_devices("GPU")]
        return tf.distribute.MirroredStrategy(devices or [d.name for d in tf.config.list_logical_devices("CPU")])
    return tf.distribute.MultiWorkerMirroredStrategy()  # the cluster comes from TF_CONFIG


def make_optimizer(config: TrainConfig, total_steps: int, steps_per_epoch: int):
    import tf_keras

    from edge_deeplab.train.schedule import PolyDecay

    schedule = PolyDecay(config.learning_rate, total_steps, config.poly_power,
                         warmup_steps=int(round(config.warmup_epochs * steps_per_epoch)))
    if config.optimizer == "sgd":
        optimizer = tf_keras.optimizers.SGD(schedule, momentum=config.momentum,
                                            weight_decay=config.weight_decay_or_default)
    else:
        optimizer = tf_keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay_or_default)
    # Batch-norm scale/offset and biases are not decayed (DeepLab regularises weights only).
    optimizer.exclude_from_weight_decay(var_names=["gamma", "beta", "bias"])
    return optimizer




def freezable_batch_norm(model, pretrained: set) -> list:
    """The batch-norm layers that came with pretrained weights (backbone file or --init-from)."""
    import tf_keras

    return [layer.name for layer in model.layers
            if isinstance(layer, tf_keras.layers.BatchNormalization) and layer.name in pretrained]


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

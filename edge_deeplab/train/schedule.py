"""The papers' "poly" learning-rate policy with a linear warm-up.

lr(step) = base * (1 - step / total_steps) ** power after warm-up (DeepLab v2, section 4; power 0.9),
and base * step / warmup_steps during warm-up, which keeps the first steps of a freshly initialised
ASPP and decoder from wrecking the pretrained backbone.
"""

import tensorflow as tf
import tf_keras


@tf_keras.utils.register_keras_serializable(package="edge_deeplab")
class PolyDecay(tf_keras.optimizers.schedules.LearningRateSchedule):
    """DeepLab's "poly" learning rate: (base - end) * (1 - step / total_steps) ** power + end, after an optional
    linear warm-up (the lower of the two while it lasts).

    Args:
        base_learning_rate: the rate at step 0 (after warm-up).
        total_steps: the steps of the whole run; the rate reaches `end_learning_rate` there.
        power: the poly exponent (0.9 in the papers).
        warmup_steps: the steps of the linear warm-up (0: none).
        end_learning_rate: the rate at the last step.
    """

    def __init__(self, base_learning_rate, total_steps, power=0.9, warmup_steps=0, end_learning_rate=0.0):
        self.base_learning_rate = float(base_learning_rate)
        self.total_steps = int(total_steps)
        self.power = float(power)
        self.warmup_steps = int(warmup_steps)
        self.end_learning_rate = float(end_learning_rate)

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        progress = tf.clip_by_value(step / max(self.total_steps, 1), 0.0, 1.0)
        poly = (self.base_learning_rate - self.end_learning_rate) * (
            1.0 - progress
        ) ** self.power + self.end_learning_rate
        if self.warmup_steps:
            warmup = self.base_learning_rate * (step + 1.0) / self.warmup_steps
            return tf.where(step < self.warmup_steps, tf.minimum(warmup, poly), poly)
        return poly

    def get_config(self):
        return {
            "base_learning_rate": self.base_learning_rate,
            "total_steps": self.total_steps,
            "power": self.power,
            "warmup_steps": self.warmup_steps,
            "end_learning_rate": self.end_learning_rate,
        }

"""Segmentation losses over logits [B, H, W, C] and labels [B, H, W] with 255 = ignore.

Each returns one value per example (averaged over that example's labelled pixels), so that a
tf.distribute replica can scale by the global batch size (tf.nn.compute_average_loss).
"""

import tensorflow as tf

from edge_deeplab.contract import IGNORE_LABEL


def _valid(labels):
    labels = tf.cast(labels, tf.int32)
    valid = tf.not_equal(labels, IGNORE_LABEL)
    return tf.where(valid, labels, 0), tf.cast(valid, tf.float32)


def cross_entropy(labels, logits):
    """Softmax cross-entropy over the labelled pixels; ignore pixels cost nothing."""
    labels, valid = _valid(labels)
    pixel = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=tf.cast(logits, tf.float32))
    return tf.reduce_sum(pixel * valid, axis=[1, 2]) / tf.maximum(tf.reduce_sum(valid, axis=[1, 2]), 1.0)


def dice(labels, logits, smooth=1.0):
    """1 - soft Dice of the foreground classes (all but class 0): a region loss that does not let the
    dominant background (77 % of ccp-person's pixels) swamp the person."""
    labels, valid = _valid(labels)
    num_classes = logits.shape[-1]
    probabilities = tf.nn.softmax(tf.cast(logits, tf.float32))[..., 1:] * valid[..., None]
    truth = tf.one_hot(labels, num_classes)[..., 1:] * valid[..., None]
    intersection = tf.reduce_sum(probabilities * truth, axis=[1, 2])
    total = tf.reduce_sum(probabilities, axis=[1, 2]) + tf.reduce_sum(truth, axis=[1, 2])
    return tf.reduce_mean(1.0 - (2.0 * intersection + smooth) / (total + smooth), axis=-1)


def _lovasz_gradient(truth_sorted):
    """Gradient of the Lovasz extension of the Jaccard loss w.r.t. sorted errors (Berman et al. 2018, Alg. 1)."""
    total = tf.reduce_sum(truth_sorted)
    intersection = total - tf.cumsum(truth_sorted)
    union = total + tf.cumsum(1.0 - truth_sorted)
    jaccard = 1.0 - intersection / union
    return tf.concat([jaccard[:1], jaccard[1:] - jaccard[:-1]], axis=0)


def lovasz_softmax(labels, logits):
    """Lovasz-softmax (Berman, Triki, Blaschko, CVPR 2018): a direct surrogate of the IoU, averaged
    over the classes present in each image. Ignore pixels get zero error, so they sort last and add
    nothing."""
    labels, valid = _valid(labels)
    num_classes = logits.shape[-1]
    probabilities = tf.nn.softmax(tf.cast(logits, tf.float32))

    def per_image(args):
        image_labels, image_probabilities, image_valid = args
        flat_labels = tf.reshape(image_labels, [-1])
        flat_probabilities = tf.reshape(image_probabilities, [-1, num_classes])
        flat_valid = tf.reshape(image_valid, [-1])
        losses, present = [], []
        for c in range(num_classes):
            truth = tf.cast(tf.equal(flat_labels, c), tf.float32) * flat_valid
            errors = tf.abs(truth - flat_probabilities[:, c]) * flat_valid
            errors_sorted, order = tf.math.top_k(errors, k=tf.shape(errors)[0])
            gradient = tf.stop_gradient(_lovasz_gradient(tf.gather(truth, order)))
            losses.append(tf.tensordot(errors_sorted, gradient, 1))
            present.append(tf.cast(tf.reduce_sum(truth) > 0, tf.float32))
        losses, present = tf.stack(losses), tf.stack(present)
        return tf.reduce_sum(losses * present) / tf.maximum(tf.reduce_sum(present), 1.0)

    return tf.map_fn(per_image, (labels, probabilities, valid), fn_output_signature=tf.float32)


def make_loss(name: str, aux_weight: float = 1.0):
    """The per-example loss for TrainConfig.loss: 'ce', 'ce+dice' or 'ce+lovasz'."""
    extra = {"ce": None, "ce+dice": dice, "ce+lovasz": lovasz_softmax}[name]
    if extra is None:
        return cross_entropy
    return lambda labels, logits: cross_entropy(labels, logits) + aux_weight * extra(labels, logits)

"""Knowledge distillation from a teacher model (Hinton et al. 2015), used as Learning without
Forgetting (Li and Hoiem, 2016): while the student learns one dataset's masks, it also matches, on
every pixel of the same augmented batch, the per-pixel class probabilities of the model it started
from. Why: fine-tuning the imported COCO + VOC DeepLab on ccp-person alone taught it ccp's prior (a
person in every photo, nothing else) and cost 8 to 17 points of person IoU on everyday photos
(benchmarks/results/generalize_experiments.md); the teacher keeps saying what is not a person, also
on pixels the labels ignore (bystanders after `edge-deeplab relabel`).
"""

from __future__ import annotations

from edge_deeplab.errors import EdgeDeeplabError


def load_teacher(spec, model_config, contract, log):
    """The teacher (a saved model folder or preset:NAME) as a frozen Keras model at the student's input
    size (its weights do not depend on it), after checking it speaks the student's classes and input
    normalisation."""
    from edge_deeplab.model.saving import load_model, read_model_json

    teacher_config, teacher_contract, document = read_model_json(spec)
    if document.get("quantization") == "qat":
        raise EdgeDeeplabError(f"{spec}: the teacher is a QAT model; distil from its float model")
    if list(teacher_contract.labels) != list(contract.labels):
        raise EdgeDeeplabError(
            f"{spec}: the teacher's classes ({', '.join(teacher_contract.labels)}) differ from "
            f"the training data's ({', '.join(contract.labels)}); import or train a teacher "
            "with the same classes (e.g. `edge-deeplab model import ... --classes "
            f"{','.join(contract.labels)}`)"
        )
    if (list(teacher_contract.mean), list(teacher_contract.std)) != (list(contract.mean), list(contract.std)):
        raise EdgeDeeplabError(
            f"{spec}: the teacher normalises its input with mean {list(teacher_contract.mean)} "
            f"and std {list(teacher_contract.std)}, the student with {list(contract.mean)} and "
            f"{list(contract.std)}: both must see the same pixels"
        )
    teacher, _ = load_model(spec, input_size=tuple(model_config.input_size))
    teacher.trainable = False
    log(
        f"distilling from {spec}: DeepLab {'v3+' if teacher_config.use_decoder else 'v3'}, output stride "
        f"{teacher_config.output_stride}, width {teacher_config.depth_multiplier:g}"
    )
    return teacher


def distillation(teacher_logits, logits):
    """Per example: the mean over all pixels of KL(teacher || student) between the per-pixel softmaxes
    (temperature 1). Zero when the student copies the teacher."""
    import tensorflow as tf

    teacher_logits = tf.cast(teacher_logits, tf.float32)
    logits = tf.cast(logits, tf.float32)
    if teacher_logits.shape[1:3] != logits.shape[1:3]:
        teacher_logits = tf.image.resize(teacher_logits, tf.shape(logits)[1:3])
    teacher_probabilities = tf.nn.softmax(teacher_logits)
    pixel = tf.reduce_sum(
        teacher_probabilities * (tf.nn.log_softmax(teacher_logits) - tf.nn.log_softmax(logits)), axis=-1
    )
    return tf.reduce_mean(pixel, axis=[1, 2])

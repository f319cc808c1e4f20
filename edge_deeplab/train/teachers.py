"""Teachers that are TFLite files: person probability, read from the whole of each teacher's output.

`train --distill-from` takes, besides Keras models (train/distill.py), any .tflite a person can be read
from: the peers (`peer:coral-voc`, `peer:mediapipe-selfie`, `peer:deeplabv3-voc`, contracts in
edge_deeplab/peers.py) and our own exports (their contract is inside). Several teachers may speak at
once, each with its weight: `--distill-from peer:coral-voc:weight=1 --distill-from peer:mediapipe-selfie:weight=2`.

What a teacher says is one number per pixel, the probability of "person" against everything else, read
from the full output:
- VOC logits (21 classes): softmax over all 21, then the person row. Keeping only the background and
  person rows would make "background" mean class 0, and a horse next to a person would become a person
  (17,851 of the horse's 18,884 pixels on Google's golden photo, ../shared/FIELD_NOTES.md).
- a person probability (MediaPipe): as it is.
- an argmax label map (Coral's int8 file): the argmax's input, its 21-class scores, read with LiteRT's
  preserve-all-tensors option, then as VOC logits.
The student learns the same split: its person class against the sum of all its others (loss below).

Each batch the teacher sees the student's augmented crops, denormalised to pixels and resized to its
own input (bilinear, the whole crop, as evaluation resizes a photo); its scores are resized back to
the crop before the softmax, as DeepLab's evaluation resizes logits. It runs in LiteRT between
training steps (Coral at 513 px: about 45 ms an image on this 2-core CPU).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from edge_deeplab.contract import ModelContract, person_class_of
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.progress import say

WEIGHT_SUFFIX = ":weight="
#: Keeps log(t) and log(1 - t) finite for a teacher that is certain.
EPSILON = 1e-6


@dataclasses.dataclass(frozen=True)
class TeacherSpec:
    """One `--distill-from` value: MODEL[:weight=W]; weight None means TrainConfig.distill_weight."""

    model: str
    weight: Optional[float] = None

    @classmethod
    def parse(cls, text) -> "TeacherSpec":
        """A teacher from `--distill-from`'s text: MODEL or MODEL:weight=W.

        Args:
            text: the option's value.

        Returns:
            The TeacherSpec; a one-line EdgeDeeplabError for a weight that is not a finite number >= 0.
        """
        model, marker, weight = str(text).rpartition(WEIGHT_SUFFIX)
        if not marker:
            return cls(str(text))
        try:
            value = float(weight)
        except ValueError:
            value = float("nan")
        if not np.isfinite(value) or value < 0:
            raise EdgeDeeplabError(
                f"{text}: the teacher's weight must be a finite number >= 0, e.g. {model}{WEIGHT_SUFFIX}1"
            )
        return cls(model, value)

    def __str__(self):
        return self.model if self.weight is None else f"{self.model}{WEIGHT_SUFFIX}{self.weight:g}"

    @property
    def is_tflite(self) -> bool:
        """Whether the teacher is a .tflite model (a peer, a preset's int8 or fp16, or a .tflite file) rather than a
        Keras model folder.
        """
        from edge_deeplab.peers import is_peer_spec
        from edge_deeplab.presets import is_preset

        if is_peer_spec(self.model):
            return True
        if is_preset(self.model):  # preset:NAME:int8 / :fp16 are files, preset:NAME the Keras model
            return self.model.rpartition(":")[2] in ("int8", "fp16")
        return self.model.lower().endswith(".tflite")


def teacher_specs(teacher) -> list[TeacherSpec]:
    """None, one spec or a list of them (strings or TeacherSpec) -> a list of TeacherSpec."""
    if teacher is None:
        return []
    items = [teacher] if isinstance(teacher, (str, Path, TeacherSpec)) else list(teacher)
    return [item if isinstance(item, TeacherSpec) else TeacherSpec.parse(item) for item in items]


def teacher_text(teacher):
    """run.json's record of --distill-from: one string as before, or a list for several teachers."""
    specs = [str(spec) for spec in teacher_specs(teacher)]
    return specs[0] if len(specs) == 1 else specs


def student_person_class(contract: ModelContract, spec) -> int:
    """The student's class that a person teacher speaks about; every other class is 'not a person'."""
    person = contract.person_class if contract.person_class is not None else person_class_of(contract.labels)
    if person is None:
        raise EdgeDeeplabError(
            f"{spec}: a TFLite teacher says person or not, but the training data's classes "
            f"({', '.join(contract.labels)}) name no 'person'; map the labels with --labels"
        )
    return int(person)


class TfliteTeacher:
    """A .tflite teacher in LiteRT: person_probability(batch of pixels) -> [B, h, w] in 0..1."""

    def __init__(self, spec: TeacherSpec, threads: int = 2):
        from edge_deeplab.litert.interpreter import open_interpreter

        self.spec = spec
        self.path, self.contract = _resolve(spec.model)
        self.person = (
            self.contract.person_class
            if self.contract.person_class is not None
            else person_class_of(self.contract.labels)
        )
        if self.person is None:
            raise EdgeDeeplabError(
                f"{spec.model}: its classes ({', '.join(self.contract.labels)}) name no "
                "'person'; a TFLite teacher must segment people"
            )
        label_map = self.contract.output_kind == "label_map"
        self.interpreter = open_interpreter(self.path, threads, single_io=True, preserve_all_tensors=label_map)
        self.input = self.interpreter.get_input_details()[0]
        self.scores = (
            _scores_tensor(self.interpreter, spec.model) if label_map else self.interpreter.get_output_details()[0]
        )
        self.kind = "logits" if label_map else self.contract.output_kind

    def describe(self) -> str:
        """The teacher in one line: its model, input size, and what of its output becomes the person probability."""
        read = {
            "logits": f"softmax over its {self.contract.num_classes} classes, person = class {self.person}",
            "probabilities": f"its probability of class {self.person}",
            "person_alpha": "its person probability",
        }[self.kind]
        if self.contract.output_kind == "label_map":
            read = "the scores its argmax reads: " + read
        return f"{self.spec.model} ({self.path.name}, {self.contract.input_height}x{self.contract.input_width}): {read}"

    def person_probability(self, pixels: np.ndarray) -> np.ndarray:
        """pixels: float or uint8 [B, h, w, 3] RGB in 0..255 -> float32 [B, h, w]."""
        return np.stack([self._one(image) for image in np.asarray(pixels)]).astype(np.float32)

    def _one(self, image: np.ndarray) -> np.ndarray:
        from edge_deeplab.litert.interpreter import dequantize, quantize

        height, width = image.shape[:2]
        rgb = _resize(np.clip(image, 0, 255).astype(np.float32), self.contract.input_height, self.contract.input_width)
        normalised = (rgb - np.asarray(self.contract.mean, np.float32)) / np.asarray(self.contract.std, np.float32)
        self.interpreter.set_tensor(self.input["index"], quantize(normalised[np.newaxis], self.input))
        self.interpreter.invoke()
        scores = dequantize(self.interpreter.get_tensor(self.scores["index"]), self.scores)[0]
        scores = scores.reshape(scores.shape[:2] + (-1,)).astype(np.float32)
        scores = _resize(scores, height, width).reshape(height, width, -1)
        if self.kind == "logits":
            shifted = scores - scores.max(axis=-1, keepdims=True)
            exp = np.exp(shifted)
            return exp[..., self.person] / exp.sum(axis=-1)
        if self.kind == "probabilities":
            return scores[..., self.person]
        return np.clip(scores[..., 0], 0.0, 1.0)


class TfliteTeachers:
    """The TFLite teachers of a run and their weights: targets(images) -> [B, h, w, K] person probabilities."""

    def __init__(
        self,
        specs: Sequence[TeacherSpec],
        default_weight: float,
        student_contract: ModelContract,
        log=say,
        refine: str = "none",
    ):
        from edge_deeplab.refine import require

        require(refine)
        self.refine = refine
        self.teachers = [TfliteTeacher(spec) for spec in specs]
        self.weights = [spec.weight if spec.weight is not None else default_weight for spec in specs]
        self.student_contract = student_contract
        self.person = student_person_class(student_contract, specs[0].model) if specs else None
        for teacher, weight in zip(self.teachers, self.weights):
            log(
                f"distilling from {teacher.describe()}, weight {weight:g}"
                + (", refined by a dense CRF over each crop" if refine == "crf" else "")
            )

    def __len__(self):
        return len(self.teachers)

    def targets(self, normalised_images) -> np.ndarray:
        """The training batch (normalised by the student's contract) -> [B, h, w, K] float32."""
        mean = np.asarray(self.student_contract.mean, np.float32)
        std = np.asarray(self.student_contract.std, np.float32)
        pixels = np.asarray(normalised_images, np.float32) * std + mean
        targets = np.stack([teacher.person_probability(pixels) for teacher in self.teachers], axis=-1)
        if self.refine == "crf":
            targets = refine_targets(pixels, targets)
        return targets


def refine_targets(pixels: np.ndarray, targets: np.ndarray, config=None) -> np.ndarray:
    """Each teacher's person probability [B, h, w, K] refined by the dense CRF over its crop's pixels
    [B, h, w, 3] (0..255): two classes, person and not, as the teachers speak."""
    from edge_deeplab.refine import CRFConfig, dense_crf

    config = config or CRFConfig()
    rgb = np.clip(np.rint(pixels), 0, 255).astype(np.uint8)
    refined = np.empty_like(targets, dtype=np.float32)
    for b in range(targets.shape[0]):
        for k in range(targets.shape[-1]):
            person = targets[b, ..., k]
            refined[b, ..., k] = dense_crf(rgb[b], np.stack([1.0 - person, person], axis=-1), config)[..., 1]
    return refined


def person_distillation(targets, weights, logits, person: int):
    """Per example: the mean over pixels of sum_k weight_k * KL(teacher_k || student) between the
    two-way distributions (person, not a person). The student's 'not a person' is the sum of its other
    classes' probabilities, so any number of classes works. Zero when the student agrees with every teacher."""
    import tensorflow as tf

    logits = tf.cast(logits, tf.float32)
    if targets.shape[1:3] != logits.shape[1:3]:
        targets = tf.image.resize(targets, tf.shape(logits)[1:3])
    log_probabilities = tf.nn.log_softmax(logits)
    log_person = log_probabilities[..., person : person + 1]
    others = tf.concat([log_probabilities[..., :person], log_probabilities[..., person + 1 :]], axis=-1)
    log_rest = tf.reduce_logsumexp(others, axis=-1, keepdims=True)
    t = tf.clip_by_value(tf.cast(targets, tf.float32), EPSILON, 1.0 - EPSILON)
    kl = t * (tf.math.log(t) - log_person) + (1.0 - t) * (tf.math.log(1.0 - t) - log_rest)
    weighted = tf.reduce_sum(kl * tf.constant(weights, tf.float32), axis=-1)
    return tf.reduce_mean(weighted, axis=[1, 2])


def _resize(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear with half-pixel centres (OpenCV's INTER_LINEAR), as evaluation and RESIZE_BILINEAR do."""
    import cv2

    return cv2.resize(array, (width, height), interpolation=cv2.INTER_LINEAR)


def _resolve(spec: str) -> tuple[Path, ModelContract]:
    """peer:NAME, preset:NAME:int8|fp16 or a .tflite path -> (file, its contract)."""
    from edge_deeplab.litert.flatbuffer import read_tflite_contract
    from edge_deeplab.peers import is_peer_spec, resolve_peer
    from edge_deeplab.presets import resolve

    if is_peer_spec(spec):
        peer, path = resolve_peer(spec)
        return path, peer.contract
    path = resolve(spec, "int8")
    if not path.is_file():
        raise EdgeDeeplabError(f"{spec}: teacher model not found; pass a .tflite, peer:NAME or a model folder")
    contract = read_tflite_contract(path)
    if contract is None:
        raise EdgeDeeplabError(
            f"{spec}: carries no edge-deeplab contract, so how to read a person from it is "
            "unknown; pass a model written by `edge-deeplab export`, or a published model as "
            "peer:NAME=PATH (peer:deeplabv3-voc, peer:mediapipe-selfie, peer:coral-voc)"
        )
    return path, contract


def _scores_tensor(interpreter, spec) -> dict:
    """For a model whose output is an argmax label map: the tensor the ARG_MAX reads (its class scores)."""
    for op in interpreter._get_ops_details():
        if op["op_name"] == "ARG_MAX":
            index = int(op["inputs"][0])
            return next(t for t in interpreter.get_tensor_details() if t["index"] == index)
    raise EdgeDeeplabError(
        f"{spec}: outputs a label map without an ARG_MAX to read scores from; a teacher needs "
        "class scores or a person probability"
    )

"""A model's raw output -> what an app shows, for each output kind of the contract: the one decoder
that export checks, evaluation, the host benchmark, deployment and the Android parity fixtures use.

The Android demo reads the person alpha in Java (android_demo/.../core/OutputDecoder.java, for the
probabilities and person-alpha outputs it runs; a logits model gets its softmax appended by
export-android, litert/heads.py); the parity test (tests/android/test_parity.py) checks the two agree
on real TFLite outputs, so this is the reference a phone app is held to.

`raw` is the output tensor without its batch axis, dequantised to float32 where it was quantised
(interpreter.invoke gives exactly that): [h, w, C] scores for logits / probabilities, [h, w] or
[h, w, 1] class ids for a label map, [h, w, 1] for a person alpha.

- logits: probabilities = softmax over classes; labels = argmax; alpha = softmax[person].
- probabilities: as given; labels = argmax; alpha = probability of person.
- label_map: labels as given; alpha = 1 where the class is person, else 0.
- person_alpha: alpha = the value clipped to [0, 1]; labels = person where alpha >= 0.5, else the
  first other class.
Ties in argmax go to the lowest class id (numpy's rule; the Java twin keeps it).
"""

from __future__ import annotations

import numpy as np

from edge_deeplab.contract import ModelContract, person_class_of
from edge_deeplab.errors import EdgeDeeplabError

ALPHA_THRESHOLD = 0.5


def portrait_class(contract: ModelContract) -> int:
    """The class portrait mode keeps in front: the contract's person_class, else the label 'person'."""
    if contract.person_class is not None:
        return int(contract.person_class)
    found = person_class_of(contract.labels)
    if found is None:
        raise EdgeDeeplabError(
            f"the model's labels {list(contract.labels)} name no 'person': portrait mode "
            f"needs a person class; export a person segmentation model"
        )
    return found


def background_class(contract: ModelContract) -> int:
    """The class behind the person in portrait mode: 1 when the person is class 0, else 0.

    Args:
        contract: the model's ModelContract.
    """
    return 1 if portrait_class(contract) == 0 else 0


def _squeeze_channel(raw: np.ndarray) -> np.ndarray:
    return raw[..., 0] if raw.ndim == 3 else raw


def softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, in float64 (the app's Java does its sums in double too)."""
    scores = scores.astype(np.float64)
    exp = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)


def probabilities(raw: np.ndarray, contract: ModelContract) -> np.ndarray:
    """[h, w, C] float32 class probabilities for any output kind."""
    kind = contract.output_kind
    if kind == "logits":
        return softmax(raw).astype(np.float32)
    if kind == "probabilities":
        return raw.astype(np.float32)
    if kind == "label_map":
        labels = np.clip(_squeeze_channel(raw).astype(np.int64), 0, contract.num_classes - 1)
        return np.eye(contract.num_classes, dtype=np.float32)[labels]
    alpha = person_alpha(raw, contract)
    out = np.zeros(alpha.shape + (contract.num_classes,), np.float32)
    out[..., portrait_class(contract)] = alpha
    out[..., background_class(contract)] = 1.0 - alpha
    return out


def label_map(raw: np.ndarray, contract: ModelContract) -> np.ndarray:
    """[h, w] int32 class ids."""
    kind = contract.output_kind
    if kind in ("logits", "probabilities"):
        return np.argmax(raw, axis=-1).astype(np.int32)
    if kind == "label_map":
        return _squeeze_channel(raw).astype(np.int32)
    alpha = person_alpha(raw, contract)
    return np.where(alpha >= ALPHA_THRESHOLD, portrait_class(contract), background_class(contract)).astype(np.int32)


def person_alpha(raw: np.ndarray, contract: ModelContract) -> np.ndarray:
    """[h, w] float32 probability that each pixel is the person, in [0, 1]."""
    kind = contract.output_kind
    person = portrait_class(contract)
    if kind == "logits":
        return softmax(raw)[..., person].astype(np.float32)
    if kind == "probabilities":
        return np.clip(raw[..., person], 0.0, 1.0).astype(np.float32)
    if kind == "label_map":
        return (_squeeze_channel(raw) == person).astype(np.float32)
    return np.clip(_squeeze_channel(raw), 0.0, 1.0).astype(np.float32)


def resizable_scores(raw: np.ndarray, contract: ModelContract) -> np.ndarray:
    """[h, w, C] float scores that may be resized bilinearly: logits stay logits (the softmax comes
    after resizing, as DeepLab's evaluation does it); every other kind becomes probabilities."""
    if contract.output_kind == "logits":
        return raw.astype(np.float32)
    return probabilities(raw, contract)


def person_mask(raw: np.ndarray, output_kind: str, person_class) -> np.ndarray:
    """[h, w] bool person mask where the person class is known, else the uint8 label map. Takes the
    kind and class alone: a peer benchmarked with a normalisation from the command line has no labels."""
    if output_kind == "person_alpha":
        return _squeeze_channel(raw) >= ALPHA_THRESHOLD
    labels = _squeeze_channel(raw) if output_kind == "label_map" else np.argmax(raw, axis=-1)
    return labels == person_class if person_class is not None else labels.astype(np.uint8)

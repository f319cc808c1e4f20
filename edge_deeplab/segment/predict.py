"""One photo in, its segmentation out: the library behind `edge-deeplab predict` and `edge_deeplab.predict`.

    result = edge_deeplab.predict("preset:person", "photo.jpg")
    result.labels              # [H, W] uint8 class ids at the photo's own size (0/1 for a person model)
    result.person_probability  # [H, W] float32 in [0, 1], or None when the model has no person class
    edge_deeplab.blur_background(result.image, result.person_probability)  # portrait mode

A model is opened once per call; to segment many photos, open it once with `open_model(spec)` and
pass the runner instead of the spec.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Optional, Union

import numpy as np

from edge_deeplab.contract import person_class_of
from edge_deeplab.errors import EdgeDeeplabError

#: Portrait mode's background blur: Gaussian sigma as a fraction of the photo's longer side, so a
#: phone photo and a thumbnail look alike (2 % blurs a face in the background beyond recognition).
DEFAULT_BLUR = 0.02
PHOTO_FIX = "pass a JPEG or PNG photo"
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


@dataclasses.dataclass(frozen=True)
class Segmentation:
    """A photo's segmentation at the photo's own resolution.

    Args:
        image: the photo, RGB uint8 [H, W, 3].
        probabilities: class probabilities, float32 [H, W, C].
        class_names: the model's label of each class id.
        person_class: the id of the person class, or None when the model has none.
    """

    image: np.ndarray
    probabilities: np.ndarray
    class_names: tuple
    person_class: Optional[int]

    @property
    def labels(self) -> np.ndarray:
        """[H, W] uint8 class ids: the most probable class of each pixel (0/1 for a person model)."""
        return np.argmax(self.probabilities, axis=-1).astype(np.uint8)

    @property
    def person_probability(self) -> Optional[np.ndarray]:
        """[H, W] float32 probability that each pixel is the person; None when the model has no person class."""
        if self.person_class is None:
            return None
        return np.clip(self.probabilities[..., self.person_class], 0.0, 1.0)


def open_model(model, threads: int = 2):
    """A model spec (a .tflite, a saved Keras folder, preset:NAME, peer:NAME) -> a runner that `predict`
    takes, running on `threads` CPU threads; a runner is returned unchanged."""
    if hasattr(model, "forward") and hasattr(model, "contract"):
        return model
    from edge_deeplab.evaluate.runners import open_runner

    return open_runner(str(model), threads=threads)


def read_photo(path) -> np.ndarray:
    """RGB uint8 [H, W, 3]; a missing or unreadable photo is a one-line EdgeDeeplabError."""
    from edge_deeplab.data.dataset import read_image_file

    if not Path(path).is_file():
        raise EdgeDeeplabError(f"{path}: photo not found; check the path ({PHOTO_FIX})")
    return read_image_file(path, fix=PHOTO_FIX)


def predict(
    model, image: Union[str, Path, np.ndarray], threads: int = 2, refine: str = "none", crf=None
) -> Segmentation:
    """Segment one photo.

    Args:
        model: a .tflite, a saved Keras model folder, preset:NAME (e.g. preset:person), peer:NAME, or a
            runner from `open_model` (open it once to segment many photos).
        image: a photo's path, or an RGB uint8 array [H, W, 3].
        threads: LiteRT CPU threads for a .tflite.
        refine: "none", or "crf" to sharpen the edges with a dense CRF over the photo (DeepLab v1/v2;
            about half a second a photo; pip install 'edge-deeplab[crf]').
        crf: the CRF's parameters (edge_deeplab.refine.CRFConfig; its defaults when None).

    Returns:
        A Segmentation at the photo's own resolution (.labels, .person_probability, .probabilities).

    Example:
        >>> import edge_deeplab
        >>> result = edge_deeplab.predict("preset:person", "photo.jpg")
        >>> result.labels.shape, float(result.person_probability.mean())
    """
    from edge_deeplab.evaluate.inference import predict_probabilities
    from edge_deeplab.refine import CRFConfig, require

    require(refine)  # an unknown method or a missing CRF package: one line, before the model is opened
    rgb = read_photo(image) if isinstance(image, (str, Path)) else _checked_rgb(image)
    runner = open_model(model, threads)
    contract = runner.contract
    probabilities = predict_probabilities(runner, rgb, refine=refine, crf=crf if crf is not None else CRFConfig())
    return Segmentation(
        image=rgb,
        probabilities=probabilities.astype(np.float32),
        class_names=tuple(contract.labels),
        person_class=_person_class(contract),
    )


def blur_background(image: np.ndarray, person_probability: np.ndarray, blur: float = DEFAULT_BLUR) -> np.ndarray:
    """Portrait mode: the photo with its background blurred, the person kept sharp.

    Each pixel mixes the sharp photo and a blurred copy by the person probability, so soft edges (hair)
    stay soft instead of being cut at a threshold.

    Args:
        image: RGB uint8 [H, W, 3].
        person_probability: float [H, W] in [0, 1] (Segmentation.person_probability).
        blur: Gaussian sigma as a fraction of the photo's longer side.
    """
    import cv2

    image = _checked_rgb(image)
    if person_probability is None:
        raise EdgeDeeplabError(
            "the model has no person class: portrait mode needs a person segmentation model, e.g. preset:person"
        )
    if person_probability.shape != image.shape[:2]:
        raise ValueError(f"person_probability {person_probability.shape} does not match the image {image.shape[:2]}")
    _check_blur(blur)
    sigma = blur * max(image.shape[:2])
    blurred = cv2.GaussianBlur(image, (0, 0), sigmaX=sigma, sigmaY=sigma).astype(np.float32)
    alpha = np.clip(person_probability, 0.0, 1.0)[..., np.newaxis].astype(np.float32)
    return np.clip(np.round(alpha * image + (1.0 - alpha) * blurred), 0, 255).astype(np.uint8)


def _person_class(contract) -> Optional[int]:
    return contract.person_class if contract.person_class is not None else person_class_of(contract.labels)


def _check_blur(blur: float) -> None:
    if not (math.isfinite(blur) and blur > 0):
        raise EdgeDeeplabError(f"--blur {blur:g} must be a positive fraction of the photo's longer side, e.g. 0.02")


def _checked_rgb(image) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise EdgeDeeplabError(f"an image array of {image.dtype} {list(image.shape)}: pass RGB uint8 [H, W, 3]")
    return np.ascontiguousarray(image)


def predict_files(
    model,
    images,
    output,
    *,
    probability: bool = False,
    portrait: bool = False,
    blur: float = DEFAULT_BLUR,
    threads: int = 2,
    refine: str = "none",
    crf=None,
    smooth: bool = False,
    main_subject: bool = False,
    progress: bool = True,
) -> list:
    """Segment photo files into `output`: per photo STEM.mask.png (class ids), and on request
    STEM.person.png (person probability x 255) and STEM.portrait.jpg (background blurred).

    `smooth` takes the photos as consecutive video frames, in the order given, and smooths the person
    probability across them (segment/masks.py TemporalSmoother, as the Android demo does); `main_subject`
    keeps only the largest person region. Both change the mask, the probability and the portrait alike.

    Every photo is read and the model opened before anything is written, so a missing or corrupt photo,
    or a file that is not a model, leaves `output` untouched; each file is written to a temporary name
    and renamed. Returns one {"image": ..., kind: path} dict per photo.
    """
    from edge_deeplab.progress import progress_bar

    if Path(str(model)).suffix.lower() in PHOTO_SUFFIXES:
        raise EdgeDeeplabError(
            f"{model}: a photo where the model should be; the model comes first, e.g. "
            f"edge-deeplab predict preset:person {model}"
        )
    images = [Path(image) for image in images]
    if not images:
        raise EdgeDeeplabError("no photos given: pass one or more JPEG or PNG files after the model")
    _check_distinct_stems(images)
    for image in images:
        read_photo(image)  # decoded now only to find a bad photo before any output exists
    _check_blur(blur)  # with or without --portrait: a value that cannot be right is not silently ignored
    from edge_deeplab.refine import require

    require(refine)
    runner = open_model(model, threads)
    if (probability or portrait or smooth or main_subject) and _person_class(runner.contract) is None:
        raise EdgeDeeplabError(
            f"{model}: its labels {list(runner.contract.labels)} name no person; --probability, "
            "--portrait, --smooth and --main-subject need a person segmentation model, e.g. "
            "preset:person"
        )
    from edge_deeplab.segment import masks

    smoother = masks.TemporalSmoother() if smooth else None
    output = Path(output)
    written = []
    with progress_bar(total=len(images), desc="predict", unit="photo", enabled=progress) as bar:
        for image in images:
            result = predict(runner, image, refine=refine, crf=crf)
            labels, alpha = result.labels, result.person_probability
            if smoother is not None or main_subject:
                alpha = smoother.apply(alpha) if smoother is not None else alpha
                alpha = masks.main_subject(alpha) if main_subject else alpha
                labels = masks.relabel(labels, alpha, result.person_class, _background_class(result))
            files = {"image": str(image), "mask": _write_image(output / f"{image.stem}.mask.png", labels)}
            if probability:
                levels = np.round(alpha * 255.0).astype(np.uint8)
                files["person_probability"] = _write_image(output / f"{image.stem}.person.png", levels)
            if portrait:
                composite = blur_background(result.image, alpha, blur)
                files["portrait"] = _write_image(output / f"{image.stem}.portrait.jpg", composite)
            written.append(files)
            bar.update(1)
    return written


def _background_class(result: Segmentation) -> int:
    """Where a pixel that stops being person goes: the first other class (background in our models)."""
    return 1 if result.person_class == 0 else 0


def _check_distinct_stems(images: list) -> None:
    """Two photos named alike (a/x.jpg, b/x.png) would overwrite each other's outputs."""
    seen = {}
    for image in images:
        if image.stem in seen and seen[image.stem] != image:
            raise EdgeDeeplabError(
                f"{seen[image.stem]} and {image} would both write {image.stem}.mask.png; "
                "rename one or predict them into different --output folders"
            )
        seen[image.stem] = image


def _write_image(path: Path, array: np.ndarray) -> str:
    """PNG or JPEG by the file's suffix, written atomically (edge_deeplab.io)."""
    import cv2

    from edge_deeplab.io import write_bytes

    pixels = cv2.cvtColor(array, cv2.COLOR_RGB2BGR) if array.ndim == 3 else array
    options = [cv2.IMWRITE_JPEG_QUALITY, 92] if path.suffix == ".jpg" else []
    ok, encoded = cv2.imencode(path.suffix, pixels, options)
    if not ok:
        raise RuntimeError(f"OpenCV could not encode {path.name}")
    write_bytes(path, encoded.tobytes())
    return str(path)

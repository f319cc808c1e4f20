"""tf.data input pipelines: DeepLab's training augmentation and evaluation batches.

Training (per sample, in parallel map calls, DeepLab's recipe): random scale 0.5-2.0 (image
bilinear, mask nearest), padding to at least the crop size with the mean pixel (image) and the
ignore label 255 (mask), a random crop, a horizontal flip, a small photometric jitter
(brightness, contrast, saturation, hue) on the real pixels only, then normalisation. The options
beyond that recipe (Augmentation: small people, edge crops, copy-paste, blur, noise, JPEG) are off
by default; copy-paste runs on each batch (paste_objects), taking objects from its other samples.
A MixedDataset (several datasets, edge_deeplab.data.mix) is read through one loader per dataset and
sampled by its weighted schedule (sample_order).

Normalisation is defined once, here, from the model's contract: (pixel - mean) / std with the
ModelContract's mean and std (DeepLab's default (x - 127.5) / 127.5). The trainer saves that
contract with the model, so inference uses the same numbers. Padded pixels become exactly 0.

Determinism and exact resume: an epoch is its own tf.data pipeline. Its sample order is a
permutation drawn from (seed, epoch) alone, and each sample's augmentation from stateless
random ops seeded by (seed, epoch, position in the epoch); parallel decoding keeps the order
(deterministic map). So the batches of epoch e are the same on every run, and
`skip_batches=k` starts an epoch at batch k without decoding the first k batches.

Decoding: images by TensorFlow's decoders from `dataset.image_paths` (JPEG with
dct_method="INTEGER_ACCURATE", which gives the same pixels as PIL); masks by TensorFlow where
they are plain 8-bit grayscale PNGs, otherwise (palette PNGs, label mappings) by the dataset's
own reader in a numpy_function. In-memory datasets (synthetic) are read from their arrays.
`cache=True` keeps decoded samples in memory after their first use (about 1.4 MB per
550x830 photo), so later epochs skip decoding.

Evaluation: `evaluation_dataset(dataset)` gives each image at full resolution, batch 1, no
crop (the paper's protocol; edge_deeplab.evaluate does the same with any model). With
`size=(h, w)` it resizes each image to the model's input size (image bilinear, mask nearest,
see resize_for_model), which is what the trainer's per-epoch val mIoU uses.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Optional, Sequence, Union

import numpy as np

import edge_deeplab  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
import tensorflow as tf

from edge_deeplab.contract import IGNORE_LABEL, ModelContract
from edge_deeplab.data.augment_ops import degrade, edge_crop_window, jitter, other_background, paste_objects
from edge_deeplab.data.augmentation import NO_AUGMENTATION, Augmentation  # noqa: F401  (re-exported)
from edge_deeplab.data.dataset import Dataset, FileDataset
from edge_deeplab.errors import EdgeDeeplabError

AUTOTUNE = tf.data.AUTOTUNE
_CONTRACT_DEFAULTS = {f.name: f.default for f in dataclasses.fields(ModelContract)}


def normalization(contract: Optional[ModelContract] = None):
    """(mean, std) per RGB channel: the contract's, or ModelContract's defaults (DeepLab's 127.5)."""
    mean = contract.mean if contract is not None else _CONTRACT_DEFAULTS["mean"]
    std = contract.std if contract is not None else _CONTRACT_DEFAULTS["std"]
    return tuple(float(v) for v in mean), tuple(float(v) for v in std)


def normalize(image, contract: Optional[ModelContract] = None) -> tf.Tensor:
    """RGB pixels in 0..255 -> model input, (x - mean) / std. The one place this is computed in TF."""
    mean, std = normalization(contract)
    return (tf.cast(image, tf.float32) - tf.constant(mean)) / tf.constant(std)


def epoch_order(num_samples: int, seed: int, epoch: int) -> np.ndarray:
    """The sample order of one epoch: a permutation that depends only on (seed, epoch)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(epoch)])).permutation(num_samples)


def sample_order(dataset: Dataset, seed: int, epoch: int) -> np.ndarray:
    """One epoch's sample indices: epoch_order, or the weighted schedule of a dataset mix."""
    from edge_deeplab.data.mix import MixedDataset, mixed_epoch_order

    if isinstance(dataset, MixedDataset):
        return mixed_epoch_order(dataset, seed, epoch)
    return epoch_order(len(dataset), seed, epoch)


def batches_per_epoch(dataset: Dataset, batch_size: int, drop_remainder: bool = True) -> int:
    """Batches in one pass over `dataset`.

    Args:
        dataset: the Dataset.
        batch_size: images per batch.
        drop_remainder: leave out the last, incomplete batch (as training does).
    """
    return len(dataset) // batch_size if drop_remainder else -(-len(dataset) // batch_size)


def training_dataset(
    dataset: Dataset,
    crop_size: Union[int, Sequence[int]],
    batch_size: int,
    seed: int = 0,
    *,
    epoch: int = 0,
    skip_batches: int = 0,
    contract: Optional[ModelContract] = None,
    augmentation: Augmentation = Augmentation(),
    cache: bool = False,
    drop_remainder: bool = True,
) -> tf.data.Dataset:
    """One epoch of augmented batches: (images float32 [B, h, w, 3] normalised, masks uint8 [B, h, w]).

    Call once per epoch with epoch=e; to resume inside an epoch, pass skip_batches=k.
    """
    crop_h, crop_w = _pair(crop_size, "crop size")
    if batch_size < 1:
        raise EdgeDeeplabError(f"batch size {batch_size}: must be at least 1")
    if len(dataset) < batch_size and drop_remainder:
        raise EdgeDeeplabError(
            f"{dataset.name}: {len(dataset)} samples are fewer than one batch of {batch_size}; lower the batch size"
        )
    total = batches_per_epoch(dataset, batch_size, drop_remainder)
    if not 0 <= skip_batches <= total:
        raise EdgeDeeplabError(f"skip_batches={skip_batches}: an epoch has {total} batches")
    from edge_deeplab.data.mix import split_indices

    order = sample_order(dataset, seed, epoch)
    start = skip_batches * batch_size
    positions = np.arange(start, len(dataset), dtype=np.int64)
    # One int64 per epoch and seed, folded into each sample's stateless seed with its position.
    epoch_key = int(np.random.SeedSequence([int(seed), int(epoch), 1]).generate_state(1, np.uint64)[0] >> 1)
    load = _mix_loader(dataset, cache)
    mean, _ = normalization(contract)

    def sample_seed(position):
        return tf.stack([tf.constant(epoch_key, tf.int64), position])

    def prepare(part, index, position):
        image, mask = load(part, index)
        image, mask = augment(image, mask, (crop_h, crop_w), sample_seed(position), augmentation, mean)
        return image, mask, position

    parts, locals_ = split_indices(dataset, order[start:])
    data = tf.data.Dataset.from_tensor_slices((parts, locals_, positions))
    data = data.map(prepare, num_parallel_calls=AUTOTUNE, deterministic=True)
    data = data.batch(batch_size, drop_remainder=drop_remainder)
    if augmentation.copy_paste:

        def paste_batch(images, masks, positions):
            seeds = tf.map_fn(
                lambda p: tf.cast(tf.random.experimental.stateless_fold_in(sample_seed(p), 2), tf.int64), positions
            )
            return paste_objects(images, masks, seeds, augmentation) + (positions,)

        data = data.map(paste_batch, num_parallel_calls=AUTOTUNE, deterministic=True)
    data = data.map(
        lambda images, masks, _: (normalize(images, contract), masks), num_parallel_calls=AUTOTUNE, deterministic=True
    )
    return data.prefetch(AUTOTUNE)


def _mix_loader(dataset: Dataset, cache: bool):
    """(part, index) -> (image, mask): one loader per dataset of a mix (TensorFlow's decoders for
    files, arrays for in-memory sets), chosen by part."""
    from edge_deeplab.data.mix import MixedDataset

    if not isinstance(dataset, MixedDataset):
        single = _loader(dataset, cache)
        return lambda part, index: single(index)
    loaders = [_loader(part, cache) for part in dataset.parts]

    def load(part, index):
        image, mask = tf.switch_case(tf.cast(part, tf.int32), [lambda f=f: f(index) for f in loaders])
        image.set_shape([None, None, 3])
        mask.set_shape([None, None])
        return image, mask

    return load


def evaluation_dataset(
    dataset: Dataset,
    size: Optional[Union[int, Sequence[int]]] = None,
    *,
    contract: Optional[ModelContract] = None,
    batch_size: int = 1,
    cache: bool = False,
) -> tf.data.Dataset:
    """(images float32 normalised, masks uint8) in dataset order, no augmentation.

    size=None: full resolution, batch 1 (images differ in size). size=(h, w): resized for the
    model (resize_for_model), in batches of `batch_size`.
    """
    if size is None and batch_size != 1:
        raise EdgeDeeplabError(
            "full-resolution evaluation runs at batch size 1 (images differ in size); pass size=(h, w) to batch"
        )
    target = None if size is None else _pair(size, "evaluation size")
    load = _loader(dataset, cache)

    def prepare(index):
        image, mask = load(index)
        if target is not None:
            image, mask = resize_for_model(image, mask, target)
        return normalize(image, contract), mask

    data = tf.data.Dataset.range(len(dataset)).map(prepare, num_parallel_calls=AUTOTUNE, deterministic=True)
    return data.batch(batch_size).prefetch(AUTOTUNE)


def resize_for_model(image, mask, size) -> tuple:
    """Image bilinear (float32, 0..255, not normalised) and mask nearest (uint8) to `size` = (h, w).

    Works on one sample ([H, W, 3], [H, W]) or a batch ([B, H, W, 3], [B, H, W]). Bilinear with
    half-pixel centres and no antialiasing: the resize TFLite's RESIZE_BILINEAR and an app do.
    """
    height, width = _pair(size, "size")
    image = tf.image.resize(tf.cast(image, tf.float32), (height, width), method="bilinear")
    mask = tf.convert_to_tensor(mask)
    mask = tf.image.resize(mask[..., None], (height, width), method="nearest")[..., 0]
    return image, tf.cast(mask, tf.uint8)


def augment(image, mask, crop_size, seed, augmentation: Augmentation = Augmentation(), fill=None):
    """One training sample: scale, pad (fill pixel / 255), crop to crop_size, flip, copy-paste's
    synthetic background, jitter, blur, noise, JPEG. (Copy-paste itself runs on the batch:
    paste_objects.)

    `seed` is a stateless seed (int64 [2]); the same seed gives the same result. Returns the image as
    float32 in 0..255 (not normalised) and the mask as uint8.
    """
    a = augmentation
    crop_h, crop_w = crop_size
    fill = tf.constant(fill if fill is not None else normalization()[0], tf.float32)
    seed = tf.cast(seed, tf.int64)
    seeds = tf.random.experimental.stateless_split(seed, num=10)
    # The newer options draw from their own stream: with them off, results are those of before.
    more = tf.random.experimental.stateless_split(
        tf.cast(tf.random.experimental.stateless_fold_in(seed, 1), tf.int64), num=12
    )
    image = tf.cast(image, tf.float32)
    mask = tf.cast(mask, tf.float32)[..., None]
    # 1. Random scale (Chen et al.: 0.5 to 2.0; lower min_scale for small people).
    shape = tf.cast(tf.shape(image)[:2] if a.base_size is None else a.base_size, tf.float32)
    scale = tf.random.stateless_uniform([], seeds[0], a.min_scale, a.max_scale)
    scaled = tf.maximum(tf.cast(tf.round(shape * scale), tf.int32), 1)
    image = tf.image.resize(image, scaled, method="bilinear")
    mask = tf.image.resize(mask, scaled, method="nearest")
    # 2. Pad to at least the crop size, at a random offset: the image with the fill pixel (0
    # after normalisation), the mask with the ignore label, and a 0/1 channel marking real pixels.
    pad_h, pad_w = tf.maximum(crop_h - scaled[0], 0), tf.maximum(crop_w - scaled[1], 0)
    top = tf.random.stateless_uniform([], seeds[1], 0, pad_h + 1, dtype=tf.int32)
    left = tf.random.stateless_uniform([], seeds[2], 0, pad_w + 1, dtype=tf.int32)
    paddings = [[top, pad_h - top], [left, pad_w - left], [0, 0]]
    stacked = tf.concat(
        [
            tf.pad(image - fill, paddings) + fill,
            tf.pad(mask, paddings, constant_values=float(IGNORE_LABEL)),
            tf.pad(tf.ones_like(mask), paddings),
        ],
        axis=-1,
    )
    # 3. Random crop, the same window for all channels; or, with edge_crop, a window with one border
    # through an object pixel, so the person is cut by the frame edge as in everyday photos.
    height, width = tf.shape(stacked)[0], tf.shape(stacked)[1]
    y = tf.random.stateless_uniform([], seeds[3], 0, height - crop_h + 1, dtype=tf.int32)
    x = tf.random.stateless_uniform([], seeds[4], 0, width - crop_w + 1, dtype=tf.int32)
    if a.edge_crop:
        y, x = edge_crop_window(stacked[..., 3], (crop_h, crop_w), (y, x), more[0], more[1], a.edge_crop)
    stacked = tf.slice(stacked, [y, x, 0], [crop_h, crop_w, 5])
    # 4. Horizontal flip.
    if a.flip:
        flip = tf.random.stateless_uniform([], seeds[5]) < 0.5
        stacked = tf.cond(flip, lambda: tf.reverse(stacked, axis=[1]), lambda: stacked)
    image, mask, real = stacked[..., :3], stacked[..., 3:4], stacked[..., 4:]
    # 5. Copy-paste's other backgrounds: sometimes a plain or noise image, for the batch to paste onto.
    if a.copy_paste and a.copy_paste_background:
        image, mask, real = other_background(image, mask, real, more[2], a.copy_paste_background)
    # 6. Photometric jitter and camera degradations on the real pixels; padding keeps the fill pixel.
    rgb = jitter(image / 255.0, seeds[6:], a)
    rgb = degrade(rgb, more[5:], a)
    image = real * rgb * 255.0 + (1.0 - real) * fill
    image.set_shape([crop_h, crop_w, 3])
    mask = tf.cast(mask[..., 0], tf.uint8)
    mask.set_shape([crop_h, crop_w])
    return image, mask


def _loader(dataset: Dataset, cache: bool):
    """index (int64 tensor) -> (image uint8 [H, W, 3], mask uint8 [H, W])."""
    if len(dataset) == 0:
        raise EdgeDeeplabError(f"{dataset.name}: has no samples")
    if isinstance(dataset, FileDataset) and not cache:
        return _file_loader(dataset)
    if cache:
        # Kept on the dataset, so that every epoch's pipeline shares one cache.
        if getattr(dataset, "_decoded_cache", None) is None:
            dataset._decoded_cache = _CachedReader(dataset)
        read = dataset._decoded_cache
    else:

        def read(index):
            return dataset.read_image(int(index)), dataset.read_mask(int(index))

    def load(index):
        image, mask = tf.numpy_function(read, [index], (tf.uint8, tf.uint8), stateful=False)
        image.set_shape([None, None, 3])
        mask.set_shape([None, None])
        return image, mask

    return load


def _file_loader(dataset: FileDataset):
    image_paths = tf.constant(dataset.image_paths)
    mask_paths = tf.constant(dataset.mask_paths)

    def read_mask(index):
        return dataset.read_mask(int(index))

    def load(index):
        content = tf.io.read_file(tf.gather(image_paths, index))
        image = tf.cond(
            tf.io.is_jpeg(content),
            lambda: tf.io.decode_jpeg(content, channels=3, dct_method="INTEGER_ACCURATE"),
            lambda: tf.io.decode_image(content, channels=3, dtype=tf.uint8, expand_animations=False),
        )
        if dataset.masks_plain:
            mask = tf.io.decode_png(tf.io.read_file(tf.gather(mask_paths, index)), channels=1)[..., 0]
        else:
            mask = tf.numpy_function(read_mask, [index], tf.uint8, stateful=False)
        image.set_shape([None, None, 3])
        mask.set_shape([None, None])
        return image, mask

    return load


class _CachedReader:
    """Decoded samples kept in memory after their first read (the cache=True option)."""

    def __init__(self, dataset: Dataset):
        self.dataset = dataset
        self.samples = {}
        self.lock = threading.Lock()

    def __call__(self, index):
        index = int(index)
        sample = self.samples.get(index)
        if sample is None:
            sample = (self.dataset.read_image(index), self.dataset.read_mask(index))
            with self.lock:
                self.samples[index] = sample
        return sample


def _pair(value, what: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and v > 0 for v in pair):
        raise EdgeDeeplabError(f"{what} {value!r}: give a positive int or (height, width)")
    return int(pair[0]), int(pair[1])

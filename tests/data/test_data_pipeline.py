"""tf.data pipelines: shapes, dtypes, ignore padding, normalisation from the contract, determinism, resume."""

import numpy as np
import pytest

from edge_deeplab.contract import ModelContract
from edge_deeplab.data import open_dataset, synthetic_dataset
from edge_deeplab.data.pipeline import (
    NO_AUGMENTATION,
    Augmentation,
    augment,
    batches_per_epoch,
    epoch_order,
    evaluation_dataset,
    normalize,
    resize_for_model,
    training_dataset,
)
from edge_deeplab.errors import EdgeDeeplabError


@pytest.fixture(scope="module")
def synthetic():
    return synthetic_dataset(10, (40, 32), seed=0)


def batches(data):
    return [(x.numpy(), y.numpy()) for x, y in data]


def test_training_batches_shapes_dtypes_and_range(synthetic):
    data = batches(training_dataset(synthetic, (33, 25), batch_size=4, seed=0))
    assert len(data) == batches_per_epoch(synthetic, 4) == 2  # the remainder is dropped
    images, masks = data[0]
    assert images.shape == (4, 33, 25, 3) and images.dtype == np.float32
    assert masks.shape == (4, 33, 25) and masks.dtype == np.uint8
    assert images.min() >= -1.0 and images.max() <= 1.0  # (x - 127.5) / 127.5
    assert set(np.unique(masks)) <= {0, 1, 255}


def test_crop_larger_than_image_is_padded_with_ignore_and_mean_pixel(synthetic):
    no_scale = Augmentation(min_scale=1.0, max_scale=1.0)
    images, masks = batches(training_dataset(synthetic, (64, 48), batch_size=2, seed=1, augmentation=no_scale))[0]
    for image, mask in zip(images, masks):
        padded = mask == 255
        assert padded.sum() == 64 * 48 - 40 * 32  # synthetic masks hold no 255 of their own
        assert np.all(image[padded] == 0.0)  # the mean pixel, normalised
        rows, cols = np.nonzero(~padded)
        assert np.ptp(rows) + 1 == 40 and np.ptp(cols) + 1 == 32  # the real pixels stay one block


@pytest.mark.parametrize("axis", [0, 1])
def test_augmentation_keeps_mask_aligned_with_image(axis):
    # Mask = row (or column) number, red channel = 8 x the same: after scale, pad, crop and flip
    # (colour jitter off) they still agree to within the bilinear/nearest difference of a pixel.
    coordinate = np.indices((30, 20))[axis].astype(np.uint8)
    image = np.stack([coordinate * 8, np.zeros_like(coordinate), np.zeros_like(coordinate)], -1)
    geometric = Augmentation(brightness=0, contrast=0, saturation=0, hue=0)
    flipped = 0
    for k in range(8):
        out_image, out_mask = augment(image, coordinate, (24, 24), [7, k], geometric)
        out_image, out_mask = out_image.numpy(), out_mask.numpy()
        real = out_mask != 255
        assert real.any()
        assert np.abs(out_image[..., 0][real] / 8 - out_mask[real]).max() <= 1.0
        if axis == 1:
            row = out_mask[real.any(1)][0]
            row = row[row != 255].astype(int)
            flipped += bool(row.size > 1 and row[0] > row[-1])
    assert axis == 0 or 0 < flipped < 8  # both orientations occur


def test_same_seed_same_batches_other_epoch_other_order(synthetic):
    first = batches(training_dataset(synthetic, 24, batch_size=3, seed=5, epoch=2))
    again = batches(training_dataset(synthetic, 24, batch_size=3, seed=5, epoch=2))
    for (x1, y1), (x2, y2) in zip(first, again):
        assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert not np.array_equal(epoch_order(10, 5, 2), epoch_order(10, 5, 3))
    other = batches(training_dataset(synthetic, 24, batch_size=3, seed=5, epoch=3))
    assert not np.array_equal(first[0][0], other[0][0])


def test_skip_batches_resumes_exactly(synthetic):
    full = batches(training_dataset(synthetic, 24, batch_size=3, seed=5, epoch=1))
    resumed = batches(training_dataset(synthetic, 24, batch_size=3, seed=5, epoch=1, skip_batches=2))
    assert len(resumed) == len(full) - 2
    for (x1, y1), (x2, y2) in zip(full[2:], resumed):
        assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    with pytest.raises(EdgeDeeplabError):
        training_dataset(synthetic, 24, batch_size=3, skip_batches=4)


def test_file_and_memory_datasets_give_the_same_batches(tmp_path):
    from edge_deeplab.data import write_synthetic

    root = write_synthetic(tmp_path / "s", n_train=4, n_val=1, size=(40, 32), seed=2)
    on_disk, in_memory = open_dataset(root, "train"), synthetic_dataset(4, (40, 32), seed=2)
    assert on_disk.masks_plain  # decoded by TensorFlow's PNG decoder
    a = batches(training_dataset(on_disk, 24, 2, seed=1))
    b = batches(training_dataset(in_memory, 24, 2, seed=1))
    c = batches(training_dataset(on_disk, 24, 2, seed=1, cache=True))
    for (x1, y1), (x2, y2), (x3, y3) in zip(a, b, c):
        assert np.array_equal(y1, y2) and np.array_equal(y1, y3)
        assert np.allclose(x1, x2, atol=1e-6) and np.allclose(x1, x3, atol=1e-6)


def test_palette_masks_go_through_the_reader(voc_root):
    dataset = open_dataset(voc_root, "train", labels_config="voc-person")
    for (image, mask), sample in zip(evaluation_dataset(dataset), dataset):
        assert np.array_equal(mask.numpy()[0], sample.mask)  # indices mapped, not palette colours
        assert image.shape[1:3] == sample.image.shape[:2]


def test_evaluation_full_resolution_and_resized(synthetic):
    full = batches(evaluation_dataset(synthetic))
    assert len(full) == 10 and full[0][0].shape == (1, 40, 32, 3) and full[0][1].shape == (1, 40, 32)
    assert np.array_equal(full[3][1][0], synthetic[3].mask)
    assert np.allclose(full[3][0][0], (synthetic[3].image.astype(np.float32) - 127.5) / 127.5)
    resized = batches(evaluation_dataset(synthetic, size=(20, 16), batch_size=4))
    assert [x.shape for x, _ in resized] == [(4, 20, 16, 3), (4, 20, 16, 3), (2, 20, 16, 3)]
    with pytest.raises(EdgeDeeplabError):
        evaluation_dataset(synthetic, batch_size=4)


def test_resize_for_model_bilinear_image_nearest_mask():
    mask = np.zeros((8, 8), np.uint8)
    mask[:, 4:] = 1
    mask[0, 0] = 255
    image = np.repeat(mask[..., None] * 100, 3, axis=-1).astype(np.uint8)
    out_image, out_mask = resize_for_model(image, mask, (16, 16))
    assert out_image.shape == (16, 16, 3) and out_image.dtype.name == "float32"
    assert out_mask.shape == (16, 16) and out_mask.dtype.name == "uint8"
    assert set(np.unique(out_mask.numpy())) == {0, 1, 255}  # no blended labels
    assert len(np.unique(out_image.numpy())) > 3  # blended pixels
    batch_image, batch_mask = resize_for_model(image[None], mask[None], 4)
    assert batch_image.shape == (1, 4, 4, 3) and batch_mask.shape == (1, 4, 4)


def test_normalisation_comes_from_the_contract(synthetic):
    selfie = ModelContract(
        labels=("background", "person"), input_height=24, input_width=24, mean=(0, 0, 0), std=(255, 255, 255)
    )
    images, _ = batches(evaluation_dataset(synthetic, contract=selfie))[0]
    assert np.allclose(images[0], synthetic[0].image / 255.0)
    assert np.allclose(normalize(np.full((1, 3), 127.5)).numpy(), 0.0)
    padded, masks = batches(training_dataset(synthetic, 64, 1, contract=selfie, augmentation=NO_AUGMENTATION))[0]
    assert np.all(padded[masks == 255] == 0.0)  # padding uses the contract's mean pixel


def test_bad_arguments(synthetic):
    with pytest.raises(EdgeDeeplabError):
        training_dataset(synthetic, 0, 2)
    with pytest.raises(EdgeDeeplabError):
        training_dataset(synthetic, 24, 11)  # fewer samples than one batch
    with pytest.raises(EdgeDeeplabError):
        Augmentation(min_scale=2.0, max_scale=0.5)

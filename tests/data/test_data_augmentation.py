"""The augmentation options for photos unlike one dataset: each changes what it should and nothing else."""

import dataclasses

import numpy as np
import pytest

from edge_deeplab.data import ArrayDataset, synthetic_dataset
from edge_deeplab.data.pipeline import Augmentation, augment, paste_objects, training_dataset
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.train.config import AUGMENT_PRESETS, TrainConfig

# Geometry only (no colour jitter, no flip), so two runs differ by the option under test alone.
PLAIN = Augmentation(min_scale=1.0, max_scale=1.0, flip=False, brightness=0, contrast=0, saturation=0, hue=0)
WORLD = TrainConfig(**AUGMENT_PRESETS["world"]).augmentation()


@pytest.fixture(scope="module")
def people():
    return synthetic_dataset(8, (48, 40), seed=4)


def square_person(size=64, side=8):
    """Background with one small person square in the middle: where a crop puts it is easy to see."""
    image = np.full((size, size, 3), 90, np.uint8)
    image[::2] = 160  # stripes: a texture that blur and JPEG change
    mask = np.zeros((size, size), np.uint8)
    start = (size - side) // 2
    mask[start : start + side, start : start + side] = 1
    image[mask == 1] = (200, 40, 40)
    return image, mask


def run(image, mask, options, seed, crop=(24, 24)):
    out_image, out_mask = augment(image, mask, crop, [seed, 11], options)
    return out_image.numpy(), out_mask.numpy()


def batches(dataset, augmentation, crop=32, seed=0, epoch=0):
    return [
        (x.numpy(), y.numpy())
        for x, y in training_dataset(dataset, crop, 4, seed=seed, epoch=epoch, augmentation=augmentation)
    ]


def test_scale_jitter_down_gives_small_people(people):
    def person_heights(augmentation):
        masks = np.concatenate([y for _, y in batches(people, augmentation, crop=48)])
        return [np.ptp(np.nonzero((m == 1).any(1))[0]) + 1 for m in masks if (m == 1).any()]

    default = person_heights(dataclasses.replace(PLAIN, min_scale=0.5, max_scale=2.0))
    small = person_heights(dataclasses.replace(PLAIN, min_scale=0.25, max_scale=0.3))
    assert max(small) <= 0.3 * 48 + 1 < min(default)  # people a quarter of the frame height or less


def test_edge_crops_cut_people_at_the_border():
    image, mask = square_person()

    def touching(augmentation):
        hits = 0
        for seed in range(16):
            _, out = run(image, mask, augmentation, seed)
            border = np.concatenate([out[0], out[-1], out[:, 0], out[:, -1]])
            hits += bool((border == 1).any() and (out == 0).any())
        return hits

    assert touching(dataclasses.replace(PLAIN, edge_crop=1.0)) == 16
    assert touching(PLAIN) < 8


def pasted(people, options, seed=0):
    """A batch of 4 plain crops, and the same batch after copy-paste."""
    crops = [run(people[k].image, people[k].mask, PLAIN, seed, crop=(40, 32)) for k in range(4)]
    images, masks = np.stack([c[0] for c in crops]), np.stack([c[1] for c in crops])
    seeds = np.array([[seed, k] for k in range(4)], np.int64)
    out_images, out_masks = paste_objects(images, masks, seeds, options)
    return images, masks, out_images.numpy(), out_masks.numpy()


def test_copy_paste_adds_people_labelled_person_over_what_was_there(people):
    options = dataclasses.replace(PLAIN, copy_paste=3, copy_paste_min_scale=0.3, copy_paste_max_scale=0.6)
    added = 0
    for seed in range(3):
        images, masks, out_images, out_masks = pasted(people, options, seed)
        changed = np.any(out_images != images, axis=-1)
        assert np.all(out_masks[changed] == 1)  # every pasted pixel is person
        assert np.all(changed[out_masks != masks])  # labels change only under pasted pixels
        added += int((out_masks == 1).sum() - (masks == 1).sum())
    assert added > 0
    again = pasted(people, options, 2)
    assert np.array_equal(again[2], out_images) and np.array_equal(again[3], out_masks)


def test_soft_paste_edges_blend_pixels_but_keep_hard_labels(people):
    hard = dataclasses.replace(PLAIN, copy_paste=2, copy_paste_min_scale=0.4)
    soft = dataclasses.replace(hard, copy_paste_edge_blur=1.0)
    _, _, hard_images, hard_masks = pasted(people, hard)
    _, _, soft_images, soft_masks = pasted(people, soft)
    assert np.array_equal(hard_masks, soft_masks) and not np.array_equal(hard_images, soft_images)


def test_copy_paste_backgrounds_are_plain_or_noise_and_all_background(people):
    image, mask = people[0].image, people[0].mask
    options = dataclasses.replace(PLAIN, copy_paste=1, copy_paste_background=1.0)
    kinds = set()
    for seed in range(6):
        out_image, out_mask = run(image, mask, options, seed, crop=(56, 48))  # crop > image: would be padded
        assert np.all(out_mask == 0)  # a whole new background, no padding: people come from the paste
        kinds.add(len(np.unique(out_image.reshape(-1, 3), axis=0)) == 1)
    assert kinds == {True, False}  # plain colours and noise


@pytest.mark.parametrize("option", [{"color_jitter": 2.0}, {"blur": 1.0}, {"noise": 0.05}, {"jpeg": 1.0}])
def test_photometric_options_change_pixels_not_labels(people, option):
    plain = TrainConfig(color_jitter=0.0).augmentation()
    changed = TrainConfig(**{"color_jitter": 0.0, **option}).augmentation()
    for (x1, y1), (x2, y2) in zip(batches(people, plain), batches(people, changed)):
        assert np.array_equal(y1, y2)
        assert not np.allclose(x1, x2)


def test_jpeg_leaves_block_artifacts():
    image, mask = square_person(48)
    options = dataclasses.replace(PLAIN, jpeg=1.0, jpeg_min_quality=5)
    clean, _ = run(image, mask, PLAIN, 0, crop=(48, 48))
    degraded, _ = run(image, mask, options, 0, crop=(48, 48))
    assert len(np.unique(clean.reshape(-1, 3), axis=0)) == 3  # two stripe colours and the person
    assert len(np.unique(degraded.reshape(-1, 3), axis=0)) > 10  # ringing and blocks
    assert np.abs(degraded - clean).mean() > 1.0


def test_every_option_together_is_deterministic_and_keeps_labels_valid(people):
    first = batches(people, WORLD, seed=3, epoch=1)
    again = batches(people, WORLD, seed=3, epoch=1)
    for (x1, y1), (x2, y2) in zip(first, again):
        assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    other = batches(people, WORLD, seed=3, epoch=2)
    assert not np.array_equal(first[0][0], other[0][0])
    assert set(np.unique(np.concatenate([y for _, y in first]))) <= {0, 1, 255}


def test_copy_paste_keeps_each_objects_class():
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (32, 32, 3), dtype=np.uint8) for _ in range(4)]
    masks = [np.zeros((32, 32), np.uint8) for _ in range(4)]
    for k, mask in enumerate(masks):
        mask[4:20, 4:12] = 1 + k % 2  # class 1 or 2
        mask[0, :] = 255  # an ignore line that must not be pasted as an object
    dataset = ArrayDataset("three", ("background", "cat", "dog"), list("abcd"), images, masks)
    options = dataclasses.replace(WORLD, copy_paste=4)
    labels = np.concatenate([y for _, y in batches(dataset, options, crop=32)])
    assert set(np.unique(labels)) <= {0, 1, 2, 255}


def test_world_preset_and_bad_values():
    assert WORLD.min_scale == 0.25 and WORLD.copy_paste == 3 and WORLD.edge_crop > 0 and WORLD.jpeg > 0
    assert TrainConfig().augmentation() == Augmentation()  # the defaults are DeepLab's, as before
    for bad in (
        {"edge_crop": 1.5},
        {"copy_paste": -1},
        {"copy_paste_min_scale": 0.0},
        {"jpeg_min_quality": 0},
        {"noise": 2.0},
        {"color_jitter": -1.0},
    ):
        with pytest.raises(EdgeDeeplabError):
            TrainConfig(**bad)

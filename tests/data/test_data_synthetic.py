"""The embedded synthetic default: deterministic, learnable-looking, and writable as a dataset folder."""

import numpy as np
import pytest

from edge_deeplab.data import open_dataset, synthetic_dataset, write_synthetic
from edge_deeplab.data.synthetic import DEFAULT_SIZE, DEFAULT_SPLITS
from edge_deeplab.errors import EdgeDeeplabError


def test_same_seed_same_scenes_and_scene_k_independent_of_count():
    a, b = synthetic_dataset(6, 64, seed=3), synthetic_dataset(6, 64, seed=3)
    for x, y in zip(a, b):
        assert x.id == y.id and np.array_equal(x.image, y.image) and np.array_equal(x.mask, y.mask)
    shorter = synthetic_dataset(2, 64, seed=3)
    assert np.array_equal(shorter[1].image, a[1].image)


def test_seeds_and_splits_differ():
    train, val, other = (
        synthetic_dataset(3, 64, 0, "train"),
        synthetic_dataset(3, 64, 0, "val"),
        synthetic_dataset(3, 64, 1, "train"),
    )
    assert not np.array_equal(train[0].image, val[0].image)
    assert not np.array_equal(train[0].image, other[0].image)
    assert set(train.ids).isdisjoint(val.ids)


def test_scenes_are_person_portraits_with_binary_masks():
    dataset = synthetic_dataset(40, (96, 80), seed=0)
    assert dataset.class_names == ("background", "person")
    fractions = []
    for sample in dataset:
        assert sample.image.shape == (96, 80, 3) and sample.image.dtype == np.uint8
        assert sample.mask.shape == (96, 80) and sample.mask.dtype == np.uint8
        assert set(np.unique(sample.mask)) <= {0, 1}
        fractions.append(sample.mask.mean())
    fractions = np.array(fractions)
    # Mostly one figure covering a sizeable part of the frame, sometimes nobody; never all person.
    assert 0.1 < fractions.mean() < 0.6 and fractions.max() < 0.95
    assert (fractions > 0).mean() > 0.8
    # Not a colour key: person and background pixels overlap in colour (skin-toned distractors, etc.).
    images = np.stack([s.image for s in dataset]).reshape(-1, 3).astype(int)
    masks = np.stack([s.mask for s in dataset]).ravel()
    person_means = images[masks == 1].mean(0)
    background_means = images[masks == 0].mean(0)
    assert np.abs(person_means - background_means).max() < 60


def test_default_is_reachable_through_open_dataset():
    val = open_dataset("synthetic", "val")
    assert len(val) == DEFAULT_SPLITS["val"] and val[0].image.shape == (DEFAULT_SIZE, DEFAULT_SIZE, 3)
    with pytest.raises(EdgeDeeplabError, match="no split 'test'"):
        open_dataset("synthetic", "test")


def test_write_synthetic_round_trips_through_the_folder_reader(tmp_path):
    root = write_synthetic(tmp_path / "synth", n_train=3, n_val=2, size=48, seed=5)
    train, val = open_dataset(root, "train"), open_dataset(root, "val")
    assert (len(train), len(val)) == (3, 2) and train.class_names == ("background", "person")
    memory = synthetic_dataset(2, 48, 5, "val")
    for on_disk, in_memory in zip(val, memory):
        assert on_disk.id == in_memory.id
        assert np.array_equal(on_disk.image, in_memory.image) and np.array_equal(on_disk.mask, in_memory.mask)
    assert not [p for p in tmp_path.iterdir() if p.name != "synth"]  # no staging folder left behind
    with pytest.raises(EdgeDeeplabError, match="not empty"):
        write_synthetic(root, 1, 1, 48)


def test_bad_sizes():
    with pytest.raises(EdgeDeeplabError):
        synthetic_dataset(0, 64)
    with pytest.raises(EdgeDeeplabError):
        synthetic_dataset(2, 8)

"""Representative images: the same seed gives the same images, chosen across foreground shares."""

import numpy as np
import pytest

from edge_deeplab.data.representative import representative_images
from edge_deeplab.contract import ModelContract
from edge_deeplab.data import ArrayDataset, PERSON_CLASSES
from edge_deeplab.errors import EdgeDeeplabError

CONTRACT = ModelContract(labels=("background", "person"), input_height=17, input_width=17, person_class=1)


def _dataset(count=40):
    """Image k has a person covering k / (count - 1) of its mask: the strata are known."""
    rng = np.random.default_rng(0)
    images, masks = [], []
    for k in range(count):
        images.append(rng.integers(0, 256, (24, 20, 3), dtype=np.uint8))
        mask = np.zeros(24 * 20, np.uint8)
        mask[: round(24 * 20 * k / (count - 1))] = 1
        masks.append(mask.reshape(24, 20))
    return ArrayDataset("shares", PERSON_CLASSES, [f"img{k:02d}" for k in range(count)], images, masks)


def test_same_seed_same_images_and_manifest():
    dataset = _dataset()
    first, manifest = representative_images(dataset, CONTRACT, 8, seed=3)
    again, manifest_again = representative_images(dataset, CONTRACT, 8, seed=3)
    other, other_manifest = representative_images(dataset, CONTRACT, 8, seed=4)
    np.testing.assert_array_equal(first, again)
    assert manifest == manifest_again and manifest["ids"] != other_manifest["ids"]
    assert manifest["dataset"] == "shares" and manifest["num_images"] == 8 and manifest["seed"] == 3
    assert len(set(manifest["ids"])) == 8 and set(manifest["ids"]) <= set(dataset.ids)


def test_images_are_preprocessed_as_at_inference():
    images, manifest = representative_images(_dataset(), CONTRACT, 5, seed=0)
    assert images.shape == (5, 17, 17, 3) and images.dtype == np.float32
    assert images.min() >= -1.0 and images.max() <= 1.0  # (x - 127.5) / 127.5
    import cv2

    dataset = _dataset()
    index = dataset.ids.index(manifest["ids"][0])
    expected = CONTRACT.normalize(cv2.resize(dataset.read_image(index), (17, 17), interpolation=cv2.INTER_LINEAR))
    np.testing.assert_allclose(images[0], expected, atol=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stratified_by_foreground_share(seed):
    _, manifest = representative_images(_dataset(40), CONTRACT, 8, seed=seed)
    assert "stratified" in manifest["method"]
    shares = sorted(int(i[3:]) / 39 for i in manifest["ids"])
    quartiles = np.digitize(shares, [0.25, 0.5, 0.75])
    # A plain random sample of 8 from 40 misses a quartile now and then; the stratified one never.
    assert sorted(np.bincount(quartiles, minlength=4)) == [2, 2, 2, 2]


def test_asking_for_more_than_there_are_gives_them_all():
    images, manifest = representative_images(_dataset(6), CONTRACT, 100)
    assert len(images) == 6 and manifest["num_images"] == 6


def test_empty_dataset_is_refused():
    empty = ArrayDataset("empty", PERSON_CLASSES, [], [], [])
    with pytest.raises(EdgeDeeplabError, match="no images"):
        representative_images(empty, CONTRACT, 4)

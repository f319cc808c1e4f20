"""Training on several datasets: the --data spec syntax, weighted deterministic sampling, per-set labels."""

import numpy as np
import pytest

from edge_deeplab.data import ArrayDataset, synthetic_dataset
from edge_deeplab.data.mix import (
    DataSpec,
    MixedDataset,
    data_specs,
    mixed_epoch_order,
    open_each,
    open_mix,
    parse_data_spec,
    part_counts,
)
from edge_deeplab.data.pipeline import epoch_order, sample_order, training_dataset
from edge_deeplab.errors import EdgeDeeplabError


def flat(value, count, size=(24, 20)):
    """`count` samples of one flat colour `value` with a person block: which dataset a sample came from
    shows in its pixels."""
    images = [np.full((*size, 3), value, np.uint8) for _ in range(count)]
    masks = [np.zeros(size, np.uint8) for _ in range(count)]
    for mask in masks:
        mask[6:18, 5:15] = 1
    return ArrayDataset(f"flat{value}", ("background", "person"), [str(k) for k in range(count)], images, masks)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("synthetic", DataSpec("synthetic")),
        ("data/people", DataSpec("data/people")),
        ("data/voc:labels=voc-person:weight=2", DataSpec("data/voc", "voc-person", 2.0)),
        ("data/voc:weight=0.5:labels=map.json", DataSpec("data/voc", "map.json", 0.5)),
    ],
)
def test_data_spec_syntax(text, expected):
    spec = parse_data_spec(text)
    assert spec == expected
    assert parse_data_spec(str(spec)) == spec  # run.json stores str(spec)


@pytest.mark.parametrize(
    "data, named",
    [
        ("a:weight=heavy", "weight=heavy"),
        ("a:weight=0", "positive"),
        ("a:weight=1:weight=2", "twice"),
        (":weight=1", "no dataset path"),
        (["a:weight=1", "b"], "missing on b"),
    ],
)
def test_bad_data_specs_name_the_problem(data, named):
    with pytest.raises(EdgeDeeplabError, match=named):
        data_specs(data)


def test_one_unweighted_dataset_trains_as_before():
    assert open_mix("synthetic").name == "synthetic train"  # the dataset itself, no mix around it
    data = synthetic_dataset(10, 32)
    assert np.array_equal(sample_order(data, 3, 1), epoch_order(10, 3, 1))


def test_weighted_schedule_shares_and_determinism():
    mix = MixedDataset([flat(0, 30), flat(200, 10)], weights=[1, 3])
    assert len(mix) == 40 and list(part_counts(mix, 40)) == [10, 30]
    order = mixed_epoch_order(mix, seed=1, epoch=0)
    assert len(order) == 40 and np.sum(order >= 30) == 30  # the small set oversampled 3x
    assert np.array_equal(order, mixed_epoch_order(mix, 1, 0))
    assert not np.array_equal(order, mixed_epoch_order(mix, 1, 1))
    assert np.bincount(order[order >= 30] - 30).tolist() == [3] * 10  # whole passes, no sample skipped
    unweighted = MixedDataset([flat(0, 30), flat(200, 10)])
    assert sorted(mixed_epoch_order(unweighted, 1, 0)) == list(range(40))  # plain concatenation


def test_mixed_batches_come_from_each_dataset_in_proportion_and_resume_exactly():
    mix = MixedDataset([flat(0, 12), synthetic_dataset(4, (32, 32), seed=1)], weights=[1, 1])
    full = [(x.numpy(), y.numpy()) for x, y in training_dataset(mix, 16, 4, seed=2, epoch=1)]
    images, masks = np.concatenate([x for x, _ in full]), np.concatenate([y for _, y in full])
    from_flat = sum(np.ptp(image[mask != 255]) < 1e-4 for image, mask in zip(images, masks))
    assert from_flat == 8  # half of the 16 samples, as the weights say
    assert set(np.unique(masks)) <= {0, 1, 255}
    resumed = [(x.numpy(), y.numpy()) for x, y in training_dataset(mix, 16, 4, seed=2, epoch=1, skip_batches=2)]
    for (x1, y1), (x2, y2) in zip(full[2:], resumed):
        assert np.array_equal(x1, x2) and np.array_equal(y1, y2)


def test_each_dataset_maps_its_own_labels(voc_root, folder_root):
    mix = open_mix([f"{voc_root}:labels=voc-person", str(folder_root)])
    assert mix.class_names == ("background", "person") and len(mix) == 3 + 4
    assert all(set(np.unique(mix.read_mask(k))) <= {0, 1, 255} for k in range(len(mix)))
    assert [d.name for d in open_each([f"{voc_root}:labels=voc-person", str(folder_root)])] == [
        "VOC2012 val",
        "people val",
    ]
    with pytest.raises(EdgeDeeplabError, match="labels="):  # VOC's 21 classes against background/person
        open_mix([str(voc_root), str(folder_root)])


def test_validation_scores_each_dataset_and_all_together():
    import tensorflow as tf

    from edge_deeplab.model.config import DeepLabConfig
    from edge_deeplab.model.saving import default_contract
    from edge_deeplab.train.loop import validate_each

    contract = default_contract(DeepLabConfig(num_classes=2, input_size=(48, 40)), ("background", "person"))
    sets = [flat(0, 3), flat(200, 2)]
    everything_person = lambda images: tf.ones(tf.shape(images)[:3], tf.int32)  # noqa: E731
    result = validate_each(everything_person, sets, contract, batch_size=2)
    assert set(result["val_per_dataset"]) == {"flat0", "flat200"}
    person = 12 * 10 / (24 * 20)
    assert result["val_person_iou"] == pytest.approx(person)
    assert result["val_per_dataset"]["flat0"]["val_person_iou"] == pytest.approx(person)
    assert "val_per_dataset" not in validate_each(everything_person, sets[:1], contract, 2)

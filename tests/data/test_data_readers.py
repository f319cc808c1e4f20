"""open_dataset: the VOC and folder layouts, labels configs, and every load-time check."""

import json

import numpy as np
import pytest
from PIL import Image

from edge_deeplab.data import VOC_CLASSES, open_dataset
from edge_deeplab.errors import EdgeDeeplabError
from data_crafting import scene, write_gray_mask, write_image


def one_line(error) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


# --- PASCAL VOC -------------------------------------------------------------------------------


def test_voc_layout_reads_palette_indices_not_colours(voc_root):
    dataset = open_dataset(voc_root, "train")  # found under VOCdevkit/VOC2012
    assert dataset.class_names == VOC_CLASSES and len(VOC_CLASSES) == 21
    assert dataset.ids == ["2007_000001", "2007_000002", "2007_000003"]
    sample = dataset[0]
    assert sample.image.dtype == np.uint8 and sample.image.shape == (40, 30, 3)
    assert sample.mask.dtype == np.uint8 and sample.mask.shape == (40, 30)
    # Palette indices: person = 15, ignore = 255 (their colours would be (192,128,128) and (224,224,192)).
    assert set(np.unique(sample.mask)) == {0, 15, 255}
    assert set(np.unique(dataset[1].mask)) == {0, 12, 255}
    # Palette masks cannot be decoded by TensorFlow's PNG decoder: the pipeline must use the reader.
    assert not dataset.masks_plain
    assert len(dataset.image_paths) == len(dataset.mask_paths) == 3
    assert len(open_dataset(voc_root / "VOCdevkit" / "VOC2012", "val")) == 2


def test_voc_to_person_mapping_keeps_ignore(voc_root):
    dataset = open_dataset(voc_root, "train", labels_config="voc-person")
    assert dataset.class_names == ("background", "person")
    assert set(np.unique(dataset[0].mask)) == {0, 1, 255}  # person 15 -> 1
    assert set(np.unique(dataset[1].mask)) == {0, 255}  # dog 12 -> background


def test_voc_missing_split_names_the_available_ones(voc_root):
    with pytest.raises(EdgeDeeplabError) as error:
        open_dataset(voc_root, "test")
    assert "test.txt" in one_line(error) and "train, val" in str(error.value)


# --- images/ + masks/ -------------------------------------------------------------------------


def test_folder_layout_reads_splits_and_exact_pixels(folder_root):
    train, val = open_dataset(folder_root, "train"), open_dataset(folder_root, "val")
    assert (len(train), len(val)) == (4, 2)
    assert train.class_names == ("background", "person")
    assert train.name == "people train"
    image, mask = scene(100, height=36, width=28)
    assert np.array_equal(train[0].image, image) and np.array_equal(train[0].mask, mask)
    assert [s.id for s in val] == ["0004", "0005"]
    assert train.masks_plain  # 8-bit grayscale PNGs, no mapping: TensorFlow may decode them
    assert len(open_dataset(folder_root, "all")) == 6  # no all.txt: every image


def test_folder_labels_json_and_explicit_config(folder_root, tmp_path):
    (folder_root / "labels.json").write_text(json.dumps({"classes": ["bg", "human"]}))
    assert open_dataset(folder_root, "val").class_names == ("bg", "human")
    config = tmp_path / "swap.json"
    config.write_text(json.dumps({"classes": ["person", "background"], "map": {"0": "background", "1": 0}}))
    dataset = open_dataset(folder_root, "val", labels_config=config)
    assert dataset.class_names == ("person", "background")
    raw = np.asarray(Image.open(dataset.mask_paths[0]))
    assert np.array_equal(dataset[0].mask, 1 - raw)
    assert not dataset.masks_plain  # mapped masks go through the reader


@pytest.mark.parametrize(
    "config, fragment",
    [
        ({"classes": ["background"]}, "at least two"),
        ({"classes": ["a", "b"], "map": {"255": 0}}, "ignore label"),
        ({"classes": ["a", "b"], "map": {"3": "c"}}, "names no class"),
        ({"classes": ["a", "b"], "map": {"x": 1}}, "not a mask value"),
        ({"classes": ["a", "b"], "mapping": {}}, "unknown keys"),
    ],
)
def test_bad_labels_config_is_one_line(folder_root, config, fragment):
    with pytest.raises(EdgeDeeplabError) as error:
        open_dataset(folder_root, "val", labels_config=config)
    assert fragment in one_line(error)


def test_map_to_ignore(folder_root):
    dataset = open_dataset(
        folder_root, "val", labels_config={"classes": ["background", "person"], "map": {"0": "ignore"}}
    )
    assert set(np.unique(dataset[0].mask)) == {1, 255}


# --- load-time checks -------------------------------------------------------------------------


def test_missing_mask(folder_root):
    (folder_root / "masks" / "0002.png").unlink()
    with pytest.raises(EdgeDeeplabError) as error:
        open_dataset(folder_root, "train")
    assert "0002.png" in one_line(error) and "mask not found" in str(error.value)


def test_missing_image(folder_root):
    (folder_root / "images" / "0001.png").unlink()
    with pytest.raises(EdgeDeeplabError) as error:
        open_dataset(folder_root, "train")
    assert "0001" in one_line(error) and "image not found" in str(error.value)


def test_size_mismatch(folder_root):
    write_gray_mask(folder_root / "masks" / "0001.png", np.zeros((10, 10), np.uint8))
    with pytest.raises(EdgeDeeplabError) as error:
        open_dataset(folder_root, "train")
    assert "0001.png" in one_line(error) and "10x10" in str(error.value) and "28x37" in str(error.value)


def test_label_outside_the_class_set(folder_root):
    _, mask = scene(101, height=37, width=28, labels=(0, 7))
    write_gray_mask(folder_root / "masks" / "0001.png", mask)
    with pytest.raises(EdgeDeeplabError) as error:
        open_dataset(folder_root, "train")
    assert "0001.png" in one_line(error) and "label 7" in str(error.value) and "labels config" in str(error.value)


def test_ignore_label_is_not_an_unknown_label(folder_root):
    _, mask = scene(101, height=37, width=28, labels=(0, 255))
    write_gray_mask(folder_root / "masks" / "0001.png", mask)
    assert len(open_dataset(folder_root, "train")) == 4


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_image(folder_root, tmp_path, damage):
    path = folder_root / "images" / "0003.png"
    if damage == "garbage":
        path.write_bytes(b"this is not a picture")
    else:
        jpeg = tmp_path / "big.jpg"
        write_image(jpeg, np.random.default_rng(0).integers(0, 256, (39, 28, 3), dtype=np.uint8))
        path.unlink()
        (folder_root / "images" / "0003.jpg").write_bytes(jpeg.read_bytes()[:400])
    with pytest.raises(EdgeDeeplabError) as error:
        open_dataset(folder_root, "train")
    assert "0003" in one_line(error) and "unreadable image" in str(error.value)


def test_colour_mask_is_refused(folder_root):
    Image.new("RGB", (28, 37)).save(folder_root / "masks" / "0001.png")
    with pytest.raises(EdgeDeeplabError) as error:
        open_dataset(folder_root, "train")
    assert "0001.png" in one_line(error) and "RGB" in str(error.value)


def test_skip_mode_drops_bad_samples_with_a_warning_and_count(folder_root, capsys):
    (folder_root / "masks" / "0000.png").unlink()
    (folder_root / "images" / "0003.png").write_bytes(b"junk")
    write_gray_mask(folder_root / "masks" / "0002.png", np.zeros((5, 5), np.uint8))
    dataset = open_dataset(folder_root, "train", on_error="skip")
    assert dataset.ids == ["0001"]
    assert [i for i, _ in dataset.skipped] == ["0000", "0002", "0003"]
    warnings = capsys.readouterr().err.splitlines()
    assert [line.split(":")[0] for line in warnings] == ["warning"] * 4, warnings
    assert sum(line.startswith("warning: skipped 000") for line in warnings) == 3
    assert "skipped 3 of 4" in warnings[-1]


def test_skip_mode_with_nothing_left_is_an_error(folder_root):
    for n in range(4):
        (folder_root / "images" / f"{n:04d}.png").write_bytes(b"junk")
    with pytest.raises(EdgeDeeplabError) as error:
        open_dataset(folder_root, "train", on_error="skip")
    assert "every sample" in one_line(error)


def test_without_verify_only_existence_is_checked(folder_root):
    (folder_root / "images" / "0003.png").write_bytes(b"junk")
    dataset = open_dataset(folder_root, "train", verify=False)
    assert len(dataset) == 4
    with pytest.raises(EdgeDeeplabError, match="unreadable image"):
        dataset[3]


# --- whole-dataset errors ---------------------------------------------------------------------


def test_missing_folder(tmp_path):
    with pytest.raises(EdgeDeeplabError) as error:
        open_dataset(tmp_path / "nowhere", "train")
    assert "not found" in one_line(error)


def test_unknown_layout(tmp_path):
    with pytest.raises(EdgeDeeplabError) as error:
        open_dataset(tmp_path, "train")
    assert "no dataset layout" in one_line(error)


def test_empty_split(folder_root):
    (folder_root / "val.txt").write_text("\n\n")
    with pytest.raises(EdgeDeeplabError) as error:
        open_dataset(folder_root, "val")
    assert "empty" in one_line(error)


def test_dataset_without_masks(folder_root):
    for path in (folder_root / "masks").iterdir():
        path.unlink()
    with pytest.raises(EdgeDeeplabError) as error:
        open_dataset(folder_root, "val", on_error="skip")
    assert "has no masks" in one_line(error)


def test_split_whose_images_have_no_masks(folder_root):
    for n in (4, 5):
        (folder_root / "masks" / f"{n:04d}.png").unlink()
    with pytest.raises(EdgeDeeplabError) as error:
        open_dataset(folder_root, "val", on_error="skip")
    assert "has a mask" in one_line(error)


def test_bad_on_error_value(folder_root):
    with pytest.raises(EdgeDeeplabError):
        open_dataset(folder_root, "val", on_error="ignore")


# --- the real data ----------------------------------------------------------------------------


def test_ccp_person_splits(shared):
    root = shared / "data" / "ccp-person"
    if not root.is_dir():
        pytest.skip("../shared/data/ccp-person is missing")
    val = open_dataset(root, "val")
    assert len(val) == 100 and val.class_names == ("background", "person") and not val.skipped
    assert val.ids[:3] == ["0010", "0020", "0030"]
    sample = val[0]
    assert sample.image.shape[2] == 3 and sample.image.shape[:2] == sample.mask.shape
    assert set(np.unique(sample.mask)) <= {0, 1}
    # train: existence only, to keep the suite fast (val above is fully verified)
    assert len(open_dataset(root, "train", verify=False)) == 903

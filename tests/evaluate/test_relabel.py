"""`edge-deeplab relabel`: background pixels a teacher calls person are ignored in training masks only."""

import cv2
import numpy as np
import pytest

from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.evaluate.relabel import ignore_disputed
from tests.evaluate.fakes import FakeRunner, person_contract, red_is_person


def _write(root, ids_by_split):
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for split, ids in ids_by_split.items():
        (root / f"{split}.txt").write_text("".join(f"{i}\n" for i in ids))
        for i in ids:
            image = np.zeros((16, 16, 3), np.uint8)
            image[2:8, 2:8] = (255, 0, 0)  # the main subject: labelled person
            image[10:14, 10:14] = (255, 0, 0)  # a bystander: labelled background, as in ccp-person
            mask = np.zeros((16, 16), np.uint8)
            mask[2:8, 2:8] = 1
            cv2.imwrite(str(root / "images" / f"{i}.jpg"), image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 100])
            cv2.imwrite(str(root / "masks" / f"{i}.png"), mask)


def test_bystanders_become_ignored_in_train_masks_and_val_is_untouched(tmp_path):
    _write(tmp_path / "data", {"train": ["a", "b"], "val": ["c"]})
    teacher = FakeRunner(person_contract(size=16), red_is_person)
    manifest = ignore_disputed(tmp_path / "data", teacher, tmp_path / "out")
    train_mask = cv2.imread(str(tmp_path / "out" / "masks" / "a.png"), cv2.IMREAD_UNCHANGED)
    assert (train_mask[10:14, 10:14] == 255).all()  # the bystander: no longer "background"
    assert (train_mask[2:8, 2:8] == 1).all()  # the hand-drawn person stays
    assert (train_mask[0, :] == 0).all()  # undisputed background stays
    val_mask = cv2.imread(str(tmp_path / "out" / "masks" / "c.png"), cv2.IMREAD_UNCHANGED)
    assert (val_mask[10:14, 10:14] == 0).all() and set(np.unique(val_mask)) == {0, 1}
    assert (tmp_path / "out" / "images" / "a.jpg").is_symlink()
    assert manifest["images"] == 2 and manifest["ignored_pixels"] == 2 * 16
    assert (tmp_path / "out" / "train.txt").read_text() == "a\nb\n"


def test_relabel_refuses_a_non_empty_output_and_a_bad_threshold(tmp_path):
    _write(tmp_path / "data", {"train": ["a"], "val": ["c"]})
    teacher = FakeRunner(person_contract(size=16), red_is_person)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("user file")
    with pytest.raises(EdgeDeeplabError, match="not empty"):
        ignore_disputed(tmp_path / "data", teacher, tmp_path / "out")
    with pytest.raises(EdgeDeeplabError, match="between 0 and 1"):
        ignore_disputed(tmp_path / "data", teacher, tmp_path / "out2", threshold=1.5)
    assert not (tmp_path / "out2").exists()


def test_a_failure_midway_leaves_no_half_dataset(tmp_path):
    _write(tmp_path / "data", {"train": ["a", "b"], "val": ["c"]})

    def breaks_on_second_image(rgb, calls=[]):
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("teacher crashed")
        return red_is_person(rgb)

    with pytest.raises(RuntimeError):
        ignore_disputed(
            tmp_path / "data", FakeRunner(person_contract(size=16), breaks_on_second_image), tmp_path / "out"
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]

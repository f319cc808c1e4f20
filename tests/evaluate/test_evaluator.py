"""The evaluator over a dataset: scores, differences, best/worst images, reports, and bad input."""

import json

import numpy as np
import pytest

from fakes import ListDataset, Sample
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.evaluate import report
from edge_deeplab.evaluate.evaluator import EvalConfig, evaluate_models
from fakes import FakeRunner, person_contract, red_is_person

SIZE = 16


def _sample(image_id, person_columns):
    """A 16x16 photo: red (person) in the first `person_columns` columns, blue elsewhere; mask to match."""
    rgb = np.zeros((SIZE, SIZE, 3), np.uint8)
    rgb[..., 2] = 200
    rgb[:, :person_columns] = (220, 0, 0)
    mask = np.zeros((SIZE, SIZE), np.uint8)
    mask[:, :person_columns] = 1
    return Sample(image_id, rgb, mask)


def _dataset():
    return ListDataset(("background", "person"), [_sample("a", 4), _sample("b", 8), _sample("c", 0)])


def _always_background(rgb):
    return np.stack([np.full(rgb.shape[:2], 5.0), np.zeros(rgb.shape[:2])], -1).astype(np.float32)


def _runners():
    return [
        FakeRunner(person_contract(SIZE), red_is_person, name="float"),
        FakeRunner(person_contract(SIZE), _always_background, name="broken", format="tflite int8"),
    ]


def test_scores_differences_and_ranking():
    perfect, broken = _runners()
    evaluation = evaluate_models([perfect, broken], _dataset(), EvalConfig(overlays=2), progress=False)
    result = evaluation.result
    good, bad = result["models"]
    assert result["reference"] == "float" and result["dataset"]["images"] == 3
    assert good["metrics"]["mIoU"] == 1.0 and good["metrics"]["boundary_F"] == 1.0 and good["delta_mIoU"] == 0.0
    # broken: 192 person pixels missed, 576 background pixels right -> background IoU 576 / 768, person 0
    assert bad["metrics"]["per_class_IoU"] == pytest.approx({"background": 0.75, "person": 0.0})
    assert bad["delta_mIoU"] == pytest.approx(0.375 - 1.0)
    assert bad["metrics"]["person_boundary_F"] == 0.0
    # image c has no person in truth or prediction of either model: not ranked
    assert set(good["per_image_score"]) == {"a", "b"} and good["per_image_score"]["a"] == 1.0
    assert [entry["id"] for entry in bad["worst"]] and all(e["score"] == 0.0 for e in bad["worst"])
    assert len(evaluation.overlays["float"]["best"]) == 2
    assert good["latency_ms"]["forward_runs"] == 2 and len(perfect.calls) == 3  # first pass is the warm-up


def test_reports_are_complete_and_self_contained(tmp_path):
    evaluation = evaluate_models(_runners(), _dataset(), EvalConfig(overlays=1), progress=False)
    paths = report.write_reports(evaluation, tmp_path / "out")
    assert json.loads(paths["json"].read_text())["models"][1]["name"] == "broken"
    markdown = paths["md"].read_text()
    assert "| float | tflite fp32 | 0.00 | 100.00 | 100.00 | 100.00 | +0.00 | 1.00 |" in markdown
    assert "| broken | tflite int8 | 0.00 | 37.50 | 0.00 |" in markdown and "-62.50" in markdown
    page = paths["html"].read_text()
    assert page.count('src="data:image/jpeg;base64,') == 4
    assert "http" not in page.replace('"http-equiv"', "") and "<link" not in page and "<script" not in page
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "evaluation.html",
        "evaluation.json",
        "evaluation.md",
    ]
    table = report.render_table(evaluation.result).splitlines()
    assert table[0].split()[:3] == ["model", "format", "size"] and table[3].startswith("broken")


def test_dataset_without_masks_stops_before_any_model_runs():
    runner = FakeRunner(person_contract(SIZE), red_is_person)
    dataset = ListDataset(("background", "person"), [Sample("0001", np.zeros((SIZE, SIZE, 3), np.uint8), None)])
    with pytest.raises(EdgeDeeplabError) as error:
        evaluate_models([runner], dataset, progress=False, dataset_name="photos")
    assert str(error.value) == (
        "photos: image 0001 has no mask; evaluation needs ground-truth masks (a split with masks, e.g. --split val)"
    )
    assert runner.calls == []


def test_model_whose_classes_do_not_fit_stops_before_any_model_runs():
    runner = FakeRunner(
        person_contract(SIZE, labels=("background", "cat"), person_class=None), red_is_person, name="cats.tflite"
    )
    with pytest.raises(EdgeDeeplabError, match=r"^cats.tflite: its classes \(background, cat\) don't fit"):
        evaluate_models([runner], _dataset(), progress=False)
    assert runner.calls == []


def test_bad_masks_are_named():
    runner = FakeRunner(person_contract(SIZE), red_is_person)
    wrong_size = Sample("x", np.zeros((SIZE, SIZE, 3), np.uint8), np.zeros((SIZE, 8), np.uint8))
    with pytest.raises(EdgeDeeplabError, match="mask of x is 8x16 but its image is 16x16"):
        evaluate_models([runner], ListDataset(("background", "person"), [wrong_size]), progress=False)
    bad_label = _sample("y", 3)
    bad_label.mask[0, 0] = 7
    with pytest.raises(EdgeDeeplabError, match="mask of y holds label 7, but the dataset has 2 classes"):
        evaluate_models([runner], ListDataset(("background", "person"), [bad_label]), progress=False)


def test_ignore_pixels_in_masks_are_fine_and_uncounted():
    runner = FakeRunner(person_contract(SIZE), _always_background)
    sample = _sample("z", 8)
    sample.mask[:, :8] = 255  # the whole person is unlabelled
    result = evaluate_models([runner], ListDataset(("background", "person"), [sample]), progress=False).result
    assert result["models"][0]["metrics"]["mIoU"] == 1.0  # only background is labelled, and it is right


def test_limit_and_reference_options():
    evaluation = evaluate_models(_runners(), _dataset(), EvalConfig(limit=1, reference="broken"), progress=False)
    assert evaluation.result["dataset"]["images"] == 1 and evaluation.result["reference"] == "broken"
    with pytest.raises(EdgeDeeplabError, match="--reference nope: not among the evaluated models"):
        evaluate_models(_runners(), _dataset(), EvalConfig(reference="nope"), progress=False)
    with pytest.raises(EdgeDeeplabError, match="--scales"):
        EvalConfig(scales=(0.0,))


def _everything_is_person(rgb):
    return np.stack([np.zeros(rgb.shape[:2]), np.full(rgb.shape[:2], 5.0)], -1).astype(np.float32)


def test_labels_are_compared_with_the_float_model_pixel_by_pixel():
    """The share of pixels an export labels otherwise than the float model, and the photos where most differ."""
    perfect, broken = _runners()
    evaluation = evaluate_models([perfect, broken], _dataset(), EvalConfig(overlays=1), progress=False)
    good, bad = evaluation.result["models"]
    assert good["label_disagreement"] is None  # the reference itself
    # broken calls every pixel background: it differs on the 4 + 8 person columns of 3 x 16 columns
    assert bad["label_disagreement"] == pytest.approx(12 / 48)
    assert bad["most_different"] == [{"id": "b", "fraction": 0.5}]
    ((image_id, fraction, jpeg),) = evaluation.overlays["broken"]["differs"]
    assert (image_id, fraction) == ("b", 0.5) and jpeg.startswith(b"\xff\xd8")


def test_a_photo_without_a_person_is_named_and_its_caption_says_why_it_scores_0():
    """Image c has nobody in it: a model that calls everything person scores 0 % there, on false positives."""
    everywhere = FakeRunner(person_contract(SIZE), _everything_is_person, name="everywhere")
    evaluation = evaluate_models([everywhere], _dataset(), EvalConfig(overlays=1), progress=False)
    assert evaluation.result["dataset"]["images_without_person"] == ["c"]
    assert evaluation.result["models"][0]["worst"] == [{"id": "c", "score": 0.0}]
    page = report.render_html(evaluation.result, evaluation.overlays)
    assert "c: person IoU 0.0 % (no person in this photo: every red pixel is a false positive)" in page
    assert "b: person IoU 50.0 %</figcaption>" in page  # a photo with a person keeps the plain caption
    assert "<h3>everywhere (tflite fp32): worst images</h3>" in page  # a model folder called best/ reads as a format

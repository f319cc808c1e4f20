"""`edge-deeplab evaluate`: one command from a dataset and models to a table and three report files."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

import edge_deeplab.evaluate
from fakes import ListDataset, Sample, open_person_dataset
from edge_deeplab.cli import main


@pytest.fixture
def dataset_reader(monkeypatch):
    """Until edge_deeplab.data lands, read ccp-person with the tests' stand-in; afterwards, the real one."""
    import importlib.util

    if importlib.util.find_spec("edge_deeplab.data") is None:
        monkeypatch.setattr(
            edge_deeplab.evaluate, "open_eval_dataset", lambda root, split="val": open_person_dataset(root, split)
        )


def _one_line_error(result):
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def test_evaluate_peers_on_ccp_person(ccp_person, dataset_reader, tmp_path):
    out = tmp_path / "report"
    result = CliRunner().invoke(
        main, ["evaluate", "--data", str(ccp_person), "--peers", "--limit", "2", "--no-progress", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "peer:deeplabv3-voc" in result.output and "peer:mediapipe-selfie" in result.output
    data = json.loads((out / "evaluation.json").read_text())
    assert data["dataset"]["images"] == 2 and data["dataset"]["class_names"] == ["background", "person"]
    for model in data["models"]:
        assert 0.5 < model["metrics"]["person_IoU"] <= 1.0, model["name"]  # both peers do find people
        assert model["latency_ms"]["forward_median"] > 0
    assert (out / "evaluation.md").is_file() and "data:image/jpeg" in (out / "evaluation.html").read_text()


def test_missing_dataset_and_missing_models_are_one_line_errors(tmp_path):
    line = _one_line_error(CliRunner().invoke(main, ["evaluate", "--data", str(tmp_path / "nope"), "--peers"]))
    assert "dataset folder not found" in line
    line = _one_line_error(CliRunner().invoke(main, ["evaluate", "--data", str(tmp_path)]))
    assert "no models given" in line


def test_bad_classes_and_missing_masks_stop_without_writing_reports(shared, monkeypatch, tmp_path):
    photo = np.zeros((20, 20, 3), np.uint8)
    hair = ListDataset(("background", "hair"), [Sample("1", photo, np.zeros((20, 20), np.uint8))])
    monkeypatch.setattr(edge_deeplab.evaluate, "open_eval_dataset", lambda root, split="val": hair)
    out = tmp_path / "report"
    line = _one_line_error(
        CliRunner().invoke(main, ["evaluate", "--data", str(tmp_path), "peer:deeplabv3-voc", "--output", str(out)])
    )
    assert "peer:deeplabv3-voc: its classes (background, aeroplane" in line and "no class hair" in line

    unmasked = ListDataset(("background", "person"), [Sample("1", photo, None)])
    monkeypatch.setattr(edge_deeplab.evaluate, "open_eval_dataset", lambda root, split="val": unmasked)
    line = _one_line_error(
        CliRunner().invoke(
            main, ["evaluate", "--data", str(tmp_path), "peer:mediapipe-selfie", "--output", str(out), "--no-progress"]
        )
    )
    assert "image 1 has no mask" in line
    assert not out.exists()

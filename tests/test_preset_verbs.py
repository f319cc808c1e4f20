"""Every verb that takes a model takes `preset:NAME` (docs/preset-person.md: they "take it like any
model"): one case per verb, each run for real on tiny data but the pipeline's, which checks that
--from-model hands the pipeline the preset's model folder. export-android and predict have theirs in
test_presets.py and segment/test_predict.py, `bench device` in bench/test_bench_device.py."""

import json

import pytest
from click.testing import CliRunner

from edge_deeplab import presets
from edge_deeplab.cli import main
from edge_deeplab.data.synthetic import write_synthetic


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    """4 training and 2 validation scenes at 65 px (person and background, the preset's classes)."""
    return write_synthetic(tmp_path_factory.mktemp("preset-verbs") / "scenes", n_train=4, n_val=2, size=65, seed=5)


def invoke(*args):
    result = CliRunner().invoke(main, [str(arg) for arg in args])
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.slow
def test_train_starts_from_and_distils_from_a_preset(scenes, tmp_path):
    # At 65 px, not the preset's 321 (a quick test): every layer's weights are copied all the same.
    invoke(
        "train",
        "--data",
        scenes,
        "--output",
        tmp_path / "run",
        "--init-from",
        "preset:person",
        "--input-size",
        "65",
        "--distill-from",
        "preset:person",
        "--epochs",
        "1",
        "--batch-size",
        "2",
        "--no-progress",
    )
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["init_from"] == "preset:person" and run["teacher"] == "preset:person"
    assert run["model"]["depth_multiplier"] == 0.5 and run["init_layers"]["new"] == []  # the preset's model


@pytest.mark.slow
def test_qat_fine_tunes_a_preset(scenes, tmp_path):
    invoke(
        "qat",
        "preset:person",
        "--data",
        scenes,
        "--output",
        tmp_path / "qat",
        "--epochs",
        "1",
        "--batch-size",
        "2",
        "--no-progress",
    )
    run = json.loads((tmp_path / "qat" / "run.json").read_text())
    assert run["init_from"] == "preset:person" and run["qat"]


def test_qat_of_a_preset_without_data_asks_for_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a run.json here is not the preset's
    (tmp_path / "run.json").write_text(json.dumps({"data": {"train": "elsewhere"}}))
    result = CliRunner().invoke(main, ["qat", "preset:person", "--output", str(tmp_path / "qat")])
    assert result.exit_code == 1 and "no training run beside it" in result.output


@pytest.mark.slow
def test_export_converts_a_preset_named_after_it(tmp_path):
    invoke(
        "export",
        "preset:person",
        "--formats",
        "fp32",
        "--output",
        tmp_path / "export",
        "--no-gpu-check",
        "--no-progress",
    )
    assert (tmp_path / "export" / "person_fp32.tflite").is_file()


def test_export_of_a_preset_needs_an_output_outside_the_package():
    result = CliRunner().invoke(main, ["export", "preset:person", "--formats", "fp32"])
    assert result.exit_code == 1 and "pass --output" in result.output


def test_gpu_check_checks_a_preset():
    result = invoke("gpu-check", "preset:person:fp16")
    assert result.output.startswith("preset:person:fp16: ")


def test_bench_host_times_a_preset(tmp_path):
    invoke(
        "bench",
        "host",
        "preset:person",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--threads",
        "1",
        "--no-e2e",
        "--no-gpu",
        "--json",
        tmp_path / "bench.json",
        "--history",
        tmp_path / "history.jsonl",
        "--no-progress",
    )
    report = json.loads((tmp_path / "bench.json").read_text())
    assert report["models"][0]["path"] == str(presets.resolve("preset:person", "int8"))


def test_evaluate_scores_a_preset(scenes, tmp_path):
    invoke("evaluate", "preset:person", "--data", scenes, "--no-flip", "--output", tmp_path / "eval", "--no-progress")
    scored = json.loads((tmp_path / "eval" / "evaluation.json").read_text())
    assert "preset:person" in json.dumps(scored)


@pytest.mark.slow
def test_quant_report_analyses_a_preset(scenes, tmp_path):
    invoke(
        "quant-report",
        "preset:person",
        "--data",
        scenes,
        "--calibration-images",
        "2",
        "--selective",
        "0",
        "--limit",
        "1",
        "--no-progress",
    )


def test_relabel_disputes_masks_with_a_preset(scenes, tmp_path):
    invoke(
        "relabel", "--data", scenes, "--teacher", "preset:person", "--output", tmp_path / "relabelled", "--no-progress"
    )
    assert "preset:person" in (tmp_path / "relabelled" / "relabel.json").read_text()


def test_pipeline_starts_from_a_preset(monkeypatch, tmp_path):
    import edge_deeplab.pipeline.run as pipeline_run

    started = []
    monkeypatch.setattr(pipeline_run, "run_pipeline", lambda config, **_: started.append(config) or {"verdicts": []})
    invoke("pipeline", "--from-model", "preset:person", "--output", tmp_path / "pipeline", "--no-progress")
    from edge_deeplab.pipeline.run import plan

    assert plan(started[0]).from_model == str(presets.resolve("preset:person", "keras"))

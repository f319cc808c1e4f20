"""The main job end to end on a tiny configuration: report, verdicts, skipping unchanged stages, bad input."""

import dataclasses
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from edge_deeplab.cli import main
from edge_deeplab.data.synthetic import write_synthetic
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.model import DeepLabConfig
from edge_deeplab.pipeline import PipelineConfig, run_pipeline
from edge_deeplab.train import TrainConfig


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    data = write_synthetic(root / "scenes", n_train=16, n_val=4, size=65, seed=7)
    config = PipelineConfig(
        data=str(data),
        output=str(root / "out"),
        model=DeepLabConfig(input_size=(65, 65), depth_multiplier=0.35, aspp_channels=16, decoder_channels=16),
        train=TrainConfig(epochs=1, batch_size=4, optimizer="adamw", learning_rate=0.005, warmup_epochs=0),
        qat=TrainConfig(epochs=1, batch_size=4, learning_rate=0.001, warmup_epochs=0),
        formats=("fp32", "int8", "qat-int8"),
        calibration_images=4,
        peers=False,
        bench_runs=2,
        real_photos=False,
        init_from=None,
    )
    lines = []
    report = run_pipeline(config, log=lines.append, progress=False)
    return config, report, lines


def test_report_has_every_stage_and_a_verdict_per_gate(tiny):
    config, report, _ = tiny
    out = config.output
    for kind in ("html", "md", "json"):
        assert (Path(out) / f"report.{kind}").stat().st_size > 0
    assert [row["model"] for row in report["models"]] == ["keras", "fp32", "int8", "qat-int8"]
    gates = {verdict["gate"]: verdict["status"] for verdict in report["verdicts"]}
    assert len(gates) == 5 and any("int8 post-training" in g for g in gates) and any("QAT" in g for g in gates)
    assert gates[next(g for g in gates if "FPS" in g)] == "NOT MEASURED"  # no phone here, and it says so
    assert gates[next(g for g in gates if "real people" in g)] == "NOT MEASURED"  # real photos not asked for
    assert all(row["host_cpu_ms"] > 0 for row in report["models"] if row["model"] != "keras")
    html = (Path(out) / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3  # accuracy/latency, per-class IoU, loss and QAT curves
    assert report["training"] and report["qat_training"]  # both curves have their epochs


def test_the_report_says_what_its_numbers_mean(tiny):
    config, report, _ = tiny
    html = (Path(config.output) / "report.html").read_text()
    markdown = (Path(config.output) / "report.md").read_text()
    # The float model is named by what it is, not by its folder best/; its photos are shown once.
    assert "<h3>best</h3>" not in html and "Best and worst photos of the Keras float model" in html
    assert "keras (float, the reference)" in markdown
    shown = report["photos"]["shown"]
    assert shown and all(photo["which"] in ("best", "worst") for photo in shown)
    assert set(report["photos"]["differences"]) == {"fp32", "int8", "qat-int8"}
    # One sign for Δ: the verdict's equals the models table's (export minus float).
    rows = {row["model"]: row for row in report["models"]}
    for verdict in (v for v in report["verdicts"] if "mIoU lost" in v["gate"]):
        fmt = verdict["detail"].split()[0]
        assert verdict["delta_points"] == pytest.approx(rows[fmt]["delta_mIoU_points"], abs=1e-9)
        assert f"Δ {verdict['delta_points']:+.2f} points" in verdict["detail"]
    # Units, the machine, and tables as tables (not raw Markdown in a <pre> cut at the page's edge).
    assert "max |TFLite − Keras|, probability (0-1)" in html and "argmax agreement %" in html
    assert "cpu_count" in html and "tensorflow" in html and "Machine" in markdown
    assert "<pre>" not in html and "overflow-x:auto" in html
    # Every Markdown table row has as many cells as its header (a | inside a cell is escaped).
    for table in markdown.split("\n\n"):
        rows = [line for line in table.splitlines() if line.startswith("|")]
        cells = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
        assert len(cells) <= 1, table


def test_rerun_skips_unchanged_stages_and_redoes_changed_ones(tiny):
    config, _, _ = tiny
    lines = []
    run_pipeline(config, log=lines.append, progress=False)
    skipped = {line.split("]")[0][1:] for line in lines if "up to date, skipped" in line}
    assert skipped == {"train", "qat", "export", "evaluate", "bench-host"}

    lines = []
    run_pipeline(dataclasses.replace(config, bench_runs=3), log=lines.append, progress=False)
    skipped = {line.split("]")[0][1:] for line in lines if "up to date, skipped" in line}
    assert skipped == {"train", "qat", "export", "evaluate"}  # only the benchmark's settings changed


def test_bad_input_stops_with_one_line_and_keeps_earlier_results(tiny, tmp_path):
    config, _, _ = tiny
    stages = (Path(config.output) / "stages.json").read_text()
    with pytest.raises(EdgeDeeplabError, match="does-not-exist"):
        run_pipeline(
            dataclasses.replace(config, data=str(tmp_path / "does-not-exist")), log=lambda line: None, progress=False
        )
    result = CliRunner().invoke(
        main, ["pipeline", "--output", config.output, "--benchmark-binary", str(tmp_path / "no-benchmark_model")]
    )
    assert result.exit_code != 0 and "benchmark_model" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert (Path(config.output) / "stages.json").read_text() == stages


def _cli_with_verdicts(monkeypatch, statuses, *args):
    """Run `edge-deeplab pipeline` with run_pipeline replaced by one returning these verdict statuses;
    returns the click result and the PipelineConfig the command built."""
    import edge_deeplab.pipeline.run as run

    seen = {}

    def fake_run(config, log, progress):
        seen["config"] = config
        return {
            "verdicts": [{"gate": f"gate {i}", "status": status, "detail": ""} for i, status in enumerate(statuses)]
        }

    monkeypatch.setattr(run, "run_pipeline", fake_run)
    result = CliRunner().invoke(main, ["pipeline", *args])
    return result, seen.get("config")


def test_a_failed_verdict_exits_3_and_not_measured_passes(monkeypatch, tmp_path):
    out = ["--output", str(tmp_path / "out")]
    result, _ = _cli_with_verdicts(monkeypatch, ["PASS", "FAIL", "NOT MEASURED"], *out)
    assert result.exit_code == 3 and "gate 1" in result.output and "gate 2" not in result.output.splitlines()[-1]
    result, _ = _cli_with_verdicts(monkeypatch, ["PASS", "NOT MEASURED"], *out)
    assert result.exit_code == 0, result.output
    result, _ = _cli_with_verdicts(monkeypatch, ["PASS", "NOT MEASURED"], *out, "--strict")
    assert result.exit_code == 3 and "gate 1" in result.output


def test_json_gets_the_report_even_when_a_gate_fails(monkeypatch, tmp_path):
    import json

    copy = tmp_path / "ci" / "pipeline.json"
    result, _ = _cli_with_verdicts(
        monkeypatch, ["PASS", "FAIL"], "--output", str(tmp_path / "out"), "--json", str(copy)
    )
    assert result.exit_code == 3
    assert [v["status"] for v in json.loads(copy.read_text())["verdicts"]] == ["PASS", "FAIL"]


def test_loss_limits_are_options_and_checked(monkeypatch, tmp_path):
    out = ["--output", str(tmp_path / "out")]
    result, config = _cli_with_verdicts(monkeypatch, ["PASS"], *out, "--max-int8-loss", "0.5", "--max-qat-loss", "0")
    assert result.exit_code == 0, result.output
    assert (config.max_int8_loss, config.max_qat_loss) == (0.5, 0.0)
    for bad in ("-1", "nan", "inf"):
        result, config = _cli_with_verdicts(monkeypatch, ["PASS"], *out, "--max-qat-loss", bad)
        assert result.exit_code == 1 and config is None
        assert "--max-qat-loss" in result.output and len(result.output.strip().splitlines()) == 1


def test_a_limit_below_the_measured_loss_fails_the_real_verdict(tiny):
    """The real report, rebuilt with tighter limits (every stage is skipped): a loss above its limit FAILs.
    Tiny models often lose exactly 0 points, so the limit is tightened only where a loss was measured."""
    from edge_deeplab.pipeline.report import failed_gates

    config, report, _ = tiny
    lost = {v["gate"]: v["lost_points"] for v in report["verdicts"] if "mIoU lost" in v["gate"]}
    retold = run_pipeline(
        dataclasses.replace(config, max_int8_loss=0.0, max_qat_loss=0.0), log=lambda line: None, progress=False
    )
    for verdict in retold["verdicts"]:
        if verdict["gate"] in lost:
            assert verdict["status"] == ("FAIL" if lost[verdict["gate"]] > 0 else "PASS")
            assert "limit 0.0" in verdict["detail"]
    assert bool(failed_gates(retold["verdicts"])) == any(loss > 0 for loss in lost.values())


def test_training_from_a_model_is_scored_on_held_out_real_photos(tiny, tmp_path, monkeypatch):
    """Started from a model (here the tiny run's), the pipeline distils from it and scores the starting
    model, the trained one and its integer exports on the held-out sets shared/ holds (a stand-in
    shared/ with one set), with a verdict on the integer exports' person IoU."""
    from edge_deeplab.pipeline.report import failed_gates

    config, report, _ = tiny
    shared = tmp_path / "shared"
    write_synthetic(shared / "data" / "ccp-person", n_train=2, n_val=3, size=65, seed=11)
    monkeypatch.setenv("EDGE_DEEPLAB_SHARED", str(shared))
    started = dataclasses.replace(
        config,
        output=str(tmp_path / "out"),
        model=None,
        init_from=report["float_model"],
        real_photos=None,
        min_person_iou=1.0,
        formats=("int8", "qat-int8"),
    )
    lines = []
    report = run_pipeline(started, log=lines.append, progress=False)
    assert any("distilling from" in line for line in lines)
    assert list(report["real_photos"]) == ["ccp-person val"]
    rows = report["real_photos"]["ccp-person val"]
    assert [row["model"] for row in rows] == ["starting model", "keras", "int8", "qat-int8"]
    verdict = next(v for v in report["verdicts"] if "real people" in v["gate"])
    assert verdict["status"] == "FAIL" and "int8" in verdict["detail"]  # nothing tiny reaches IoU 1.0
    assert verdict["gate"] in failed_gates(report["verdicts"])
    assert "Real photos" in (Path(started.output) / "report.md").read_text()
    passing = run_pipeline(dataclasses.replace(started, min_person_iou=0.0), log=lambda line: None, progress=False)
    assert next(v for v in passing["verdicts"] if "real people" in v["gate"])["status"] == "PASS"


def test_the_main_job_fine_tunes_preset_person_by_default(monkeypatch, tmp_path):
    from edge_deeplab.pipeline.run import DEFAULT_QAT, FINE_TUNE_TRAIN, plan
    from edge_deeplab.presets import resolve

    out = ["--output", str(tmp_path / "out")]
    # On the embedded scenes the preset is the float model; QAT distils from it without the cartoon labels.
    result, config = _cli_with_verdicts(monkeypatch, ["PASS"], *out)
    assert result.exit_code == 0, result.output
    config = plan(config)
    assert config.from_model == str(resolve("preset:person")) and config.init_from is None
    assert config.qat.label_weight == 0
    # --batch-size is QAT's there (nothing is trained); --epochs asks for training on the scenes.
    result, config = _cli_with_verdicts(monkeypatch, ["PASS"], *out, "--batch-size", "4")
    assert plan(config).from_model == str(resolve("preset:person")) and plan(config).qat.batch_size == 4
    result, config = _cli_with_verdicts(monkeypatch, ["PASS"], *out, "--epochs", "1")
    assert plan(config).init_from == str(resolve("preset:person")) and plan(config).qat == DEFAULT_QAT
    # On real data (a folder) it is fine-tuned, distilling from itself.
    data = tmp_path / "data"
    data.mkdir()
    result, config = _cli_with_verdicts(monkeypatch, ["PASS"], *out, "--data", str(data))
    config = plan(config)
    assert config.init_from == str(resolve("preset:person")) and config.model is None
    assert config.train == FINE_TUNE_TRAIN and config.qat.label_weight == 1
    result, config = _cli_with_verdicts(monkeypatch, ["PASS"], *out, "--init-from", "none", "--epochs", "3")
    config = plan(config)
    assert config.init_from is None and config.model.depth_multiplier == 0.35 and config.train.epochs == 3
    result, config = _cli_with_verdicts(monkeypatch, ["PASS"], *out, "--backbone-weights", "imagenet")
    assert result.exit_code == 2 and config is None and "--init-from none" in result.output


def test_the_library_plans_the_run_the_command_does(monkeypatch, tmp_path):
    """`run_pipeline(PipelineConfig(...))` from Python runs what `edge-deeplab pipeline` with the same settings
    runs: the defaults that depend on each other are decided in the library (plan), not in the command."""
    import edge_deeplab.pipeline.steps as steps
    from edge_deeplab.pipeline.run import SYNTHETIC_QAT, plan
    from edge_deeplab.presets import resolve

    out = str(tmp_path / "out")
    _, command = _cli_with_verdicts(monkeypatch, ["PASS"], "--output", out)
    library = plan(PipelineConfig(output=out))
    assert plan(command) == library and plan(library) == library
    assert library.from_model == str(resolve("preset:person")) and library.init_from is None
    assert library.qat == SYNTHETIC_QAT
    data = tmp_path / "data"
    data.mkdir()
    _, command = _cli_with_verdicts(monkeypatch, ["PASS"], "--output", out, "--data", str(data))
    assert plan(command) == plan(PipelineConfig(data=str(data), output=out))
    # run_pipeline carries out the plan: the first step is given the planned config.
    seen = []

    def first_step(config, log, progress):
        seen.append(config)
        raise EdgeDeeplabError("stop here")

    monkeypatch.setattr(steps, "start", first_step)
    with pytest.raises(EdgeDeeplabError, match="stop here"):
        run_pipeline(PipelineConfig(output=out), log=lambda line: None, progress=False)
    assert seen == [library]


def test_a_loss_verdict_reads_like_the_table():
    from edge_deeplab.pipeline.report import loss_verdict

    gained = loss_verdict("int8", "gate", 0.8638, 0.8628, limit=0.0)
    assert gained["status"] == "PASS" and gained["delta_points"] == pytest.approx(0.10)
    assert "Δ +0.10 points, 0.10 gained (limit 0.0 lost)" in gained["detail"]
    lost = loss_verdict("qat-int8", "gate", 0.8480, 0.8628, limit=0.3)
    assert lost["status"] == "FAIL" and "Δ -1.48 points, 1.48 lost (limit 0.3 lost)" in lost["detail"]


def test_peers_on_synthetic_scenes_carry_the_out_of_domain_caveat(tiny):
    """The tiny run's data was written by write_synthetic: a peer scored there is out of its domain."""
    from edge_deeplab.pipeline.report import OUT_OF_DOMAIN, _is_synthetic, render_html, render_markdown

    config, report, _ = tiny
    assert _is_synthetic(config.data) and _is_synthetic("synthetic") and not _is_synthetic(config.output)
    peer = dict(report["models"][-1], model="peer:deeplabv3-voc", kind="peer", mIoU=0.0002, delta_mIoU_points=-49.65)
    with_peer = dict(report, models=report["models"] + [peer], out_of_domain_peers=True)
    markdown = render_markdown(with_peer)
    assert "| peer:deeplabv3-voc (out of domain) |" in markdown and OUT_OF_DOMAIN in markdown
    page = render_html(with_peer)
    assert "peer:deeplabv3-voc (out of domain)" in page and "on the synthetic cartoon scenes they are out of" in page


def test_real_photos_asked_for_without_shared_stop_before_training(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGE_DEEPLAB_SHARED", str(tmp_path / "no-shared"))
    with pytest.raises(EdgeDeeplabError, match="--real-photos needs shared/data"):
        run_pipeline(PipelineConfig(output=str(tmp_path / "out"), real_photos=True), log=lambda _: None, progress=False)
    assert not (tmp_path / "out" / "train").exists()

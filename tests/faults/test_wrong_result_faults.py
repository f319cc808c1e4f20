"""Issue 22, wrong results with exit 0: a setting that would be silently ignored, or that makes the numbers
meaningless, is refused in one line naming it (NaN/inf rates, batch-norm momentum, poly power and weight
decay out of range: test_option_faults)."""

import json
import shutil

import pytest

from fault_tools import cli, one_line, stub_run
from edge_deeplab.errors import EdgeDeeplabError

SELFIE = "peers/mediapipe-selfie/selfie_segmentation.tflite"


def _with_contract(model, tmp_path, **changes):
    copy = tmp_path / "edited"
    shutil.copytree(model, copy)
    document = json.loads((copy / "model.json").read_text())
    document["contract"].update(changes)
    (copy / "model.json").write_text(json.dumps(document))
    return copy


# ---- qat --resume and train --resume continue the saved run: a changed option is refused by name --------


@pytest.fixture
def qat_run(model, tiny_scenes, tmp_path):
    from edge_deeplab.train.config import QAT_DEFAULTS

    run = tmp_path / "qat"
    run.mkdir()
    (run / "run.json").write_text(
        json.dumps(
            {
                "model": json.loads((model / "model.json").read_text())["config"],
                "train": QAT_DEFAULTS.replace(batch_size=2, epochs=1).to_dict(),
                "data": {"train": str(tiny_scenes), "val": str(tiny_scenes), "labels": None},
                "init_from": str(model),
                "teacher": str(model),
                "qat": True,
            }
        )
    )
    return run


@pytest.mark.parametrize(
    "option",
    [
        ["--no-distill"],
        ["--learning-rate", "0.01"],
        ["--batch-size", "4"],
        ["--data", "OTHER"],
        ["--optimizer", "adamw"],
        ["--distill-weight", "3"],
        ["--distill-from", "peer:coral-voc"],
    ],
)
def test_qat_resume_refuses_a_changed_option(qat_run, model, tiny_scenes, tmp_path, option):
    other = tmp_path / "other"
    shutil.copytree(tiny_scenes, other)
    option = [str(other) if part == "OTHER" else part for part in option]
    before = (qat_run / "run.json").read_text()
    line = one_line(cli("qat", model, "--output", qat_run, "--resume", *option), option[0], "--resume")
    assert "--epochs" in line  # what may change
    assert (qat_run / "run.json").read_text() == before and sorted(p.name for p in qat_run.iterdir()) == ["run.json"]


def test_train_resume_refuses_other_data(tiny_scenes, tmp_path):
    run = stub_run(tmp_path / "run", tiny_scenes)
    other = tmp_path / "other"
    shutil.copytree(tiny_scenes, other)
    one_line(cli("train", "--data", other, "--output", run, "--resume"), "--data", "--resume")
    assert sorted(p.name for p in run.iterdir()) == ["run.json"]


# ---- a contract whose numbers cannot be right is refused where it is read, naming the file ------------


def test_person_class_out_of_range_is_refused_by_every_reader(model, tiny_scenes, tmp_path):
    from edge_deeplab.model.saving import load_model, read_model_json

    edited = _with_contract(model, tmp_path, person_class=99)
    document = edited / "model.json"
    for read in (read_model_json, load_model):
        with pytest.raises(EdgeDeeplabError, match=r"model\.json: .*person_class 99"):
            read(edited)
    one_line(cli("evaluate", edited, "--data", tiny_scenes, "--output", tmp_path / "ev"), document, "person_class")
    one_line(cli("export", edited, "--formats", "fp32", "--output", tmp_path / "ex", "--no-gpu-check"), document)
    one_line(
        cli(
            "export",
            edited,
            "--formats",
            "fp32",
            "--output",
            tmp_path / "ex",
            "--no-gpu-check",
            "--output-kind",
            "person_alpha",
        ),
        document,
    )
    one_line(cli("qat", edited, "--data", tiny_scenes, "--output", tmp_path / "q", "--batch-size", "2"), document)
    assert not [name for name in ("ev", "ex", "q") if (tmp_path / name).exists()]


def test_export_android_refuses_an_embedded_person_class_out_of_range(tmp_path):
    from edge_deeplab import presets
    from edge_deeplab.contract import TFLITE_METADATA_NAME
    from edge_deeplab.litert.flatbuffer import contract_text, model_bytes, model_object, set_metadata_buffer

    edited = {}
    for kind in ("fp16", "int8"):
        source = presets.resolve("preset:person", kind).read_bytes()
        contract = json.loads(contract_text(source))
        contract["person_class"] = 99
        flatbuffer = model_object(source)
        set_metadata_buffer(flatbuffer, TFLITE_METADATA_NAME, json.dumps(contract).encode())
        edited[kind] = tmp_path / f"edited_{kind}.tflite"
        edited[kind].write_bytes(model_bytes(flatbuffer))
    app = tmp_path / "app"
    (app / "app/src/main").mkdir(parents=True)
    (app / "app/src/main/AndroidManifest.xml").write_text("<manifest/>")
    one_line(cli("export-android", edited["fp16"], edited["int8"], "--app", app), edited["fp16"], "person_class 99")
    assert not (app / "app/src/main/assets").exists()


@pytest.mark.parametrize(
    "changes, named", [({"output_kind": "alpha"}, "output kind 'alpha'"), ({"std": [0, 0, 0]}, "std")]
)
def test_contract_errors_from_model_json_name_the_file(model, tmp_path, changes, named):
    from edge_deeplab.model.saving import read_model_json

    edited = _with_contract(model, tmp_path, **changes)
    with pytest.raises(EdgeDeeplabError) as caught:
        read_model_json(edited)
    assert str(edited / "model.json") in str(caught.value) and named in str(caught.value)


# ---- options that do nothing, or divide by zero ---------------------------------------------------------


def test_export_refuses_no_formats(model, tmp_path):
    one_line(cli("export", model, "--formats", "", "--output", tmp_path / "ex", "--no-gpu-check"), "--formats")
    one_line(cli("export", model, "--formats", " , ", "--output", tmp_path / "ex", "--no-gpu-check"), "--formats")
    assert not (tmp_path / "ex").exists()


@pytest.mark.parametrize(
    "option, value", [("--std", "0"), ("--std", "127.5,0,127.5"), ("--std", "nan"), ("--mean", "inf")]
)
def test_bench_host_refuses_a_normalisation_that_cannot_be_right(shared, tmp_path, option, value):
    values = {"--mean": "0", "--std": "255", option: value}
    result = cli(
        "bench",
        "host",
        shared / SELFIE,
        "--runs",
        "1",
        "--warmup",
        "0",
        "--threads",
        "1",
        "--no-gpu",
        "--mean",
        values["--mean"],
        "--std",
        values["--std"],
        "--json",
        tmp_path / "h.json",
        "--history",
        tmp_path / "h.jsonl",
    )
    one_line(result, option)
    assert list(tmp_path.iterdir()) == []


# ---- a history line whose latency is not a number -------------------------------------------------------

GOOD = {
    "when": "t",
    "kind": "host",
    "where": "host:x",
    "model": "m.tflite",
    "model_sha256": "aa",
    "config": "cpu: xnnpack, 1 thread",
    "mode": "model",
    "latency_ms": 10.0,
    "fps": 100.0,
}


@pytest.mark.parametrize(
    "line",
    [
        json.dumps({**GOOD, "latency_ms": "fast"}),
        json.dumps(GOOD).replace("10.0", "-1e309"),
        json.dumps({**GOOD, "latency_ms": -3}),
    ],
)
def test_a_history_latency_that_is_not_a_positive_number_is_named(tmp_path, line):
    from edge_deeplab.bench import report

    history = tmp_path / "history.jsonl"
    history.write_text(json.dumps(GOOD) + "\n" + line + "\n")
    before = history.read_text()
    with pytest.raises(EdgeDeeplabError, match=r"history\.jsonl:2: latency_ms .* not a positive number"):
        report.append_history(history, [{**GOOD, "when": "t2"}])
    one_line(cli("bench", "history", history), "history.jsonl:2", "latency_ms")
    assert history.read_text() == before
    for text in history.read_text().splitlines():
        json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))


def test_the_history_never_holds_what_json_cannot(tmp_path):
    from edge_deeplab.bench import report

    history = tmp_path / "history.jsonl"
    report.append_history(history, [{**GOOD, "latency_ms": float("inf")}, {**GOOD, "latency_ms": float("nan")}, GOOD])
    lines = history.read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["latency_ms"] == 10.0

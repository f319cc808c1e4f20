"""Issue 15, case 2: a history file cut by an interrupted append no longer poisons every later benchmark,
and the report is written before the history is read or appended."""

import json

import pytest
from click.testing import CliRunner

from edge_deeplab.bench import report
from edge_deeplab.cli import main
from edge_deeplab.errors import EdgeDeeplabError

GOOD = json.dumps(
    {
        "when": "t",
        "kind": "host",
        "where": "host:x",
        "model": "m.tflite",
        "model_sha256": "aa",
        "config": "cpu: xnnpack, 1 thread",
        "mode": "model",
        "latency_ms": 10.0,
        "fps": 100.0,
    },
    sort_keys=True,
)


def _entry(latency):
    return report.history_entry(
        when="t2",
        kind="host",
        where="host:x",
        model="m.tflite",
        model_sha256="aa",
        config="cpu: xnnpack, 1 thread",
        mode="model",
        latency_ms=latency,
        fps=1e3 / latency,
    )


def test_a_cut_last_line_is_skipped_with_a_warning_and_replaced_on_append(tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_text(GOOD + "\n" + GOOD[:40])  # the disk filled up in the middle of an append
    warnings = []
    assert report.read_history(path, warn=warnings.append) == [json.loads(GOOD)]
    assert len(warnings) == 1 and "history.jsonl:2" in warnings[0] and "damaged last line" in warnings[0]

    added = report.append_history(path, [_entry(12.0)], warn=warnings.append)
    assert added[0]["regression"] and added[0]["previous_latency_ms"] == 10.0
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(line) for line in lines), "the cut line goes, the rest stays"
    assert report.read_history(path) == [json.loads(GOOD), added[0]]


def test_a_damaged_line_in_the_middle_still_stops_with_its_number(tmp_path):
    # An append only ever cuts the end: damage before it means an edited or foreign file.
    path = tmp_path / "history.jsonl"
    path.write_text(GOOD + "\n" + GOOD[:40] + "\n" + GOOD + "\n")
    with pytest.raises(EdgeDeeplabError, match=r"history.jsonl:2: not a JSON line.*fix or delete that line"):
        report.read_history(path)


def test_bench_host_saves_its_report_despite_a_cut_history(shared, tmp_path):
    model = shared / "peers" / "mediapipe-selfie" / "selfie_segmentation.tflite"
    history, out = tmp_path / "history.jsonl", tmp_path / "host.json"
    history.write_text(GOOD + "\n" + GOOD[:40])
    args = [
        "bench",
        "host",
        str(model),
        "--runs",
        "1",
        "--warmup",
        "0",
        "--threads",
        "1",
        "--no-gpu",
        "--no-e2e",
        "--mean",
        "0",
        "--std",
        "255",
        "--json",
        str(out),
        "--history",
        str(history),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "damaged last line" in result.output
    assert json.loads(out.read_text())["models"][0]["name"] == "selfie_segmentation.tflite"
    assert len(history.read_text().splitlines()) == 2

    # A history damaged in the middle: one line, and the measured results are kept in the report.
    history.write_text(GOOD[:40] + "\n" + GOOD + "\n")
    out.unlink()
    result = CliRunner().invoke(main, args)
    message = result.output.strip().splitlines()[-1]  # after the progress bar
    assert result.exit_code == 1 and message.startswith("Error: ") and "Traceback" not in result.output
    assert "history.jsonl:1" in message and f"results are saved in {out}" in message
    assert json.loads(out.read_text())["models"][0]["results"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary file left"

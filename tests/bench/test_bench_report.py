"""Tables, JSON reports and the regression history."""

import json

import pytest

from edge_deeplab.bench import report
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.io import write_json


def entry(latency, config="cpu: xnnpack, 2 threads", model_sha="aa", when="t"):
    return report.history_entry(
        when=when,
        kind="host",
        where="host:x",
        model="m.tflite",
        model_sha256=model_sha,
        config=config,
        mode="model",
        latency_ms=latency,
        fps=1000 / latency,
    )


def test_history_marks_a_regression_against_the_previous_same_key_entry(tmp_path):
    path = tmp_path / "history.jsonl"
    first = report.append_history(path, [entry(10.0), entry(20.0, config="cpu: xnnpack, 1 thread")])
    assert [e["regression"] for e in first] == [False, False]
    second = report.append_history(
        path, [entry(10.5), entry(25.0, config="cpu: xnnpack, 1 thread"), entry(30.0, model_sha="bb")]
    )
    # +5 % is within the 10 % threshold, +25 % is not; another model's bytes start a new series.
    assert [e["regression"] for e in second] == [False, True, False]
    assert second[1]["previous_latency_ms"] == 20.0 and second[2]["previous_latency_ms"] is None
    assert len(report.read_history(path)) == 5
    timeline = report.history_timeline(report.read_history(path))
    assert [e["regression"] for e in timeline] == [False, False, False, True, False]


def test_history_rejects_a_foreign_file(tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_text("not json\n")
    with pytest.raises(EdgeDeeplabError, match="history.jsonl:1: not a JSON line"):
        report.read_history(path)


def test_json_is_written_whole(tmp_path):
    path = write_json(tmp_path / "out" / "report.json", {"a": 1})
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]
    with pytest.raises(TypeError):
        write_json(path, {"b": object()})
    assert json.loads(path.read_text()) == {"a": 1}, "a failed write must leave the old file"
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]


def test_table():
    text = report.render_table([{"a": "x", "b": 1.234}, {"a": "long", "b": None}], [("a", "A"), ("b", "B")])
    assert text.splitlines() == ["A     B", "----  ----", "x     1.23", "long  -"]

"""Atomic writes: a reader sees the old file or the new one, and a failure says what to fix."""

import json
import os

import pytest

from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.io import write_bytes, write_json, write_text


def test_json_is_written_whole_and_a_failed_write_keeps_the_old_file(tmp_path):
    path = write_json(tmp_path / "out" / "report.json", {"a": 1})
    assert json.loads(path.read_text()) == {"a": 1}
    with pytest.raises(TypeError):
        write_json(path, {"b": object()})
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]


def test_a_directory_in_the_way_is_named_with_the_fix(tmp_path):
    (tmp_path / "model.tflite").mkdir()
    with pytest.raises(EdgeDeeplabError, match=r"model.tflite: cannot write .*directory is in the way"):
        write_bytes(tmp_path / "model.tflite", b"x")
    assert [p.name for p in tmp_path.iterdir()] == ["model.tflite"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_leaves_no_temporary_file(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(EdgeDeeplabError, match="ro/a.txt: cannot write"):
            write_text(folder / "a.txt", "hello")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)

"""Stage bookkeeping: a rerun skips a stage whose inputs did not change; a killed stage resumes.

Each stage has a fingerprint: a hash of its settings, of the fingerprints of the stages it reads,
and of the files it reads (path, size, modification time). `stages.json` in the pipeline folder
records, for every finished stage, its fingerprint and outputs; it is rewritten atomically after a
stage succeeds, so a failure or a kill never marks a stage done and never touches earlier records.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from edge_deeplab.io import write_json
from edge_deeplab.settings import read_json_object

STAGES_JSON = "stages.json"


def fingerprint(*parts) -> str:
    """A short hash (16 hex digits) of the parts, as JSON (anything else by its str()).

    Args:
        parts: the settings, fingerprints and file signatures a stage depends on.
    """
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def files_signature(*paths) -> list:
    """(path, size, mtime) of every file under the given paths: cheap, and changes when a file does."""
    signature = []
    for path in paths:
        if path is None:
            continue
        path = Path(path)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path] if path.exists() else []
        signature += [(str(p), p.stat().st_size, int(p.stat().st_mtime)) for p in files]
    return signature


class StageStore:
    """stages.json in a pipeline's output: each finished stage with the fingerprint of its inputs, its
    outputs and files, so that a rerun skips what has not changed.

    Args:
        root: the pipeline's output folder.
    """

    def __init__(self, root: Path):
        self.root = Path(root)
        self.path = self.root / STAGES_JSON
        self.records = (
            read_json_object(
                self.path, "pipeline stage record", "the finished stages", fix="delete it to run every stage again"
            )
            if self.path.is_file()
            else {}
        )

    def done(self, name: str, inputs_fingerprint: str) -> Optional[dict]:
        """The outputs of `name` if it finished with this fingerprint of its inputs and its files are still
        there."""
        record = self.records.get(name)
        if record is None or record["fingerprint"] != inputs_fingerprint:
            return None
        if not all(Path(p).exists() for p in record.get("files", [])):
            return None
        return record["outputs"]

    def record(self, name: str, inputs_fingerprint: str, outputs: dict, files=()) -> None:
        """Record that `name` finished with this fingerprint of its inputs, its outputs and its files."""
        self.records[name] = {
            "fingerprint": inputs_fingerprint,
            "outputs": outputs,
            "files": [str(f) for f in files],
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        self.root.mkdir(parents=True, exist_ok=True)
        write_json(self.path, self.records, sort_keys=True)

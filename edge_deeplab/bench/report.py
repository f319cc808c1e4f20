"""Benchmark results as a table, a JSON report and a history file that shows regressions over time.

The history is JSON Lines: one line per measured result (model, where it ran, configuration, mode),
appended after every benchmark. A result regresses when its latency grew by more than a threshold
(10 % by default) over the previous entry with the same key: same model bytes (SHA-256), same
machine or phone, same configuration and mode.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
from pathlib import Path
from typing import Iterable, Optional

from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.io import write_error
from edge_deeplab.tables import text_table

DEFAULT_REGRESSION_THRESHOLD = 0.10


def sha256_of(path) -> str:
    """The SHA-256 of a file (hex), read in 1 MiB blocks: the history's key for the model's bytes.

    Args:
        path: the file.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def now_iso() -> str:
    """The current UTC time to the second, ISO 8601: when a history entry was measured.

    Returns:
        e.g. "2026-12-02T07:49:04+00:00".
    """
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def render_table(rows: list[dict], columns: list[tuple[str, str]]) -> str:
    """A plain-text table; `columns` is [(key, heading)], missing values print as '-'."""

    def cell(row, key):
        value = row.get(key)
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:.2f}"
        return str(value)

    return text_table([heading for _, heading in columns], [[cell(row, key) for key, _ in columns] for row in rows])


# ---- history -------------------------------------------------------------------------------------


def history_key(entry: dict) -> str:
    """What a history entry is compared by: where it ran, the model's SHA-256, the configuration and the mode.

    Args:
        entry: a history entry (history_entry).

    Returns:
        Those parts joined by "|".
    """
    return "|".join(str(entry.get(part)) for part in ("where", "model_sha256", "config", "mode"))


def read_history(path, warn=None) -> list[dict]:
    """The entries of a history file. A cut last line (a '{...' without its newline) is what an interrupted
    append leaves (a full disk, a kill): it is skipped with a warning through `warn`. A damaged line before
    the last cannot come from an append, so the file was edited or is not a history: that stops with the
    line's number, since skipping it could silently compare against the wrong numbers."""
    return _read_history(Path(path), warn)[0]


def _read_history(path: Path, warn=None) -> tuple[list[dict], Optional[int]]:
    """(entries, byte offset where a damaged last line starts, or None)."""
    if not path.exists():
        return [], None
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise EdgeDeeplabError(
            f"{path}: cannot read the benchmark history ({error.strerror}); pass another --history path"
        ) from None
    lines = raw.splitlines(keepends=True)
    last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    entries, offset = [], 0
    for index, line in enumerate(lines):
        start, offset = offset, offset + len(line)
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict):
                raise ValueError("not an object")
        except ValueError:
            # What an interrupted append leaves: the start of one of our lines, without its newline.
            if index == last and line.lstrip().startswith(b"{") and not line.endswith(b"\n"):
                if warn is not None:
                    warn(
                        f"warning: {path}:{index + 1}: skipped a damaged last line (an interrupted write); "
                        "it is removed when results are appended"
                    )
                return entries, start
            raise EdgeDeeplabError(
                f"{path}:{index + 1}: not a JSON line; a history is only appended to, so this file was edited or "
                f"is not an edge-deeplab benchmark history: fix or delete that line (or pass another --history)"
            ) from None
        latency = entry.get("latency_ms")
        if latency is not None and not _is_latency(latency):
            raise EdgeDeeplabError(
                f"{path}:{index + 1}: latency_ms {json.dumps(latency) if isinstance(latency, str) else latency} is "
                "not a positive number of milliseconds, so nothing can be compared with it: fix or delete that line "
                "(or pass another --history)"
            )
        entries.append(entry)
    return entries, None


def _is_latency(value) -> bool:
    """A measured latency: a finite positive number of milliseconds (JSON also reads -1e309 as -inf)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def mark_regressions(previous: list[dict], new: list[dict], threshold: float = DEFAULT_REGRESSION_THRESHOLD):
    """Set `previous_latency_ms` and `regression` (bool) on each new entry, against the last same-key entry."""
    last = {}
    for entry in previous:
        if entry.get("latency_ms"):
            last[history_key(entry)] = entry
    for entry in new:
        before = last.get(history_key(entry))
        entry["previous_latency_ms"] = before["latency_ms"] if before else None
        entry["regression"] = bool(
            before and entry.get("latency_ms") and entry["latency_ms"] > before["latency_ms"] * (1.0 + threshold)
        )
    return new


def append_history(
    path, entries: Iterable[dict], threshold: float = DEFAULT_REGRESSION_THRESHOLD, warn=None
) -> list[dict]:
    """Mark regressions against the file's earlier entries, then append the entries (one JSON line each).
    A damaged last line (an interrupted earlier append) is cut off first, so the new lines start clean."""
    path = Path(path)
    entries = [dict(entry) for entry in entries if _is_latency(entry.get("latency_ms"))]
    previous, damaged_at = _read_history(path, warn)
    mark_regressions(previous, entries, threshold)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Appending whole lines keeps earlier history intact even if this process dies mid-write.
        with open(path, "r+" if path.exists() else "w") as stream:
            if damaged_at is not None:
                stream.truncate(damaged_at)
            stream.seek(0, os.SEEK_END)
            if stream.tell() and damaged_at is None and not path.read_bytes().endswith(b"\n"):
                stream.write("\n")
            stream.write("".join(json.dumps(entry, sort_keys=True, allow_nan=False) + "\n" for entry in entries))
    except OSError as error:  # a full disk mid-line leaves a cut last line: the next append replaces it
        raise write_error(path, error) from None
    return entries


def history_timeline(entries: list[dict], threshold: float = DEFAULT_REGRESSION_THRESHOLD) -> list[dict]:
    """Every entry in file order, each marked against the previous entry with the same key."""
    marked, seen = [], []
    for entry in entries:
        entry = dict(entry)
        mark_regressions(seen, [entry], threshold)
        seen.append(entry)
        marked.append(entry)
    return marked


def history_entry(
    *,
    when: str,
    where: str,
    model: str,
    model_sha256: str,
    config: str,
    mode: str,
    latency_ms: Optional[float],
    fps: Optional[float],
    kind: str,
) -> dict:
    """One line of the benchmark history, latency and FPS rounded.

    Args:
        when: the time of the measurement (now_iso).
        where: the machine or phone it ran on.
        model: the model's name.
        model_sha256: the SHA-256 of the model's bytes.
        config: the configuration (backend and variant).
        mode: what was timed: "model" (invoke alone) or "e2e" (whole frames).
        latency_ms: the median latency, or None.
        fps: frames per second, or None.
        kind: "host" or "device".

    Returns:
        The entry as a dict.
    """
    return {
        "when": when,
        "kind": kind,
        "where": where,
        "model": model,
        "model_sha256": model_sha256,
        "config": config,
        "mode": mode,
        "latency_ms": round(latency_ms, 4) if latency_ms else None,
        "fps": round(fps, 2) if fps else None,
    }

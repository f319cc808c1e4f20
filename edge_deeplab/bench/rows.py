"""Benchmark results as table rows and history entries (the CLI and benchmarks/ print these)."""

from __future__ import annotations

from edge_deeplab.bench import report

HOST_COLUMNS = [
    ("model", "model"),
    ("backend", "backend"),
    ("variant", "variant"),
    ("mode", "mode"),
    ("status", "status"),
    ("median_ms", "median ms"),
    ("p90_ms", "p90 ms"),
    ("p99_ms", "p99 ms"),
    ("fps", "FPS"),
    ("note", "note"),
]


def host_rows(result: dict) -> list[dict]:
    """The rows of the host benchmark's table: one per model and timed setting, with a note on what the number
    means (the GPU correctness path, ops not on the GPU, the end-to-end stages).

    Args:
        result: benchmark_on_host's result.

    Returns:
        A dict per row: model, model_sha256, backend, variant, mode, status, median_ms, p90_ms, p99_ms, fps, note.
    """
    rows = []
    for model in result["models"]:
        for entry in model["results"]:
            stats = entry.get("stats") or {}
            note = entry.get("reason") or ""
            if entry["backend"] == "gpu" and entry.get("status") == "ok":
                note = "correctness path, not phone FPS"
                if "argmax_agreement_vs_cpu" in entry:
                    note += f"; argmax = CPU on {entry['argmax_agreement_vs_cpu'] * 100:.2f}% of pixels"
            if entry.get("fallback_ops"):
                note = "not on GPU: " + ", ".join(op.split(":")[0] for op in entry["fallback_ops"])
            if entry.get("stages_median_ms"):
                stages = entry["stages_median_ms"]
                note = " ".join(f"{k} {v:.1f}" for k, v in stages.items()) + " ms"
            rows.append(
                {
                    "model": model["name"],
                    "model_sha256": model["sha256"],
                    "backend": entry["backend"],
                    "variant": entry.get("variant"),
                    "mode": entry["mode"],
                    "status": entry.get("status"),
                    "median_ms": stats.get("median_ms"),
                    "p90_ms": stats.get("p90_ms"),
                    "p99_ms": stats.get("p99_ms"),
                    "fps": stats.get("fps"),
                    "note": note,
                }
            )
    return rows


def host_history_entries(result: dict, rows: list[dict]) -> list[dict]:
    """The history entries of a host benchmark: its successful CPU rows.

    Args:
        result: benchmark_on_host's result (its "host" facts name the machine).
        rows: host_rows(result).

    Returns:
        One history_entry per successful CPU row.
    """
    when = report.now_iso()
    where = f"host:{result['host']['hostname']} ({result['host']['cpu']})"
    return [
        report.history_entry(
            when=when,
            kind="host",
            where=where,
            model=row["model"],
            model_sha256=row["model_sha256"],
            config=f"{row['backend']}: {row['variant']}",
            mode=row["mode"],
            latency_ms=row["median_ms"],
            fps=row["fps"],
        )
        for row in rows
        if row["status"] == "ok" and row["backend"] == "cpu"
    ]


def mark_regressions(rows: list[dict], entries: list[dict]) -> None:
    """Prefix the note of each row whose history entry regressed."""
    flagged = {(e["model"], e["config"], e["mode"]): e for e in entries if e["regression"]}
    for row in rows:
        config = f"{row['backend']}: {row['variant']}" if "backend" in row else f"{row['config']}-{row['threads']}t"
        entry = flagged.get((row["model"], config, row["mode"] if "mode" in row else "model"))
        if entry:
            row["note"] = (
                f"REGRESSION: {entry['previous_latency_ms']:.2f} -> {entry['latency_ms']:.2f} ms; "
                + (row.get("note") or "")
            ).rstrip("; ")


DEVICE_COLUMNS = [
    ("model", "model"),
    ("config", "config"),
    ("threads", "threads"),
    ("status", "status"),
    ("latency_ms", "latency ms"),
    ("fps", "FPS"),
    ("delegation", "delegation"),
    ("note", "note"),
]


def device_rows(result: dict) -> list[dict]:
    """The rows of the phone benchmark's table: one per model, configuration and thread count, with how much
    of the graph each delegate took.

    Args:
        result: benchmark_on_device's result (its models are read for their SHA-256).

    Returns:
        A dict per row: model, model_sha256, config, threads, status, latency_ms, fps, delegation, note.
    """
    sha = {m["name"]: report.sha256_of(m["path"]) for m in result["models"]}
    rows = []
    for entry in result["results"]:
        delegation = []
        for name, info in entry["delegates"].items():
            if info.get("nodes_total") is not None:
                delegation.append(f"{name} {info['nodes_delegated']}/{info['nodes_total']} nodes")
            elif info.get("status"):
                delegation.append(f"{name} {info['status']}")
            elif info.get("unsupported_ops") or info.get("ops_on_cpu"):
                delegation.append(f"{name} partial")
        note = entry["reason"]
        if entry["status"] == "ok" and entry.get("latency_basis"):
            note = f"{entry['latency_basis']} of {entry['printed']['runs']} runs"
        rows.append(
            {
                "model": entry["model"],
                "model_sha256": sha[entry["model"]],
                "config": entry["config"],
                "threads": entry["threads"],
                "status": entry["status"],
                "latency_ms": entry["latency_ms"],
                "fps": entry["fps"],
                "delegation": ", ".join(delegation) or None,
                "note": note,
            }
        )
    return rows


def device_history_entries(result: dict, rows: list[dict]) -> list[dict]:
    """The history entries of a phone benchmark: its successful rows.

    Args:
        result: benchmark_on_device's result (its "device" facts name the phone).
        rows: device_rows(result).

    Returns:
        One history_entry per successful row.
    """
    when = report.now_iso()
    where = f"device:{result['device']['model']} ({result['device']['serial']})"
    return [
        report.history_entry(
            when=when,
            kind="device",
            where=where,
            model=row["model"],
            model_sha256=row["model_sha256"],
            config=f"{row['config']}-{row['threads']}t",
            mode="model",
            latency_ms=row["latency_ms"],
            fps=row["fps"],
        )
        for row in rows
        if row["status"] == "ok"
    ]

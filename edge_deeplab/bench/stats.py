"""Latency statistics the benchmark reports: min / median / p90 / p99 / mean and frames per second."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class LatencyStats:
    """Summary of per-run latencies (latency_stats), in milliseconds.

    Args:
        runs: the number of timed runs.
        min_ms: the fastest run.
        median_ms: the median run (what tables and FPS use).
        p90_ms: the 90th percentile.
        p99_ms: the 99th percentile.
        mean_ms: the mean.
    """

    runs: int
    min_ms: float
    median_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float

    @property
    def fps(self) -> float:
        """Frames per second at the median latency (one frame in flight at a time, as in a camera loop)."""
        return 1000.0 / self.median_ms if self.median_ms > 0 else float("inf")

    def to_dict(self) -> dict:
        """The statistics as a dict, with fps rounded to 2 decimals."""
        return {**dataclasses.asdict(self), "fps": round(self.fps, 2)}


def latency_stats(samples_ms) -> LatencyStats:
    """Summarise per-run latencies in milliseconds (at least one sample)."""
    import numpy as np

    samples = np.asarray(list(samples_ms), dtype=np.float64)
    if samples.size == 0:
        raise ValueError("latency_stats needs at least one timed run")
    p50, p90, p99 = np.percentile(samples, [50, 90, 99])
    return LatencyStats(
        runs=int(samples.size),
        min_ms=float(samples.min()),
        median_ms=float(p50),
        p90_ms=float(p90),
        p99_ms=float(p99),
        mean_ms=float(samples.mean()),
    )

"""Latency statistics the benchmark reports: min / median / p90 / p99 / mean and frames per second."""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class LatencyStats:
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
        return {**dataclasses.asdict(self), "fps": round(self.fps, 2)}


def latency_stats(samples_ms) -> LatencyStats:
    """Summarise per-run latencies in milliseconds (at least one sample)."""
    import numpy as np

    samples = np.asarray(list(samples_ms), dtype=np.float64)
    if samples.size == 0:
        raise ValueError("latency_stats needs at least one timed run")
    p50, p90, p99 = np.percentile(samples, [50, 90, 99])
    return LatencyStats(runs=int(samples.size), min_ms=float(samples.min()), median_ms=float(p50),
                        p90_ms=float(p90), p99_ms=float(p99), mean_ms=float(samples.mean()))

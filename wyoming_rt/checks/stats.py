"""Latency statistics: percentiles with numpy's linear interpolation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class LatencyStats:
    """Summary of one stage's latencies, in milliseconds."""

    count: int
    p50: float
    p95: float
    p99: float
    mean: float
    max: float

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def latency_stats(values_s: Sequence[float]) -> LatencyStats | None:
    """P50/P95/P99, mean and max (ms) of latencies given in seconds; ``None`` when empty."""
    return latency_stats_ms([v * 1000.0 for v in values_s])


def latency_stats_ms(values_ms: Sequence[float]) -> LatencyStats | None:
    """The same statistics of latencies already in milliseconds (samples kept as a level keeps them)."""
    if not values_ms:
        return None
    ms = np.asarray(values_ms, dtype=np.float64)
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return LatencyStats(len(ms), float(p50), float(p95), float(p99), float(ms.mean()), float(ms.max()))

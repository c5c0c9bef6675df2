import pytest

from wyoming_rt.checks.stats import latency_stats


def test_percentiles_in_milliseconds() -> None:
    stats = latency_stats([i / 1000 for i in range(1, 101)])  # 1..100 ms
    assert stats is not None
    assert stats.count == 100
    assert stats.p50 == pytest.approx(50.5)
    assert stats.p95 == pytest.approx(95.05)
    assert stats.p99 == pytest.approx(99.01)
    assert stats.max == pytest.approx(100.0)


def test_no_values_no_stats() -> None:
    assert latency_stats([]) is None

"""Load levels keep their samples and pool exactly: the percentiles of pooled levels are those of
the union of their samples, never an average of the levels' percentiles."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wyoming_rt.checks.load_stats import LevelResult, RequestRecord, level_result, pool_levels


def records(latencies_ms: list[float], *, errors: int = 0, mixed: int = 0) -> list[RequestRecord]:
    ok = [RequestRecord(ms / 3, ms / 2, ms, None, True, i < mixed) for i, ms in enumerate(latencies_ms)]
    failed = [RequestRecord(None, None, None, "timeout" if i % 2 else "closed", False, False) for i in range(errors)]
    return ok + failed


def test_a_level_computes_its_percentiles_from_the_samples_it_keeps() -> None:
    level = level_result("4/s", records([10.0, 20.0, 30.0, 40.0], errors=1), 2.0, concurrency=None, offered_per_s=4.0)
    assert level.samples_ms["round_trip"] == [10.0, 20.0, 30.0, 40.0]
    rt = level.latency["round_trip"]
    assert rt is not None and rt.count == 4 and rt.p50 == 25.0 and rt.max == 40.0
    assert level.round_trips == 5 and level.errors == 1 and level.error_kinds == {"closed": 1}
    assert level.throughput_per_s == 2.0 and level.succeeded == 4


def test_pooled_percentiles_are_the_union_s_not_an_average() -> None:
    rng = np.random.default_rng(7)
    fast, slow = rng.gamma(2.0, 20.0, 300).round(3), rng.gamma(2.0, 200.0, 37).round(3)
    a = level_result("a", records(list(fast), errors=3, mixed=2), 10.0, concurrency=None, offered_per_s=30.0)
    b = level_result("b", records(list(slow), errors=4), 12.0, concurrency=None, offered_per_s=3.0)
    pooled = pool_levels("33/s", [a, b], wall_s=12.5)
    union = np.concatenate([fast, slow])
    rt = pooled.latency["round_trip"]
    assert rt is not None and rt.count == len(union)
    assert [rt.p50, rt.p95, rt.p99] == pytest.approx(list(np.percentile(union, [50, 95, 99])), abs=1e-9)
    assert rt.mean == pytest.approx(union.mean()) and rt.max == union.max()
    averaged = (a.latency["round_trip"].p95 + b.latency["round_trip"].p95) / 2  # type: ignore[union-attr]
    assert abs(rt.p95 - averaged) > 1  # the average of the percentiles would be wrong
    assert pooled.round_trips == 300 + 3 + 37 + 4 and pooled.errors == 7 and pooled.mixed == 2
    assert pooled.error_kinds == {"closed": 4, "timeout": 3}
    assert pooled.offered_per_s == 33.0 and pooled.concurrency is None
    assert pooled.throughput_per_s == pytest.approx(337 / 12.5)


def test_pooling_without_a_wall_time_sums_the_levels_and_concurrencies_add_up() -> None:
    a = level_result("2 sessions", records([5.0, 6.0]), 1.0, concurrency=2, offered_per_s=None)
    b = level_result("1 session", records([7.0], errors=1), 3.0, concurrency=1, offered_per_s=None)
    pooled = pool_levels("concurrency 3", [a, b])
    assert pooled.wall_s == 4.0 and pooled.throughput_per_s == 3 / 4.0
    assert pooled.concurrency == 3 and pooled.offered_per_s is None
    assert pooled.samples_ms["stt"] == [1.667, 2.0, 2.333]


def test_the_samples_survive_the_document_and_pool_the_same_afterwards() -> None:
    level = level_result("a", records([1.0004, 2.5, 900.123456]), 1.0, concurrency=1, offered_per_s=None)
    document = json.loads(json.dumps(level.to_dict()))
    assert document["latency_samples_ms"]["round_trip"] == [1.0, 2.5, 900.123]
    again = LevelResult.from_dict(document)
    assert again.to_dict() == document
    assert pool_levels("a", [again]).latency == pool_levels("a", [level]).latency


def test_a_document_without_samples_reads_but_does_not_pool() -> None:
    document = level_result("old", records([1.0, 2.0]), 1.0, concurrency=1, offered_per_s=None).to_dict()
    del document["latency_samples_ms"]  # a wyoming-rt/load/1 document written before the samples
    old = LevelResult.from_dict(document)
    assert old.samples_ms == {} and old.latency["round_trip"] is not None
    with pytest.raises(ValueError, match="old: no latency samples"):
        pool_levels("both", [old, old])

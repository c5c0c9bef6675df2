"""Load runs: a closed-model concurrency sweep and an open-model fixed arrival rate.

In the open model, request ``i`` is due at ``start + i / rate`` whatever happened to the
requests before it, and its latency is measured from that due time: a server (or harness)
that falls behind shows its queueing in the figures instead of hiding it (no coordinated
omission). Every result stays tied to its utterance, and a crosstalk check looks for a
transcript that belongs to another utterance than the one sent.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

import anyio

from wyoming_rt.checks.load_stats import (
    LevelResult,
    LoadReport,
    RequestRecord,
    TimedRoundTrip,
    is_mixed,
    knee,
    level_result,
    load_findings,
    request_records,
)
from wyoming_rt.emulator import HAEmulator
from wyoming_rt.endpoint import Endpoint
from wyoming_rt.records.corpus import Utterance
from wyoming_rt.records.errors import WyomingRTError
from wyoming_rt.run.options import ValidateOptions
from wyoming_rt.run.preflight import describe_failure_finding, describe_servers, tts_streaming
from wyoming_rt.run.resources import PhaseWork, ResourceMonitor, resource_sources
from wyoming_rt.run.roundtrip import map_limited, round_trip

MAX_IN_FLIGHT = 1024
"""The open model never has more requests outstanding; later ones wait, their clock running."""

__all__ = [
    "LevelResult",
    "LevelRunner",
    "LoadReport",
    "is_mixed",
    "knee",
    "load_validate",
    "open_count",
    "run_level",
    "run_open",
]


@dataclass(frozen=True)
class Target:
    """What a load level sends to: the servers, and whether TTS streams (decided at describe)."""

    stt: Endpoint
    tts: Endpoint
    streaming: bool


async def _one(emulator: HAEmulator, utterance: Utterance, target: Target, due_ns: int) -> TimedRoundTrip:
    result = await round_trip(emulator, utterance, target.stt, target.tts, tts_streaming=target.streaming)
    return TimedRoundTrip(result, due_ns, time.perf_counter_ns())


def open_count(rate_per_s: float, duration_s: float) -> int:
    """How many requests an open-model run of ``duration_s`` at ``rate_per_s`` sends."""
    return max(1, math.floor(rate_per_s * duration_s))


async def open_arrivals(
    emulator: HAEmulator,
    utterances: Sequence[Utterance],
    target: Target,
    *,
    rate_per_s: float,
    count: int,
    start_in_s: float = 0.0,
    shard: tuple[int, int] = (0, 1),
) -> tuple[list[RequestRecord], float]:
    """Open model: request ``i`` (utterance ``i`` mod the corpus) is due ``i / rate`` after the
    start, ``start_in_s`` from now; latency counts from the due time. ``shard`` = (k, n) sends
    only the requests i ≡ k (mod n), so n shards together send exactly the schedule of one.
    Returns the requests' records and the seconds from the start to the last answer."""
    k, n = shard
    indices = range(k, count, n)
    results: list[TimedRoundTrip | None] = [None] * len(indices)
    limiter = anyio.CapacityLimiter(MAX_IN_FLIGHT)
    start_ns = time.perf_counter_ns() + int(start_in_s * 1e9)
    start = anyio.current_time() + start_in_s

    async def arrival(slot: int, i: int) -> None:
        due_ns = start_ns + int(i * 1e9 / rate_per_s)
        async with limiter:
            results[slot] = await _one(emulator, utterances[i % len(utterances)], target, due_ns)

    async with anyio.create_task_group() as tg:
        for slot, i in enumerate(indices):
            await anyio.sleep_until(start + i / rate_per_s)
            tg.start_soon(arrival, slot, i)
    elapsed_s = (time.perf_counter_ns() - start_ns) / 1e9
    return request_records((r for r in results if r is not None), utterances), elapsed_s


async def closed_sessions(
    emulator: HAEmulator,
    work: Sequence[Utterance],
    utterances: Sequence[Utterance],
    target: Target,
    *,
    concurrency: int,
    start_in_s: float = 0.0,
) -> tuple[list[RequestRecord], float]:
    """Closed model: ``concurrency`` sessions over ``work``, each sending its next request when
    the last is answered, from ``start_in_s`` from now; latency counts from each request's start.
    Returns the records (crosstalk judged against ``utterances``) and the seconds from the start
    to the last answer."""
    started = time.perf_counter() + start_in_s  # the elapsed time counts from the start as given
    await anyio.sleep_until(anyio.current_time() + start_in_s)

    async def timed(utterance: Utterance) -> TimedRoundTrip:
        return await _one(emulator, utterance, target, time.perf_counter_ns())

    results = await map_limited(timed, work, concurrency) if work else []
    elapsed_s = time.perf_counter() - started  # the level's time, not the judging of its answers after
    return request_records(results, utterances), elapsed_s


def closed_work(utterances: Sequence[Utterance], count: int) -> list[Utterance]:
    """The requests of a closed-model level: ``count`` utterances, the corpus in turn."""
    return [utterances[i % len(utterances)] for i in range(count)]


async def run_level(
    emulator: HAEmulator,
    utterances: Sequence[Utterance],
    stt: Endpoint,
    tts: Endpoint,
    *,
    streaming: bool,
    concurrency: int,
    count: int,
) -> LevelResult:
    """Closed model: ``concurrency`` sessions, each sending its next request when the last is answered."""
    target = Target(stt, tts, streaming)
    records, wall_s = await closed_sessions(emulator, closed_work(utterances, count), utterances, target, concurrency=concurrency)
    return level_result(f"concurrency {concurrency}", records, wall_s, concurrency=concurrency, offered_per_s=None)


async def run_open(
    emulator: HAEmulator,
    utterances: Sequence[Utterance],
    stt: Endpoint,
    tts: Endpoint,
    *,
    streaming: bool,
    rate_per_s: float,
    duration_s: float,
) -> LevelResult:
    """Open model: request ``i`` is due at ``i / rate``; latency counts from the due time."""
    records, wall_s = await open_arrivals(
        emulator, utterances, Target(stt, tts, streaming), rate_per_s=rate_per_s, count=open_count(rate_per_s, duration_s)
    )
    return level_result(f"{rate_per_s:g}/s", records, wall_s, concurrency=None, offered_per_s=rate_per_s)


class LevelRunner(Protocol):
    """Runs the levels of a load run: in this process (`local_runner`) or on Ray actors
    (`wyoming_rt.run.ray_load`). ``settings`` is what the report's settings record of it."""

    settings: dict[str, Any]

    async def open(self, *, rate_per_s: float, duration_s: float) -> LevelResult: ...

    async def closed(self, *, concurrency: int, count: int) -> LevelResult: ...


RunnerFactory = Callable[[HAEmulator, Sequence[Utterance], Target], AbstractAsyncContextManager[LevelRunner]]
"""Makes the runner once the servers are described (``Target.streaming`` is known)."""


@dataclass
class _LocalRunner:
    emulator: HAEmulator
    utterances: Sequence[Utterance]
    target: Target
    settings: dict[str, Any] = field(default_factory=dict)

    async def open(self, *, rate_per_s: float, duration_s: float) -> LevelResult:
        t = self.target
        return await run_open(
            self.emulator, self.utterances, t.stt, t.tts, streaming=t.streaming, rate_per_s=rate_per_s, duration_s=duration_s
        )

    async def closed(self, *, concurrency: int, count: int) -> LevelResult:
        t = self.target
        return await run_level(
            self.emulator, self.utterances, t.stt, t.tts, streaming=t.streaming, concurrency=concurrency, count=count
        )


@asynccontextmanager
async def local_runner(emulator: HAEmulator, utterances: Sequence[Utterance], target: Target) -> AsyncIterator[LevelRunner]:
    """The levels in this process, on this event loop (the default)."""
    await emulator.plan_uploads(u.audio for u in utterances)  # the voice detector's CPU, before any load
    yield _LocalRunner(emulator, utterances, target)


def level_count(utterances: Sequence[Utterance], concurrency: int, per_level: int | None = None) -> int:
    """Round trips of a sweep level: ``per_level``, or the corpus, at least two per session."""
    return per_level or max(len(utterances), 2 * concurrency)


async def run_sweep(
    emulator: HAEmulator,
    utterances: Sequence[Utterance],
    stt: Endpoint,
    tts: Endpoint,
    *,
    streaming: bool,
    levels: Sequence[int],
    per_level: int | None = None,
    on_level: Callable[[str], None] | None = None,
) -> LoadReport:
    """Each concurrency level in turn; each runs ``per_level`` round trips (default: the corpus,
    at least two per session). ``on_level`` sees each level's label as it starts."""
    runner = _LocalRunner(emulator, utterances, Target(stt, tts, streaming))
    return await _sweep(runner, utterances, levels, per_level, on_level)


async def _sweep(
    runner: LevelRunner,
    utterances: Sequence[Utterance],
    levels: Sequence[int],
    per_level: int | None,
    on_level: Callable[[str], None] | None,
) -> LoadReport:
    results = []
    for concurrency in levels:
        if on_level is not None:
            on_level(f"concurrency {concurrency}")
        results.append(await runner.closed(concurrency=concurrency, count=level_count(utterances, concurrency, per_level)))
    return LoadReport("concurrency-sweep", results, knee(results), load_findings(results))


async def load_validate(
    stt: Endpoint,
    tts: Endpoint,
    utterances: Sequence[Utterance],
    options: ValidateOptions,
    *,
    sweep: Sequence[int] = (),
    rate_per_s: float | None = None,
    duration_s: float = 30.0,
    runner: RunnerFactory = local_runner,
) -> LoadReport:
    """Describe both servers (as HA would, to pick streaming), then the sweep or the open-model run.

    ``runner`` runs the levels: in this process (the default) or on Ray actors
    (`wyoming_rt.run.ray_load.ray_runner`); describing the servers and sampling their resources
    stay here either way. As in `validate`: raises `ServerUnavailableError` when a server cannot
    be reached at the start; a server reached that fails its describe is a finding, and the run
    goes on.
    """
    emulator = HAEmulator(options.emulator_config())
    monitor = None
    if options.resources:
        monitor = ResourceMonitor(await anyio.to_thread.run_sync(partial(resource_sources, stt, tts, options)))
        await monitor.idle_baseline()
    sampling_over = anyio.Event()
    async with anyio.create_task_group() as sampling:
        if monitor is not None:
            sampling.start_soon(monitor.run, sampling_over)
        try:
            report = await _load_run(emulator, stt, tts, utterances, options, sweep, rate_per_s, duration_s, monitor, runner)
        finally:
            sampling_over.set()
    if monitor is not None:
        monitor.finish()
        work = {level.label: PhaseWork(level.round_trips) for level in report.levels}
        report.resources = monitor.results({"stt": work, "tts": work})
    return report


async def _load_run(
    emulator: HAEmulator,
    stt: Endpoint,
    tts: Endpoint,
    utterances: Sequence[Utterance],
    options: ValidateOptions,
    sweep: Sequence[int],
    rate_per_s: float | None,
    duration_s: float,
    monitor: ResourceMonitor | None,
    make_runner: RunnerFactory,
) -> LoadReport:
    def on_level(label: str) -> None:
        if monitor is not None:
            monitor.phase = label

    described = await describe_servers(emulator, stt, tts)
    describe_findings = [
        describe_failure_finding(role, outcome) for role, outcome in described.items() if isinstance(outcome, WyomingRTError)
    ]
    streaming = tts_streaming(options.tts_streaming, described)
    async with make_runner(emulator, utterances, Target(stt, tts, streaming)) as runner:
        if rate_per_s is not None:
            on_level(f"{rate_per_s:g}/s")
            level = await runner.open(rate_per_s=rate_per_s, duration_s=duration_s)
            report = LoadReport("open", [level], None, load_findings([level]))
        else:
            report = await _sweep(runner, utterances, sweep, None, on_level)
    report.findings[:0] = describe_findings
    report.settings = {
        "stt": stt.uri,
        "tts": tts.uri,
        "utterances": len(utterances),
        "tts_streaming": streaming,
        "timeout_s": options.timeout_s,
        "ha_mode": options.ha_mode,
        "upload": options.pace,
        "levels": list(sweep),
        "rate_per_s": rate_per_s,
        "duration_s": duration_s if rate_per_s is not None else None,
        **runner.settings,
    }
    return report

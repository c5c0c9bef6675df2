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
from collections.abc import Callable, Sequence
from functools import partial

import anyio

from wyoming_rt.checks.load_stats import (
    LevelResult,
    LoadReport,
    TimedRoundTrip,
    is_mixed,
    knee,
    level_result,
    load_findings,
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
    "LoadReport",
    "is_mixed",
    "knee",
    "load_validate",
    "run_level",
    "run_open",
]


async def _one(
    emulator: HAEmulator, utterance: Utterance, stt: Endpoint, tts: Endpoint, streaming: bool, due_ns: int
) -> TimedRoundTrip:
    result = await round_trip(emulator, utterance, stt, tts, tts_streaming=streaming)
    return TimedRoundTrip(result, due_ns, time.perf_counter_ns())


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
    work = [utterances[i % len(utterances)] for i in range(count)]

    async def timed(utterance: Utterance) -> TimedRoundTrip:
        return await _one(emulator, utterance, stt, tts, streaming, time.perf_counter_ns())

    started = time.perf_counter()
    results = await map_limited(timed, work, concurrency)
    return level_result(
        f"concurrency {concurrency}",
        results,
        utterances,
        time.perf_counter() - started,
        concurrency=concurrency,
        offered_per_s=None,
    )


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
    count = max(1, math.floor(rate_per_s * duration_s))
    results: list[TimedRoundTrip | None] = [None] * count
    limiter = anyio.CapacityLimiter(MAX_IN_FLIGHT)
    start_ns = time.perf_counter_ns()
    start = anyio.current_time()

    async def arrival(i: int) -> None:
        due_ns = start_ns + int(i * 1e9 / rate_per_s)
        async with limiter:
            results[i] = await _one(emulator, utterances[i % len(utterances)], stt, tts, streaming, due_ns)

    async with anyio.create_task_group() as tg:
        for i in range(count):
            await anyio.sleep_until(start + i / rate_per_s)
            tg.start_soon(arrival, i)
    done = [r for r in results if r is not None]
    return level_result(
        f"{rate_per_s:g}/s",
        done,
        utterances,
        (time.perf_counter_ns() - start_ns) / 1e9,
        concurrency=None,
        offered_per_s=rate_per_s,
    )


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
    results = []
    for concurrency in levels:
        if on_level is not None:
            on_level(f"concurrency {concurrency}")
        count = per_level or max(len(utterances), 2 * concurrency)
        results.append(await run_level(emulator, utterances, stt, tts, streaming=streaming, concurrency=concurrency, count=count))
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
) -> LoadReport:
    """Describe both servers (as HA would, to pick streaming), then the sweep or the open-model run.

    As in `validate`: raises `ServerUnavailableError` when a server cannot be reached at the
    start; a server reached that fails its describe is a finding, and the run goes on.
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
            report = await _load_run(emulator, stt, tts, utterances, options, sweep, rate_per_s, duration_s, monitor)
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
) -> LoadReport:
    def on_level(label: str) -> None:
        if monitor is not None:
            monitor.phase = label

    described = await describe_servers(emulator, stt, tts)
    describe_findings = [
        describe_failure_finding(role, outcome) for role, outcome in described.items() if isinstance(outcome, WyomingRTError)
    ]
    streaming = tts_streaming(options.tts_streaming, described)
    await emulator.plan_uploads(u.audio for u in utterances)  # the voice detector's CPU, before any load
    if rate_per_s is not None:
        on_level(f"{rate_per_s:g}/s")
        level = await run_open(emulator, utterances, stt, tts, streaming=streaming, rate_per_s=rate_per_s, duration_s=duration_s)
        report = LoadReport("open", [level], None, load_findings([level]))
    else:
        report = await run_sweep(emulator, utterances, stt, tts, streaming=streaming, levels=sweep, on_level=on_level)
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
    }
    return report

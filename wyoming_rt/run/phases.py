"""The measured phases of a validation run after preflight: warm-up (not measured), latency
(one request at a time, as one Home Assistant user), concurrency (N sessions at once).

Each returns what happened; `validation.validate` decides the order, the report judges.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial

import anyio

from wyoming_rt.checks.load_stats import TimedRoundTrip, level_result, request_records
from wyoming_rt.emulator import HAEmulator
from wyoming_rt.endpoint import Endpoint
from wyoming_rt.records.corpus import Utterance
from wyoming_rt.records.errors import ErrorThenHangTimeout, NotSentError, WatchdogTimeout, WyomingRTError
from wyoming_rt.records.findings import Finding, finding
from wyoming_rt.records.results import RoundTripResult
from wyoming_rt.records.rules import WARM_UP_SLOW
from wyoming_rt.report.model import ConcurrencyReport, PhaseRecord
from wyoming_rt.run.roundtrip import Breakers, round_trip

WARM_UP_ATTEMPTS = 3
"""Warm-up requests each server may get, one at a time, until one is answered within the
watchdog: a server slow only on its first requests (a cold start) spends that here, unmeasured."""
CONCURRENCY_ROUND_TRIPS_PER_SESSION = 2


class PhaseClock:
    """``with PhaseClock(record):`` fills in ``record.wall_s`` and ``record.client_cpu_s``: the
    CPU this process spent meanwhile (every thread), so that a reader can tell how much the
    harness competed with the servers during a measured phase."""

    def __init__(self, record: PhaseRecord) -> None:
        self.record = record

    def __enter__(self) -> PhaseRecord:
        self._started = time.perf_counter()
        self._cpu_started = time.process_time()
        return self.record

    def __exit__(self, *exc_info: object) -> None:
        self.record.wall_s = time.perf_counter() - self._started
        self.record.client_cpu_s = time.process_time() - self._cpu_started


async def warm_up(
    emulator: HAEmulator,
    samples: Sequence[Utterance],
    stt: Endpoint,
    tts: Endpoint,
    *,
    tts_streaming: bool,
    breakers: Breakers,
    record: PhaseRecord,
) -> list[Finding]:
    """One request at a time to each server (both servers at once), until one is answered
    within the watchdog, at most `WARM_UP_ATTEMPTS`; the results are thrown away. Timeouts
    become a `warmup.slow` warning and go through the breaker, so a server that hangs for good
    is known before the measured phases start."""
    breakers.new_phase(1)

    async def attempts(role: str) -> list[WyomingRTError | None]:
        breaker = breakers.stt if role == "stt" else breakers.tts
        outcomes: list[WyomingRTError | None] = []
        for index in range(WARM_UP_ATTEMPTS):
            sample = samples[index % len(samples)]
            request: Callable[[], Awaitable[object]] = (
                partial(emulator.transcribe, stt, sample.audio)
                if role == "stt"
                else partial(emulator.synthesize, tts, sample.reference, streaming=tts_streaming)
            )
            try:
                await breaker.call(request)
                outcomes.append(None)
            except WyomingRTError as exc:
                outcomes.append(exc)
            if not _timed_out_error(outcomes[-1]) or breaker.dead:
                break  # answered (even with an error), or nothing more will be sent to it
        return outcomes

    results: dict[str, list[WyomingRTError | None]] = {}

    async def into(role: str) -> None:
        results[role] = await attempts(role)

    async with anyio.create_task_group() as tg:
        tg.start_soon(into, "stt")
        tg.start_soon(into, "tts")
    record.requests = sum(1 for outcomes in results.values() for o in outcomes if not isinstance(o, NotSentError))
    findings = []
    for role in ("stt", "tts"):
        timeouts = [o for o in results[role] if _timed_out_error(o)]
        record.notes[f"{role}_timeouts"] = len(timeouts)
        if timeouts and not all(isinstance(o, ErrorThenHangTimeout) for o in timeouts):  # that one has its own rule
            findings.append(
                finding(
                    WARM_UP_SLOW,
                    f"{role.upper()} server: {len(timeouts)} warm-up request(s) in a row, sent one at a time, did not finish "
                    f"within {emulator.config.timeout_s:g} s ({timeouts[0]}); environment-dependent: a busy machine can cause it",
                )
            )
    return findings


def _timed_out_error(error: BaseException | None) -> bool:
    return isinstance(error, WatchdogTimeout) and not isinstance(error, NotSentError)


async def run_concurrency_phase(
    emulator: HAEmulator,
    utterances: Sequence[Utterance],
    stt: Endpoint,
    tts: Endpoint,
    *,
    tts_streaming: bool,
    sessions: int,
    breakers: Breakers,
    succeeded_alone: frozenset[str] = frozenset(),
) -> ConcurrencyReport:
    """``sessions`` sessions at once, each sending its next round trip when the last is answered,
    `CONCURRENCY_ROUND_TRIPS_PER_SESSION` per session over distinct utterances where the corpus
    has them. A watchdog timeout halves the sessions still sending (never below one) rather than
    letting the pressure fail everything after it. ``succeeded_alone`` names the utterances whose
    latency-phase round trip succeeded: only they are sent (an input that fails alone tells
    nothing about load), so every failure here is a failure under load."""
    breakers.new_phase(sessions)
    usable = [u for u in utterances if u.id in succeeded_alone]  # known failures only cost watchdogs here
    count = sessions * CONCURRENCY_ROUND_TRIPS_PER_SESSION if usable else 0
    work = iter([usable[i % len(usable)] for i in range(count)])
    timed: list[TimedRoundTrip] = []
    allowed = sessions
    timeouts = 0

    async def session(number: int) -> None:
        nonlocal allowed, timeouts
        while number < allowed:
            utterance = next(work, None)
            if utterance is None:
                return
            started_ns = time.perf_counter_ns()
            result = await round_trip(emulator, utterance, stt, tts, tts_streaming=tts_streaming, breakers=breakers)
            timed.append(TimedRoundTrip(result, started_ns, time.perf_counter_ns()))
            if _timed_out(result):
                timeouts += 1
                allowed = max(1, allowed // 2)

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for number in range(sessions):
            tg.start_soon(session, number)
    level = level_result(
        f"{sessions} sessions",
        request_records(timed, utterances),
        time.perf_counter() - started,
        concurrency=sessions,
        offered_per_s=None,
    )
    return ConcurrencyReport(level, sessions, allowed, timeouts)


def _timed_out(result: RoundTripResult) -> bool:
    return _timed_out_error(result.stt_error or result.tts_error)


def seconds_per_unit(results: Sequence[RoundTripResult]) -> tuple[float | None, float | None]:
    """How fast the servers worked in the latency phase: STT seconds per extra second of audio
    (the slope of latency over duration, so that a request's fixed cost does not count), and
    TTS seconds per character of text (median), to size the busy probes' requests."""
    stt_points = [(r.stt.audio_duration_s, r.stt.latency_s) for r in results if r.stt and r.stt.audio_duration_s > 0]
    tts = [r.tts.total_s / len(r.stt.text) for r in results if r.tts and r.stt and r.stt.text.strip()]
    return _stt_slope(stt_points), (statistics.median(tts) if tts else None)


def _stt_slope(points: Sequence[tuple[float, float]]) -> float | None:
    if not points:
        return None
    ratio = statistics.median(latency / duration for duration, latency in points)
    durations = [d for d, _ in points]
    if len(points) < 3 or max(durations) - min(durations) < 0.5:
        return ratio
    slope = statistics.linear_regression(durations, [latency for _, latency in points]).slope
    return slope if 0 < slope <= ratio else ratio

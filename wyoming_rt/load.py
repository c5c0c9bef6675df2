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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio

from .checks.scoring import score
from .checks.stats import LatencyStats, latency_stats
from .corpus import Utterance
from .emulator import HAEmulator
from .endpoint import Endpoint
from .errors import WyomingRTError
from .findings import Finding, finding, rule
from .roundtrip import RoundTripResult, map_limited, round_trip
from .validation import ServerUnavailableError, ValidateOptions, advertises_streaming

LOAD_ERRORS = rule(
    "load.errors",
    "error",
    "Round trips failed under load (errors per level in the load table).",
    "HA sends requests from every voice satellite at once; a server that fails under concurrency fails real users.",
    ref="Load run (--concurrency-sweep / --rate): every request must be answered",
)
LOAD_CROSSTALK = rule(
    "load.crosstalk",
    "error",
    "Under load, a session got back a transcript that belongs to another session's utterance.",
    "Mixed-up sessions answer one user with another user's words.",
    ref="One connection per request (HA stt.py): an answer belongs to its own connection",
)

KNEE_FRACTION = 0.9
"""The knee is the smallest level that reaches this fraction of the best throughput."""
MIXED_MAX_WER = 0.5
MAX_IN_FLIGHT = 1024
"""The open model never has more requests outstanding; later ones wait, their clock running."""


@dataclass
class LevelResult:
    """One load level: what was offered, what came back, and how fast."""

    label: str
    concurrency: int | None
    offered_per_s: float | None
    round_trips: int
    errors: int
    mixed: int
    wall_s: float
    throughput_per_s: float
    latency: dict[str, LatencyStats | None]
    error_kinds: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "concurrency": self.concurrency,
            "offered_per_s": self.offered_per_s,
            "round_trips": self.round_trips,
            "errors": self.errors,
            "error_kinds": self.error_kinds,
            "mixed": self.mixed,
            "wall_s": round(self.wall_s, 3),
            "throughput_per_s": round(self.throughput_per_s, 3),
            "latency_ms": {k: v.to_dict() if v else None for k, v in self.latency.items()},
        }


@dataclass
class LoadReport:
    """The levels of a load run, the knee (sweep) and the findings."""

    mode: str
    levels: list[LevelResult]
    knee: str | None
    findings: list[Finding]
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "wyoming-rt/load/1",
            "passed": self.passed,
            "mode": self.mode,
            "knee": self.knee,
            "levels": [level.to_dict() for level in self.levels],
            "findings": [f.to_dict() for f in self.findings],
            "settings": self.settings,
        }


@dataclass
class _Timed:
    result: RoundTripResult
    due_ns: int
    end_ns: int


def is_mixed(result: RoundTripResult, others: Sequence[Utterance]) -> bool:
    """True when the transcript matches another utterance's reference (normalised WER at most
    0.5, jiwer) better than its own; a transcript unlike every reference is a recognition
    problem, not crosstalk."""
    if result.stt is None or not result.stt.text.strip():
        return False
    own = _wer(result.utterance.reference, result.stt.text)
    if own == 0:
        return False
    return any(
        (wer := _wer(u.reference, result.stt.text)) < own and wer <= MIXED_MAX_WER
        for u in others
        if u.reference != result.utterance.reference
    )


def _wer(reference: str, hypothesis: str) -> float:
    wer = score(reference, hypothesis).wer
    return math.inf if wer is None else wer


def _level(label: str, timed: list[_Timed], utterances: Sequence[Utterance], wall_s: float, **kwargs: Any) -> LevelResult:
    ok = [t for t in timed if t.result.tts is not None]
    failures = Counter(
        (t.result.stt_error or t.result.tts_error).kind  # type: ignore[union-attr]
        for t in timed
        if t.result.stt_error or t.result.tts_error
    )
    latency = {
        "stt": latency_stats([t.result.stt.latency_s for t in timed if t.result.stt]),  # type: ignore[union-attr]
        "tts_total": latency_stats([t.result.tts.total_s for t in ok]),  # type: ignore[union-attr]
        "round_trip": latency_stats([(t.end_ns - t.due_ns) / 1e9 for t in ok]),
    }
    return LevelResult(
        label=label,
        round_trips=len(timed),
        errors=sum(failures.values()),
        error_kinds=dict(failures),
        mixed=sum(is_mixed(t.result, utterances) for t in timed),
        wall_s=wall_s,
        throughput_per_s=len(ok) / wall_s if wall_s > 0 else 0.0,
        latency=latency,
        **kwargs,
    )


async def _one(emulator: HAEmulator, utterance: Utterance, stt: Endpoint, tts: Endpoint, streaming: bool, due_ns: int) -> _Timed:
    result = await round_trip(emulator, utterance, stt, tts, tts_streaming=streaming)
    return _Timed(result, due_ns, time.perf_counter_ns())


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

    async def timed(utterance: Utterance) -> _Timed:
        return await _one(emulator, utterance, stt, tts, streaming, time.perf_counter_ns())

    started = time.perf_counter()
    results = await map_limited(timed, work, concurrency)
    return _level(
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
    results: list[_Timed | None] = [None] * count
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
    return _level(
        f"{rate_per_s:g}/s",
        done,
        utterances,
        (time.perf_counter_ns() - start_ns) / 1e9,
        concurrency=None,
        offered_per_s=rate_per_s,
    )


def knee(levels: Sequence[LevelResult]) -> str | None:
    """The smallest level whose throughput reaches 90 % of the best: beyond it, latency grows for nothing."""
    if not levels:
        return None
    best = max(level.throughput_per_s for level in levels)
    if best <= 0:
        return None
    return next(level.label for level in levels if level.throughput_per_s >= KNEE_FRACTION * best)


def load_findings(levels: Sequence[LevelResult]) -> list[Finding]:
    findings = []
    for level in levels:
        if level.errors:
            kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(level.error_kinds.items()))
            findings.append(
                finding(LOAD_ERRORS, f"{level.label}: {level.errors} of {level.round_trips} round trips failed ({kinds})")
            )
        if level.mixed:
            findings.append(
                finding(
                    LOAD_CROSSTALK, f"{level.label}: {level.mixed} of {level.round_trips} transcripts belong to another utterance"
                )
            )
    return findings


async def run_sweep(
    emulator: HAEmulator,
    utterances: Sequence[Utterance],
    stt: Endpoint,
    tts: Endpoint,
    *,
    streaming: bool,
    levels: Sequence[int],
    per_level: int | None = None,
) -> LoadReport:
    """Each concurrency level in turn; each runs ``per_level`` round trips (default: the corpus,
    at least two per session)."""
    results = []
    for concurrency in levels:
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

    Raises `ServerUnavailableError` when a server cannot be reached at the start.
    """
    emulator = HAEmulator(options.emulator_config())
    described = {}
    for role, endpoint in (("stt", stt), ("tts", tts)):
        try:
            described[role] = await emulator.describe(endpoint)
        except WyomingRTError as exc:
            raise ServerUnavailableError(f"{role.upper()} server unavailable: {exc}") from exc
    streaming = options.tts_streaming if options.tts_streaming is not None else advertises_streaming(described["tts"])
    if rate_per_s is not None:
        level = await run_open(emulator, utterances, stt, tts, streaming=streaming, rate_per_s=rate_per_s, duration_s=duration_s)
        report = LoadReport("open", [level], None, load_findings([level]))
    else:
        report = await run_sweep(emulator, utterances, stt, tts, streaming=streaming, levels=sweep)
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

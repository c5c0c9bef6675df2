"""Figures of round trips run under load (a load level, the concurrency phase): errors,
crosstalk between sessions, throughput and latency percentiles, the knee of a sweep. Pure.

A level keeps every latency sample, so that levels measured apart (Ray actors, shards) pool
exactly: percentiles of the union, never an average of percentiles (`pool_levels`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from wyoming_rt.checks.scoring import score
from wyoming_rt.checks.stats import LatencyStats, latency_stats_ms
from wyoming_rt.records.corpus import Utterance
from wyoming_rt.records.findings import Finding, finding
from wyoming_rt.records.resources import ServerResources
from wyoming_rt.records.results import RoundTripResult
from wyoming_rt.records.rules import LOAD_CROSSTALK, LOAD_ERRORS

KNEE_FRACTION = 0.9
"""The knee is the smallest level that reaches this fraction of the best throughput."""
MIXED_MAX_WER = 0.5
LOAD_STAGES = ("stt", "tts_total", "round_trip")
"""The latency stages of a load level; ``round_trip`` counts from the request's due time."""


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
    samples_ms: dict[str, list[float]] = field(default_factory=dict)
    """Every latency sample per stage, in ms to 1 µs: ``latency`` is computed from these (empty
    for a level read from a document written before they were kept)."""

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
            "latency_samples_ms": {k: [round(v, 3) for v in values] for k, values in self.samples_ms.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LevelResult:
        """The inverse of `to_dict`; a document without ``latency_samples_ms`` gives no samples."""
        return cls(
            label=data["label"],
            concurrency=data["concurrency"],
            offered_per_s=data["offered_per_s"],
            round_trips=data["round_trips"],
            errors=data["errors"],
            mixed=data["mixed"],
            wall_s=data["wall_s"],
            throughput_per_s=data["throughput_per_s"],
            latency={stage: None if stats is None else LatencyStats(**stats) for stage, stats in data["latency_ms"].items()},
            error_kinds=dict(data["error_kinds"]),
            samples_ms={stage: [float(v) for v in values] for stage, values in data.get("latency_samples_ms", {}).items()},
        )

    @property
    def succeeded(self) -> int:
        """Round trips that got a transcript and audio back (each has a ``round_trip`` sample)."""
        return len(self.samples_ms.get("round_trip", ()))


@dataclass
class LoadReport:
    """The levels of a load run, the knee (sweep) and the findings."""

    mode: str
    levels: list[LevelResult]
    knee: str | None
    findings: list[Finding]
    settings: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, ServerResources] = field(default_factory=dict)
    """What each server cost at each level (a phase per level), when it runs on this machine."""

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
            "resources": {role: r.to_dict() for role, r in self.resources.items()},
        }


@dataclass
class TimedRoundTrip:
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


class RequestRecord(NamedTuple):
    """One request of a load level, compact (what a Ray actor sends back): its stage latencies
    in ms (``round_trip`` from its due time), its error kind, whether it succeeded, and
    whether its transcript was another utterance's (`is_mixed`, judged where the utterances are)."""

    stt_ms: float | None
    tts_total_ms: float | None
    round_trip_ms: float | None
    error: str | None
    ok: bool
    mixed: bool


def request_record(timed: TimedRoundTrip, utterances: Sequence[Utterance]) -> RequestRecord:
    result = timed.result
    error = result.stt_error or result.tts_error
    ok = result.tts is not None
    return RequestRecord(
        stt_ms=result.stt.latency_s * 1000 if result.stt else None,
        tts_total_ms=result.tts.total_s * 1000 if result.tts else None,
        round_trip_ms=(timed.end_ns - timed.due_ns) / 1e6 if ok else None,
        error=error.kind if error else None,
        ok=ok,
        mixed=is_mixed(result, utterances),
    )


def request_records(timed: Iterable[TimedRoundTrip], utterances: Sequence[Utterance]) -> list[RequestRecord]:
    return [request_record(t, utterances) for t in timed]


def level_result(label: str, records: Sequence[RequestRecord], wall_s: float, **kwargs: Any) -> LevelResult:
    """A level's figures from its requests' records (``kwargs``: ``concurrency``, ``offered_per_s``)."""
    samples = {  # to 1 µs, as the document keeps them: a level read back pools as the original
        "stt": [round(r.stt_ms, 3) for r in records if r.stt_ms is not None],
        "tts_total": [round(r.tts_total_ms, 3) for r in records if r.ok and r.tts_total_ms is not None],
        "round_trip": [round(r.round_trip_ms, 3) for r in records if r.ok and r.round_trip_ms is not None],
    }
    failures = Counter(r.error for r in records if r.error)
    mixed = sum(r.mixed for r in records)
    return _level(label, len(records), failures, mixed, wall_s, samples, **kwargs)


def pool_levels(label: str, levels: Sequence[LevelResult], wall_s: float | None = None) -> LevelResult:
    """Levels measured apart (Ray actors, shards) as one, exactly: counts and error kinds summed,
    samples concatenated and the percentiles computed over the union (never averaged);
    throughput = successful round trips / ``wall_s`` (default: the sum of the levels' wall times).
    Concurrency and offered rate are summed when every level has one.

    Raises `ValueError` for a level with round trips but no samples (read from an older document)."""
    for level in levels:
        if level.round_trips and not level.samples_ms:
            raise ValueError(f"{level.label}: no latency samples (an older document); levels pool only from their samples")
    stages = list(dict.fromkeys(stage for level in levels for stage in (*LOAD_STAGES, *level.samples_ms)))
    samples = {stage: [v for level in levels for v in level.samples_ms.get(stage, ())] for stage in stages}
    failures: Counter[str] = Counter()
    for level in levels:
        failures.update(level.error_kinds)
    concurrency = [level.concurrency for level in levels]
    offered = [level.offered_per_s for level in levels]
    return _level(
        label,
        sum(level.round_trips for level in levels),
        failures,
        sum(level.mixed for level in levels),
        sum(level.wall_s for level in levels) if wall_s is None else wall_s,
        samples,
        concurrency=sum(c for c in concurrency if c is not None) if None not in concurrency and levels else None,
        offered_per_s=sum(o for o in offered if o is not None) if None not in offered and levels else None,
    )


def _level(
    label: str,
    round_trips: int,
    failures: Counter[str],
    mixed: int,
    wall_s: float,
    samples: dict[str, list[float]],
    *,
    concurrency: int | None,
    offered_per_s: float | None,
) -> LevelResult:
    succeeded = len(samples.get("round_trip", ()))
    return LevelResult(
        label=label,
        concurrency=concurrency,
        offered_per_s=offered_per_s,
        round_trips=round_trips,
        errors=sum(failures.values()),
        error_kinds=dict(failures),
        mixed=mixed,
        wall_s=wall_s,
        throughput_per_s=succeeded / wall_s if wall_s > 0 else 0.0,
        latency={stage: latency_stats_ms(values) for stage, values in samples.items()},
        samples_ms=samples,
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


def concurrency_findings(level: LevelResult, sessions_ended: int) -> list[Finding]:
    """The concurrency phase's findings: failed round trips (the phase sends only utterances that
    succeeded alone, so each failed only under load), and crosstalk."""
    findings = []
    if level.errors:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(level.error_kinds.items()))
        lowered = f"; sessions lowered to {sessions_ended} after timeouts" if sessions_ended < (level.concurrency or 0) else ""
        busy = (
            " (timeouts under load can come from a busy machine as well as the server)" if "timeout" in level.error_kinds else ""
        )
        findings.append(
            finding(
                LOAD_ERRORS,
                f"concurrency phase, {level.label}: {level.errors} of {level.round_trips} round trips failed that succeeded "
                f"one at a time ({kinds}){lowered}{busy}",
            )
        )
    if level.mixed:
        findings.append(
            finding(
                LOAD_CROSSTALK,
                f"concurrency phase, {level.label}: {level.mixed} of {level.round_trips} transcripts belong to another utterance",
            )
        )
    return findings

"""Figures of round trips run under load (a load level, the concurrency phase): errors,
crosstalk between sessions, throughput and latency percentiles, the knee of a sweep. Pure."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from wyoming_rt.checks.scoring import score
from wyoming_rt.checks.stats import LatencyStats, latency_stats
from wyoming_rt.records.corpus import Utterance
from wyoming_rt.records.findings import Finding, finding
from wyoming_rt.records.resources import ServerResources
from wyoming_rt.records.results import RoundTripResult
from wyoming_rt.records.rules import LOAD_CROSSTALK, LOAD_ERRORS

KNEE_FRACTION = 0.9
"""The knee is the smallest level that reaches this fraction of the best throughput."""
MIXED_MAX_WER = 0.5


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


def level_result(
    label: str, timed: list[TimedRoundTrip], utterances: Sequence[Utterance], wall_s: float, **kwargs: Any
) -> LevelResult:
    ok = [t for t in timed if t.result.tts is not None]
    failures = Counter(
        (t.result.stt_error or t.result.tts_error).kind  # type: ignore[union-attr]
        for t in timed
        if t.result.stt_error or t.result.tts_error
    )
    latency = {
        "stt": latency_stats([t.result.stt.latency_s for t in timed if t.result.stt]),
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

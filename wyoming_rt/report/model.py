"""The `Report` data model: everything a run found, JSON-ready."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wyoming_rt.checks.audio import AudioValidation
from wyoming_rt.checks.audio_quality import AudioQuality
from wyoming_rt.checks.load_stats import LevelResult
from wyoming_rt.checks.scoring import Score
from wyoming_rt.checks.stats import LatencyStats
from wyoming_rt.checks.timing import gap_summary_ms
from wyoming_rt.records.findings import Finding
from wyoming_rt.report.safe_text import json_dumps

REPORT_SCHEMA = "wyoming-rt/report/1"
"""Version of the JSON report's shape; bumped on any incompatible change."""

STAGES = ("stt", "stt_from_speech_end", "tts_ttfb", "tts_first_audible", "tts_total", "round_trip")
"""Latency stages: STT audio-stop -> transcript; STT end of speech (the last chunk HA's voice
detector heard speech in) -> transcript; TTS request -> first audio chunk; TTS request -> first
chunk holding audible sound; TTS request -> end; full round trip (STT start -> TTS end)."""


STAGE_LABELS = {
    "stt": "STT (audio-stop → transcript)",
    "stt_from_speech_end": "STT (end of speech → transcript)",
    "tts_ttfb": "TTS first audio",
    "tts_first_audible": "TTS first audible",
    "tts_total": "TTS total",
    "round_trip": "Round trip",
}


def format_ms(value: float | None) -> str:
    """Milliseconds for people: whole numbers, ``-`` when absent."""
    return "-" if value is None else f"{value:.0f}"


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


@dataclass
class UtteranceReport:
    """One utterance's round trip: transcript, scores, returned audio, latencies, findings."""

    id: str
    reference: str
    transcript: str | None
    score: Score | None
    audio: AudioValidation | None
    latency_ms: dict[str, float | None]
    findings: list[Finding] = field(default_factory=list)
    quality: AudioQuality | None = None
    back_transcript: str | None = None
    back_score: Score | None = None
    chunk_gaps_s: list[float] = field(default_factory=list)
    rtf: dict[str, float | None] = field(default_factory=dict)
    """Real-time factors: processing time / audio duration (STT: audio-stop -> transcript over
    the input's length; TTS: total time over the returned audio's length)."""

    @property
    def passed(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    @property
    def wer(self) -> float | None:
        return self.score.wer if self.score else None

    def to_dict(self) -> dict[str, Any]:
        score = self.score
        return {
            "id": self.id,
            "passed": self.passed,
            "reference": self.reference,
            "transcript": self.transcript,
            "wer": _round(score.wer) if score else None,
            "cer": _round(score.cer) if score else None,
            "wer_raw": _round(score.wer_raw) if score else None,
            "cer_raw": _round(score.cer_raw) if score else None,
            "audio": None
            if self.audio is None
            else {**self.audio.to_dict(), "quality": self.quality.to_dict() if self.quality else None},
            "back_transcript": self.back_transcript,
            "back_wer": _round(self.back_score.wer) if self.back_score else None,
            "latency_ms": {k: _round(v, 3) for k, v in self.latency_ms.items()},
            "chunk_gaps_ms": gap_summary_ms(self.chunk_gaps_s),
            "rtf": {k: _round(v) for k, v in self.rtf.items()},
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass
class NegativeReport:
    """A speech-free clip: what the STT server heard in it."""

    id: str
    transcript: str | None
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "transcript": self.transcript,
            "hallucinated": bool(self.transcript and self.transcript.strip()),
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass
class ServerReport:
    """A server under test: where it is and what it advertised."""

    role: str
    uri: str
    info: dict[str, Any] | None
    describe_ms: float | None
    notes: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"uri": self.uri, "describe_ms": _round(self.describe_ms, 3), "info": self.info, **self.notes}


@dataclass
class Summary:
    """Corpus-level figures."""

    utterances: int
    failed: int
    score: Score
    latency: dict[str, LatencyStats | None]
    back_score: Score | None = None
    chunk_gaps_s: list[float] = field(default_factory=list)
    rtf: dict[str, float | None] = field(default_factory=dict)
    """Mean real-time factors over the utterances."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "back_wer": _round(self.back_score.wer) if self.back_score else None,
            "chunk_gap_ms": gap_summary_ms(self.chunk_gaps_s),
            "rtf": {k: _round(v) for k, v in self.rtf.items()},
            "utterances": self.utterances,
            "failed": self.failed,
            "wer": _round(self.score.wer),
            "cer": _round(self.score.cer),
            "wer_raw": _round(self.score.wer_raw),
            "cer_raw": _round(self.score.cer_raw),
            "latency_ms": {k: (v.to_dict() if v else None) for k, v in self.latency.items()},
        }


@dataclass
class PhaseRecord:
    """One phase of a run: how long it took, how many requests it sent, and at what concurrency."""

    name: str
    wall_s: float = 0.0
    requests: int = 0
    sessions: int = 1
    notes: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "wall_s": round(self.wall_s, 3),
            "requests": self.requests,
            "sessions": self.sessions,
            **self.notes,
        }


@dataclass
class ConcurrencyReport:
    """The concurrency phase: the figures of its round trips, and how far the pressure was lowered."""

    level: LevelResult
    sessions_started: int
    sessions_ended: int
    timeouts: int

    @property
    def failed_only_under_load(self) -> dict[str, int]:
        """Error kinds of the failed round trips: the phase sends only utterances that succeeded
        alone, so each of these failed only under load."""
        return self.level.error_kinds

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.level.to_dict(),
            "sessions_started": self.sessions_started,
            "sessions_ended": self.sessions_ended,
            "timeouts": self.timeouts,
            "failed_only_under_load": self.failed_only_under_load,
        }


@dataclass
class Report:
    """The whole run. ``passed`` is false when any error-severity finding exists."""

    summary: Summary
    utterances: list[UtteranceReport]
    servers: dict[str, ServerReport]
    run_findings: list[Finding] = field(default_factory=list)
    """Findings not tied to one utterance (info, corpus files, gates)."""
    settings: dict[str, Any] = field(default_factory=dict)
    negatives: list[NegativeReport] = field(default_factory=list)
    gate_results: list[Any] = field(default_factory=list)
    """`wyoming_rt.run.gates.GateResult` for every gate checked."""
    ignored_findings: list[Finding] = field(default_factory=list)
    """Findings whose rule the gates ignore: reported, but they do not decide the verdict."""
    phases: list[PhaseRecord] = field(default_factory=list)
    """The phases of the run in order (preflight, warm-up, latency, concurrency, negatives, probes)."""
    concurrency: ConcurrencyReport | None = None
    """The concurrency phase's figures; ``summary.latency`` is the latency phase's (one request at a time)."""
    health_checks: list[Any] = field(default_factory=list)
    """`wyoming_rt.run.health.HealthCheck`s made during the measured phases (HA 2026.11's re-describes)."""

    @property
    def findings(self) -> list[Finding]:
        return (
            self.run_findings + [f for u in self.utterances for f in u.findings] + [f for n in self.negatives for f in n.findings]
        )

    @property
    def passed(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def findings_for(self, utterance_id: str) -> list[Finding]:
        """The findings of one utterance (or speech-free clip), by its id."""
        return [f for f in self.findings if f.utterance == utterance_id]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": REPORT_SCHEMA,
            "passed": self.passed,
            "summary": self.summary.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
            "utterances": [u.to_dict() for u in self.utterances],
            "negatives": [n.to_dict() for n in self.negatives],
            "servers": {role: s.to_dict() for role, s in self.servers.items()},
            "gates": [g.to_dict() for g in self.gate_results],
            "ignored_findings": [f.to_dict() for f in self.ignored_findings],
            "phases": [p.to_dict() for p in self.phases],
            "concurrency": self.concurrency.to_dict() if self.concurrency else None,
            "health_checks": [c.to_dict() for c in self.health_checks],
            "settings": self.settings,
        }

    def to_json(self) -> str:
        """The JSON report (the same document as ``--json``): strict JSON whatever the servers sent."""
        return json_dumps(self.to_dict())

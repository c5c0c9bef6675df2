"""The `Report` data model: everything a run found, JSON-ready."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from wyoming_rt.checks.audio import AudioValidation
from wyoming_rt.checks.audio_quality import AudioQuality
from wyoming_rt.checks.language_text import is_unspaced
from wyoming_rt.checks.load_stats import LevelResult
from wyoming_rt.checks.scoring import Score, ScoreCounts
from wyoming_rt.checks.stats import LatencyStats
from wyoming_rt.checks.timing import gap_summary_ms
from wyoming_rt.checks.transcript_language import LanguageVerdict
from wyoming_rt.records.audio import PcmAudio
from wyoming_rt.records.findings import Finding
from wyoming_rt.records.gates import GateResult
from wyoming_rt.records.health import HealthCheck
from wyoming_rt.records.report_choices import STAGES as STAGES
from wyoming_rt.records.resources import ServerResources
from wyoming_rt.report.safe_text import json_dumps

# STAGES lives in records, where the CLI's parser reads it without loading the report; re-exported here

REPORT_SCHEMA = "wyoming-rt/report/1"
"""Version of the JSON report's shape; bumped on any incompatible change."""


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


def _findings(items: Sequence[dict[str, Any]]) -> list[Finding]:
    return [Finding(f["rule"], f["severity"], f["message"], f.get("utterance")) for f in items]


def _counts(data: dict[str, Any] | None) -> ScoreCounts | None:
    return None if data is None else ScoreCounts.from_dict(data)


def _score(data: dict[str, Any]) -> Score | None:
    """The rates of a ``wer``/``cer``/``wer_raw``/``cer_raw`` dict, with their edit counts
    (``errors``) when written; ``None`` when no rate was written."""
    wer, cer, wer_raw, cer_raw = (data.get(key) for key in ("wer", "cer", "wer_raw", "cer_raw"))
    if all(rate is None for rate in (wer, cer, wer_raw, cer_raw)):
        return None
    return Score(wer, cer, wer_raw, cer_raw, counts=_counts(data.get("errors")))


def _back_score(back_wer: float | None, counts: dict[str, Any] | None = None) -> Score | None:
    return None if back_wer is None else Score(back_wer, None, None, None, counts=_counts(counts))


def _counts_dict(score: Score | None) -> dict[str, Any] | None:
    return None if score is None or score.counts is None else score.counts.to_dict()


def _latency(data: dict[str, Any] | None) -> LatencyStats | None:
    return None if data is None else LatencyStats(**data)


def _audio(data: dict[str, Any] | None) -> tuple[AudioValidation | None, AudioQuality | None]:
    if data is None:
        return None, None
    validation = AudioValidation(**{f.name: data[f.name] for f in fields(AudioValidation) if f.name != "findings"})
    quality = data.get("quality")
    if quality is None:
        return validation, None
    return validation, AudioQuality(**{f.name: quality[f.name] for f in fields(AudioQuality) if f.name != "findings"})


@dataclass(frozen=True)
class GapSummary:
    """Gaps between the audio chunks of TTS answers: P50, P99 and longest (ms), and how many."""

    p50: float | None = None
    p99: float | None = None
    max: float | None = None
    count: int = 0

    @classmethod
    def of(cls, gaps_s: list[float]) -> GapSummary:
        """The summary of gaps measured in seconds."""
        ms = gap_summary_ms(gaps_s)
        return cls(ms["p50"], ms["p99"], ms["max"], len(gaps_s))

    def to_dict(self) -> dict[str, Any]:
        return {"p50": self.p50, "p99": self.p99, "max": self.max, "count": self.count}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GapSummary:
        return cls(data["p50"], data["p99"], data["max"], data["count"])


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
    chunk_gaps_s: list[float] = field(default_factory=list, repr=False)
    """Seconds between the TTS answer's chunks, for the corpus figure (kept in the JSON to the
    microsecond, so that shards' reports merge into the same figure)."""
    rtf: dict[str, float | None] = field(default_factory=dict)
    """Real-time factors: processing time / audio duration (STT: audio-stop -> transcript over
    the input's length; TTS: total time over the returned audio's length)."""
    chunk_gaps: GapSummary = GapSummary()
    transcript_language: LanguageVerdict | None = None
    """The language the transcript is most likely in, when it could be judged
    (`wyoming_rt.checks.transcript_language`)."""

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
            "errors": _counts_dict(score),
            "back_transcript": self.back_transcript,
            "back_wer": _round(self.back_score.wer) if self.back_score else None,
            "back_errors": _counts_dict(self.back_score),
            "latency_ms": {k: _round(v, 3) for k, v in self.latency_ms.items()},
            "chunk_gaps_ms": self.chunk_gaps.to_dict(),
            "chunk_gap_samples_ms": [round(g * 1000, 3) for g in self.chunk_gaps_s],
            "rtf": {k: _round(v) for k, v in self.rtf.items()},
            "transcript_language": None if (heard := self.transcript_language) is None
            else {"language": heard.language, "confidence": _round(heard.confidence)},
            "findings": [f.to_dict() for f in self.findings],
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UtteranceReport:
        """The inverse of `to_dict` (``passed`` is derived; scores and audio as written)."""
        audio, quality = _audio(data["audio"])
        return cls(
            data["id"], data["reference"], data["transcript"], _score(data), audio, dict(data["latency_ms"]),
            _findings(data["findings"]), quality=quality, back_transcript=data["back_transcript"],
            back_score=_back_score(data["back_wer"], data.get("back_errors")), rtf=dict(data["rtf"]),
            chunk_gaps=GapSummary.from_dict(data["chunk_gaps_ms"]),
            chunk_gaps_s=[g / 1000 for g in data.get("chunk_gap_samples_ms", [])],
            transcript_language=None if (heard := data.get("transcript_language")) is None
            else LanguageVerdict(heard["language"], heard["confidence"]),
        )  # fmt: skip


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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NegativeReport:
        """The inverse of `to_dict` (``hallucinated`` is derived)."""
        return cls(data["id"], data["transcript"], _findings(data["findings"]))


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

    @classmethod
    def from_dict(cls, role: str, data: dict[str, Any]) -> ServerReport:
        """The inverse of `to_dict`: keys beyond ``uri``, ``describe_ms`` and ``info`` are notes."""
        notes = {k: v for k, v in data.items() if k not in ("uri", "describe_ms", "info")}
        return cls(role, data["uri"], data["info"], data["describe_ms"], notes)


@dataclass
class Summary:
    """Corpus-level figures."""

    utterances: int
    failed: int
    score: Score
    latency: dict[str, LatencyStats | None]
    back_score: Score | None = None
    chunk_gaps: GapSummary = GapSummary()
    """The gaps between audio chunks over every utterance."""
    rtf: dict[str, float | None] = field(default_factory=dict)
    """Mean real-time factors over the utterances."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "back_wer": _round(self.back_score.wer) if self.back_score else None,
            "chunk_gap_ms": self.chunk_gaps.to_dict(),
            "rtf": {k: _round(v) for k, v in self.rtf.items()},
            "utterances": self.utterances,
            "failed": self.failed,
            "wer": _round(self.score.wer),
            "cer": _round(self.score.cer),
            "wer_raw": _round(self.score.wer_raw),
            "cer_raw": _round(self.score.cer_raw),
            "errors": _counts_dict(self.score),
            "latency_ms": {k: (v.to_dict() if v else None) for k, v in self.latency.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Summary:
        """The inverse of `to_dict`."""
        return cls(
            data["utterances"], data["failed"], _score(data) or Score(None, None, None, None),
            {stage: _latency(stats) for stage, stats in data["latency_ms"].items()},
            back_score=_back_score(data["back_wer"]), chunk_gaps=GapSummary.from_dict(data["chunk_gap_ms"]), rtf=dict(data["rtf"]),
        )  # fmt: skip


@dataclass
class PhaseRecord:
    """One phase of a run: how long it took, how many requests it sent, and at what concurrency."""

    name: str
    wall_s: float = 0.0
    requests: int = 0
    sessions: int = 1
    notes: dict[str, Any] = field(default_factory=dict)
    client_cpu_s: float | None = None
    """CPU seconds this process spent during the phase, every thread counted (the negatives and
    probes phases share it with the analysis, which runs beside them); None when not measured."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "wall_s": round(self.wall_s, 3),
            "requests": self.requests,
            "sessions": self.sessions,
            **({} if self.client_cpu_s is None else {"client_cpu_s": round(self.client_cpu_s, 3)}),
            **self.notes,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PhaseRecord:
        """The inverse of `to_dict`: keys beyond the figures are notes."""
        figures = ("name", "wall_s", "requests", "sessions", "client_cpu_s")
        notes = {k: v for k, v in data.items() if k not in figures}
        return cls(data["name"], data["wall_s"], data["requests"], data["sessions"], notes, data.get("client_cpu_s"))


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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConcurrencyReport:
        """The inverse of `to_dict` (``failed_only_under_load`` is the level's error kinds)."""
        level = LevelResult.from_dict(data)
        return cls(level, data["sessions_started"], data["sessions_ended"], data["timeouts"])


@dataclass
class Report:
    """The whole run. ``passed`` is false when any error-severity finding exists, or when the
    run did not finish (``incomplete``)."""

    summary: Summary
    utterances: list[UtteranceReport]
    servers: dict[str, ServerReport]
    run_findings: list[Finding] = field(default_factory=list)
    """Findings not tied to one utterance (info, corpus files, gates)."""
    settings: dict[str, Any] = field(default_factory=dict)
    negatives: list[NegativeReport] = field(default_factory=list)
    gate_results: list[GateResult] = field(default_factory=list)
    """Every gate checked."""
    ignored_findings: list[Finding] = field(default_factory=list)
    """Findings whose rule the gates ignore: reported, but they do not decide the verdict."""
    phases: list[PhaseRecord] = field(default_factory=list)
    """The phases of the run in order (preflight, preparation, warm-up, latency, concurrency, negatives, probes)."""
    concurrency: ConcurrencyReport | None = None
    """The concurrency phase's figures; ``summary.latency`` is the latency phase's (one request at a time)."""
    health_checks: list[HealthCheck] = field(default_factory=list)
    """The health checks made during the measured phases (HA 2026.11's re-describes)."""
    audio: dict[str, PcmAudio] = field(default_factory=dict, repr=False, compare=False)
    """The TTS audio each utterance got back, by utterance id, for the HTML page and the WAV
    files; not in the JSON report (empty in a report read back from it)."""
    incomplete: str | None = None
    """Why the run stopped before its end (``"interrupted during phase latency"``,
    ``"fail-fast: ID failed"``), when it did: the report holds only what had finished, and never passes."""
    inputs: dict[str, PcmAudio] = field(default_factory=dict, repr=False, compare=False)
    """The audio sent for each utterance and speech-free clip, by id, for the HTML page; not in
    the JSON report either."""
    created: str | None = None
    """When the report was built: ISO 8601, UTC (``None`` in a report written before it was recorded)."""
    resources: dict[str, ServerResources] = field(default_factory=dict)
    """What each server cost (CPU, memory), by role, when it runs on this machine; empty when not sampled."""

    @property
    def findings(self) -> list[Finding]:
        return (
            self.run_findings + [f for u in self.utterances for f in u.findings] + [f for n in self.negatives for f in n.findings]
        )

    @property
    def passed(self) -> bool:
        return self.incomplete is None and not any(f.severity == "error" for f in self.findings)

    @property
    def corpus_label(self) -> str:
        """The corpus's name, and the shard of it the run took or the shards merged into it."""
        name = str(self.settings.get("corpus", "-"))
        shard, merged = self.settings.get("shard"), self.settings.get("merged")
        if isinstance(shard, dict):
            return f"{name} (shard {shard.get('index')}/{shard.get('count')})"
        if isinstance(merged, dict):
            return f"{name} ({merged.get('shards')} shards merged)"
        return name

    @property
    def language(self) -> str:
        """The language HA asked the STT server for (``en`` in a report written before it was kept)."""
        language = self.settings.get("language")
        return language if isinstance(language, str) else "en"

    @property
    def wer_label(self) -> str:
        """What the headline WER is: ``WER``, or over characters in a language written without spaces."""
        return f"WER (by character: {self.language} has no spaces)" if is_unspaced(self.language) else "WER"

    def findings_for(self, utterance_id: str) -> list[Finding]:
        """The findings of one utterance (or speech-free clip), by its id."""
        return [f for f in self.findings if f.utterance == utterance_id]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": REPORT_SCHEMA,
            "passed": self.passed,
            "incomplete": self.incomplete,
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
            "created": self.created,
            "resources": {role: r.to_dict() for role, r in self.resources.items()},
        }

    def to_json(self) -> str:
        """The JSON report (the same document as ``--json``): strict JSON whatever the servers sent."""
        return json_dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """A report from its JSON document (`to_dict`): ``from_dict(r.to_dict()).to_dict() == r.to_dict()``.

        ``findings`` lists the run's own findings first, then each utterance's and each clip's,
        so the run's are the ones before those. Raises `KeyError`, `TypeError` or `ValueError`
        when ``data`` is not such a document."""
        utterances = [UtteranceReport.from_dict(u) for u in data["utterances"]]
        negatives = [NegativeReport.from_dict(n) for n in data["negatives"]]
        findings = _findings(data["findings"])
        owned = sum(len(u.findings) for u in utterances) + sum(len(n.findings) for n in negatives)
        if owned > len(findings):
            raise ValueError(f"{len(findings)} findings, fewer than the {owned} of the utterances and clips")
        concurrency, incomplete = data["concurrency"], data.get("incomplete")
        if incomplete is not None and not isinstance(incomplete, str):
            raise TypeError(f"incomplete: expected a string or null, got {incomplete!r}")
        return cls(
            summary=Summary.from_dict(data["summary"]),
            utterances=utterances,
            servers={role: ServerReport.from_dict(role, s) for role, s in data["servers"].items()},
            run_findings=findings[: len(findings) - owned],
            settings=dict(data["settings"]),
            negatives=negatives,
            gate_results=[GateResult.from_dict(g) for g in data["gates"]],
            ignored_findings=_findings(data["ignored_findings"]),
            phases=[PhaseRecord.from_dict(p) for p in data["phases"]],
            concurrency=None if concurrency is None else ConcurrencyReport.from_dict(concurrency),
            health_checks=[HealthCheck.from_dict(c) for c in data["health_checks"]],
            incomplete=incomplete,
            created=data.get("created"),
            resources={role: ServerResources.from_dict(role, r) for role, r in data.get("resources", {}).items()},
        )

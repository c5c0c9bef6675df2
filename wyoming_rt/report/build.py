"""Builds the `Report` from round-trip results by applying the checks. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..checks.audio import validate_tts_audio
from ..checks.protocol import STT_EMPTY_TRANSCRIPT, check_tts_trace, failure_finding
from ..checks.scoring import score, score_corpus
from ..checks.stats import latency_stats
from ..findings import Finding, finding
from ..roundtrip import RoundTripResult
from .model import STAGES, Report, ServerReport, Summary, UtteranceReport


def utterance_report(result: RoundTripResult) -> UtteranceReport:
    """Apply every per-utterance check to one round trip."""
    uid = result.utterance.id
    findings: list[Finding] = []
    latency: dict[str, float | None] = {"stt": None, "stt_upload": None, "tts_ttfb": None, "tts_total": None, "round_trip": None}
    transcript = None
    utterance_score = None
    audio = None
    if result.stt_error is not None:
        findings.append(failure_finding("stt", result.stt_error, uid))
    elif result.stt is not None:
        transcript = result.stt.text
        utterance_score = score(result.utterance.reference, transcript)
        latency["stt"] = result.stt.latency_s * 1000
        latency["stt_upload"] = result.stt.upload_s * 1000
        if not transcript.strip():
            findings.append(finding(STT_EMPTY_TRANSCRIPT, f"empty transcript for {result.utterance.audio.duration_s:.2f} s of speech", uid))
    if result.tts_error is not None:
        findings.append(failure_finding("tts", result.tts_error, uid))
    elif result.tts is not None and transcript is not None:
        audio = validate_tts_audio(result.tts.trace, transcript, uid)
        findings.extend(audio.findings)
        findings.extend(check_tts_trace(result.tts.trace, uid))
        latency["tts_ttfb"] = None if result.tts.ttfb_s is None else result.tts.ttfb_s * 1000
        latency["tts_total"] = result.tts.total_s * 1000
    if result.round_trip_s is not None:
        latency["round_trip"] = result.round_trip_s * 1000
    return UtteranceReport(uid, result.utterance.reference, transcript, utterance_score, audio, latency, findings)


def build_report(
    results: Sequence[RoundTripResult],
    servers: dict[str, ServerReport],
    run_findings: Sequence[Finding] = (),
    settings: dict[str, Any] | None = None,
) -> Report:
    """The report of a run: per-utterance checks, corpus scores and latency percentiles."""
    utterances = [utterance_report(r) for r in results]
    scored = [(u.reference, u.transcript) for u in utterances if u.transcript is not None]
    corpus_score = score_corpus([r for r, _ in scored], [h or "" for _, h in scored])
    latency = {
        stage: latency_stats([u.latency_ms[stage] / 1000 for u in utterances if u.latency_ms.get(stage) is not None])  # type: ignore[operator]
        for stage in STAGES
    }
    summary = Summary(
        utterances=len(utterances),
        failed=sum(1 for u in utterances if not u.passed),
        score=corpus_score,
        latency=latency,
    )
    return Report(summary, utterances, servers, list(run_findings), settings or {})

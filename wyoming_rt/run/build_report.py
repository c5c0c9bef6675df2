"""Builds the `Report` from round-trip results by applying the checks. Pure: no I/O."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np

from wyoming_rt.checks.audio import validate_tts_audio
from wyoming_rt.checks.audio_quality import AudioThresholds, analyse
from wyoming_rt.checks.protocol import failure_finding
from wyoming_rt.checks.scoring import Score, score, sum_counts
from wyoming_rt.checks.stats import latency_stats
from wyoming_rt.checks.timing import stream_timing
from wyoming_rt.checks.trace_rules import SttCapabilities, check_stt_trace, check_tts_trace
from wyoming_rt.checks.transcript_language import transcript_language, wrong_language_findings
from wyoming_rt.records.findings import Finding, finding
from wyoming_rt.records.health import HealthCheck
from wyoming_rt.records.info import tts_languages
from wyoming_rt.records.language import lists_language
from wyoming_rt.records.resources import ServerResources
from wyoming_rt.records.results import NegativeResult, RoundTripResult
from wyoming_rt.records.rules import (
    ANALYSIS_DEADLINE,
    BACK_TRANSCRIPTION_FAILED,
    SCORE_CAPPED,
    STT_EMPTY_TRANSCRIPT,
    STT_HALLUCINATION,
)
from wyoming_rt.report.model import (
    STAGES,
    ConcurrencyReport,
    GapSummary,
    NegativeReport,
    PhaseRecord,
    Report,
    ServerReport,
    Summary,
    UtteranceReport,
)
from wyoming_rt.run.gates import Gates, apply_gates


def utterance_report(
    result: RoundTripResult,
    thresholds: AudioThresholds | None = None,
    stt_caps: SttCapabilities | None = None,
    language: str | None = None,
    tts_speaks_language: bool = True,
) -> UtteranceReport:
    """Apply every per-utterance check to one round trip; ``language``: the one HA asked for
    (scoring normalises for it, and the transcript's own language is told).
    ``tts_speaks_language=False``: the TTS server has no voice in that language, so how long and
    how fast its answer reads the text says nothing about the server (HA would never send it that
    text): neither is judged."""
    uid = result.utterance.id
    findings: list[Finding] = []
    latency = _no_latencies()
    rtf: dict[str, float | None] = {"stt": None, "tts": None}
    quality = None
    gaps: list[float] = []
    back_transcript = None
    back_score = None
    transcript = None
    utterance_score = None
    heard = None
    audio = None
    if result.stt_error is not None:
        findings.append(failure_finding("stt", result.stt_error, uid))
    elif result.stt is not None:
        transcript = result.stt.text
        findings.extend(check_stt_trace(result.stt.trace, stt_caps, uid))
        utterance_score = score(result.utterance.reference, transcript, language)
        heard = transcript_language(result.utterance.reference, transcript, language)
        if utterance_score.capped:
            findings.append(
                finding(SCORE_CAPPED, f"transcript of {len(transcript)} characters: scored over its beginning only", uid)
            )
        latency["stt"] = result.stt.latency_s * 1000
        latency["stt_upload"] = result.stt.upload_s * 1000
        if result.stt.from_speech_end_s is not None:
            latency["stt_from_speech_end"] = result.stt.from_speech_end_s * 1000
        if result.stt.audio_duration_s > 0:
            rtf["stt"] = result.stt.latency_s / result.stt.audio_duration_s
        if not transcript.strip():
            findings.append(
                finding(STT_EMPTY_TRANSCRIPT, f"empty transcript for {result.utterance.audio.duration_s:.2f} s of speech", uid)
            )
    if result.tts_error is not None:
        findings.append(failure_finding("tts", result.tts_error, uid))
    elif result.tts is not None and transcript is not None:
        audio = validate_tts_audio(result.tts.trace, transcript, uid, judge_duration=tts_speaks_language)
        findings.extend(audio.findings)
        findings.extend(check_tts_trace(result.tts.trace, uid))
        latency["tts_ttfb"] = None if result.tts.ttfb_s is None else result.tts.ttfb_s * 1000
        latency["tts_total"] = result.tts.total_s * 1000
        pcm = result.tts.audio
        if audio.valid and pcm is not None and pcm.pcm:
            quality = analyse(pcm, transcript, thresholds, uid, judge_rate=tts_speaks_language)
            findings.extend(quality.findings)
            bytes_per_s = pcm.rate_hz * pcm.width_bytes * pcm.channels
            timing = stream_timing(result.tts.trace, quality.leading_silence_s, bytes_per_s)
            gaps = timing.chunk_gaps_s
            if timing.first_audible_s is not None:
                latency["tts_first_audible"] = timing.first_audible_s * 1000
            if pcm.duration_s > 0:
                rtf["tts"] = result.tts.total_s / pcm.duration_s
    if result.round_trip_s is not None:
        latency["round_trip"] = result.round_trip_s * 1000
    if result.back_stt_error is not None:
        findings.append(finding(BACK_TRANSCRIPTION_FAILED, f"back transcription of the TTS audio: {result.back_stt_error}", uid))
    elif result.back_stt is not None and transcript is not None:
        back_transcript = result.back_stt.text
        back_score = score(transcript, back_transcript, language)
        if back_score.capped:
            findings.append(
                finding(
                    SCORE_CAPPED, f"back transcript of {len(back_transcript)} characters: scored over its beginning only", uid
                )
            )
    return UtteranceReport(
        uid, result.utterance.reference, transcript, utterance_score, audio, latency, findings,
        quality=quality, back_transcript=back_transcript, back_score=back_score, chunk_gaps_s=gaps, rtf=rtf,
        chunk_gaps=GapSummary.of(gaps), transcript_language=heard,
    )  # fmt: skip


def _no_latencies() -> dict[str, float | None]:
    return dict.fromkeys(("stt", "stt_upload", *STAGES[1:]))


def negative_report(result: NegativeResult) -> NegativeReport:
    """A speech-free clip must come back as an empty transcript."""
    uid = result.utterance.id
    if result.stt_error is not None:
        return NegativeReport(uid, None, [failure_finding("stt", result.stt_error, uid)])
    assert result.stt is not None
    text = result.stt.text
    findings = []
    if text.strip():
        what = uid.split("/")[-1].replace("_", " ")
        findings.append(
            finding(STT_HALLUCINATION, f"heard {text.strip()!r} in {result.utterance.audio.duration_s:.1f} s of {what}", uid)
        )
    return NegativeReport(uid, text, findings)


def utterance_reports_of(
    results: Sequence[RoundTripResult],
    servers: dict[str, ServerReport],
    thresholds: AudioThresholds | None = None,
    deadline_s: float | None = None,
    language: str | None = None,
) -> list[UtteranceReport]:
    """Every per-utterance check (the CPU-heavy part of a report: audio analysis, scoring).

    With ``deadline_s``, utterances not begun within that many seconds are not analysed: each
    gets a report with its latencies and an ``analysis.deadline`` finding instead."""
    stt_server, tts_server = servers.get("stt"), servers.get("tts")
    stt_caps = SttCapabilities.from_info(stt_server.info if stt_server else None)
    voices = tts_languages(tts_server.info if tts_server else None)
    tts_speaks_language = language is None or voices is None or lists_language(voices, language)
    ends_at = None if deadline_s is None else time.monotonic() + deadline_s
    reports = []
    for result in results:
        if ends_at is not None and time.monotonic() >= ends_at:
            reports.append(unanalysed_report(result, f"not analysed: the analysis deadline of {deadline_s:g} s had passed"))
        else:
            reports.append(utterance_report(result, thresholds, stt_caps, language, tts_speaks_language))
    return reports


def unanalysed_report(result: RoundTripResult, why: str) -> UtteranceReport:
    """The report of a round trip whose analysis was skipped: its transcript and timings, no scores."""
    latency = _no_latencies()
    if result.stt is not None and result.stt_error is None:
        latency["stt"], latency["stt_upload"] = result.stt.latency_s * 1000, result.stt.upload_s * 1000
    if result.tts is not None and result.tts_error is None:
        latency["tts_ttfb"] = None if result.tts.ttfb_s is None else result.tts.ttfb_s * 1000
        latency["tts_total"] = result.tts.total_s * 1000
    if result.round_trip_s is not None:
        latency["round_trip"] = result.round_trip_s * 1000
    transcript = result.stt.text if result.stt is not None and result.stt_error is None else None
    uid = result.utterance.id
    return UtteranceReport(
        uid, result.utterance.reference, transcript, None, None, latency, [finding(ANALYSIS_DEADLINE, why, uid)]
    )


def build_report(
    results: Sequence[RoundTripResult],
    servers: dict[str, ServerReport],
    run_findings: Sequence[Finding] = (),
    settings: dict[str, Any] | None = None,
    thresholds: AudioThresholds | None = None,
    negatives: Sequence[NegativeResult] = (),
    utterance_reports: Sequence[UtteranceReport] | None = None,
    *,
    phases: Sequence[PhaseRecord] = (),
    concurrency: ConcurrencyReport | None = None,
    health_checks: Sequence[HealthCheck] = (),
    gates: Gates | None = None,
    resources: Mapping[str, ServerResources] | None = None,
) -> Report:
    """The report of a run, complete: per-utterance checks, corpus scores and latency
    percentiles, the audio sent and returned, the time it was built, and with ``gates`` the verdict they give.
    ``utterance_reports``: `utterance_reports_of` ``results`` when already made."""
    language = (settings or {}).get("language")
    if utterance_reports is None:
        utterance_reports = utterance_reports_of(results, servers, thresholds, language=language)
    utterances = list(utterance_reports)
    summary = summary_of(utterances)
    heard = [(u.id, u.transcript or "", u.transcript_language) for u in utterances]
    report = Report(
        summary, utterances, servers, [*run_findings, *wrong_language_findings(heard, language)], settings or {}, [negative_report(n) for n in negatives],
        phases=list(phases), concurrency=concurrency, health_checks=list(health_checks),
        audio={r.utterance.id: r.tts.audio for r in results if r.tts is not None and r.tts.audio is not None},
        inputs={u.id: u.audio for u in [*(r.utterance for r in results), *(n.utterance for n in negatives)]},
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"), resources=dict(resources or {}),
    )  # fmt: skip
    return report if gates is None else apply_gates(report, gates)


def summary_of(utterances: Sequence[UtteranceReport]) -> Summary:
    """The corpus figures of utterance reports: WER and CER from their summed edit counts (total
    errors over total reference words, never a mean of rates), latency percentiles over every
    sample, the chunk gaps of every answer. Exact for any grouping of the same utterances, so
    shards' reports merge into the figures of one run."""
    latency = {
        stage: latency_stats([u.latency_ms[stage] / 1000 for u in utterances if u.latency_ms.get(stage) is not None])  # type: ignore[operator]
        for stage in STAGES
    }
    scored = [u.score for u in utterances if u.transcript is not None and u.score is not None]
    backs = [u.back_score for u in utterances if u.back_transcript is not None and u.back_score is not None]
    return Summary(
        utterances=len(utterances),
        failed=sum(1 for u in utterances if not u.passed),
        score=_pooled(scored),
        latency=latency,
        back_score=_pooled(backs) if backs else None,
        chunk_gaps=GapSummary.of([g for u in utterances for g in u.chunk_gaps_s]),
        rtf={kind: _mean([u.rtf.get(kind) for u in utterances]) for kind in ("stt", "tts")},
    )


def _pooled(scores: Sequence[Score]) -> Score:
    """One score of many: their counts summed. `ValueError` for a score without counts (a report
    written before they were kept cannot be pooled exactly)."""
    if any(s.counts is None for s in scores):
        raise ValueError("a score without its edit counts cannot be pooled")
    return Score.of_counts(sum_counts(s.counts for s in scores if s.counts is not None), capped=any(s.capped for s in scores))


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None

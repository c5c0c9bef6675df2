"""Sentences every writer (console, Markdown, HTML) says alike: which phase a figure comes from."""

from __future__ import annotations

from wyoming_rt.report.model import Report, format_ms

LATENCY_PHASE = "latency phase: one round trip at a time, what one Home Assistant user waits"


def concurrency_sentence(report: Report) -> str | None:
    """The concurrency phase's own figures in one sentence, or ``None`` when it did not run."""
    c = report.concurrency
    if c is None:
        return None
    level = c.level
    rt, stt = level.latency.get("round_trip"), level.latency.get("stt")
    lowered = f", lowered to {c.sessions_ended} after timeouts" if c.sessions_ended < c.sessions_started else ""
    return (
        f"Under load (concurrency phase, {c.sessions_started} sessions{lowered}): {level.round_trips} round trips, "
        f"{level.throughput_per_s:.2f}/s, round trip P50 {format_ms(rt.p50 if rt else None)} ms "
        f"P95 {format_ms(rt.p95 if rt else None)} ms, STT P50 {format_ms(stt.p50 if stt else None)} ms, "
        f"errors {level.errors}, crosstalk {level.mixed}"
    )


def phases_sentence(report: Report) -> str | None:
    """Each phase with its wall time, requests and the client's CPU, in the order they ran."""
    if not report.phases:
        return None
    parts = []
    for p in report.phases:
        skipped = p.notes.get("skipped")
        cpu = "" if p.client_cpu_s is None else f", client CPU {p.client_cpu_s:.1f} s"
        parts.append(f"{p.name} skipped ({skipped})" if skipped else f"{p.name} {p.wall_s:.1f} s ({p.requests} req{cpu})")
    return "Phases: " + " · ".join(parts)


def answers_sentence(report: Report) -> str | None:
    """The long-text and LLM-answer probes' figures, or ``None`` when neither ran."""
    notes = next((p.notes for p in report.phases if p.name == "probes"), {})
    parts = []
    long_text = notes.get("long_text")
    if long_text:
        if long_text.get("ok"):
            stall = long_text.get("longest_stall_s")
            parts.append(
                f"a long text ({long_text['chars']} characters) came back as {long_text.get('audio_s', 0):.0f} s of audio "
                f"in {long_text.get('total_s', 0):.1f} s, longest break {stall if stall is not None else 0:.1f} s"
            )
        else:
            parts.append(f"a long text ({long_text['chars']} characters) failed")
    llm = notes.get("llm_stream")
    if llm:
        first = llm.get("streamed_first_audible_s")
        heard = f"first audible {first * 1000:.0f} ms after the first delta" if first is not None else "no audible audio"
        streamed, whole = llm.get("streamed_back_wer"), llm.get("whole_back_wer")
        wers = f", back WER {streamed:.2f} streamed vs {whole:.2f} whole" if streamed is not None and whole is not None else ""
        parts.append(
            f"an LLM's answer ({llm['chars']} characters in {llm['chunks']} chunks at {llm['tokens_per_s']:g} tokens/s): "
            + (f"{heard}{wers}" if llm.get("ok") else "failed")
        )
    return ("Long answers: " + "; ".join(parts)) if parts else None


def health_sentence(report: Report) -> str | None:
    """HA 2026.11's health checks during the run, or ``None`` when none was made."""
    checks = report.health_checks
    if not checks:
        return None
    answered = [c for c in checks if c.answered]
    slowest = max((c.latency_ms for c in answered if c.latency_ms is not None), default=None)
    return (
        f"Health checks (describe, one attempt, as HA 2026.11 every 30 s and once while busy): {len(answered)} of "
        f"{len(checks)} answered" + (f", slowest {slowest:.0f} ms" if slowest is not None else "")
    )


def run_sentences(report: Report) -> list[str]:
    """The sentences about the run as a whole that every writer prints, in order."""
    found = (concurrency_sentence(report), answers_sentence(report), health_sentence(report), phases_sentence(report))
    return [s for s in found if s]

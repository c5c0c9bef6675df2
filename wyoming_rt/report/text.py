"""Sentences every writer (console, Markdown, HTML) says alike: which phase a figure comes from."""

from __future__ import annotations

from .model import Report, format_ms

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
    """Each phase with its wall time and requests, in the order they ran."""
    if not report.phases:
        return None
    parts = []
    for p in report.phases:
        skipped = p.notes.get("skipped")
        parts.append(f"{p.name} skipped ({skipped})" if skipped else f"{p.name} {p.wall_s:.1f} s ({p.requests} req)")
    return "Phases: " + " · ".join(parts)

"""What each server cost (CPU, memory), as the table every writer shows alike: console, Markdown
and HTML format the same cells, so that the three never disagree on a figure."""

from __future__ import annotations

import math

from wyoming_rt.records.resources import ServerResources
from wyoming_rt.report.model import Report

COST_PHASE = "latency"
"""The phase whose CPU the table shows: one round trip at a time, like one Home Assistant user."""

COST_HEADERS = (
    "role", "source", "idle\nRSS MB", "peak\nRSS MB", "growth\nMB", "CPU s\n/ req", "CPU s /\naudio s", "CPU\n%",
)  # fmt: skip
"""The columns; a console shows each header on two lines (``\\n``), the other writers on one."""
NUMERIC_FROM = 2
"""Columns from this one on hold numbers (right-aligned)."""

COST_NOTE = (
    f"CPU figures are the {COST_PHASE} phase's, the server's every process and thread counted: CPU s / audio s is "
    "per second of audio transcribed (STT) or of speech produced (TTS); CPU % is of one core (200 % is two cores "
    "busy). Growth is resident memory at the end of the latency phase against after the warm-up, with the "
    "requests answered in between."
)


def _number(value: float | None, spec: str) -> str:
    return "-" if value is None or not math.isfinite(value) else format(value, spec)


def _source(r: ServerResources) -> str:
    source = r.source or "-"
    return f"{source}, pid {r.pid}" if r.pid is not None else source


def _growth(r: ServerResources) -> str:
    growth = _number(r.memory_growth_mb, "+.1f")
    if growth == "-" or r.requests_after_warm_up is None:
        return growth
    return f"{growth} ({r.requests_after_warm_up} req)"


def cost_row(r: ServerResources) -> tuple[str, ...]:
    """One measured server's cells, in the order of `COST_HEADERS`."""
    phase = r.phase(COST_PHASE)
    per_request, per_work, use = (phase.cpu_per_request_s, phase.cpu_per_work_s, phase.cpu_utilisation) if phase else (None,) * 3
    return (
        r.role, _source(r), _number(r.idle_rss_mb, ".0f"), _number(r.rss_peak_mb, ".0f"), _growth(r),
        _number(per_request, ".3g"), _number(per_work, ".3g"), _number(None if use is None else 100 * use, ".0f"),
    )  # fmt: skip


def measured(report: Report) -> list[ServerResources]:
    """The servers whose cost was sampled, by role."""
    return [r for _, r in sorted(report.resources.items()) if r.measured]


def cost_rows(report: Report) -> list[tuple[str, ...]]:
    """A row per measured server; none when no server was sampled."""
    return [cost_row(r) for r in measured(report)]


def unmeasured_lines(report: Report) -> list[str]:
    """``stt: not measured (why)`` for each server that was meant to be sampled and was not."""
    return [
        f"{role}: not measured ({r.unavailable or 'no samples were taken'})"
        for role, r in sorted(report.resources.items())
        if not r.measured
    ]

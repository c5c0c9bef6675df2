"""Inline SVG charts with axes, ticks and counts: a latency CDF, P50/P95/P99 bars, a histogram,
a small stage waterfall per utterance, and a server's memory and CPU over the run. Each chart is
as wide as the page (viewBox, width 100 %)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from wyoming_rt.checks.stats import LatencyStats
from wyoming_rt.report.html_parts import esc, finite, ms

PERCENTILE_COLOURS = {"p50": "#4c78a8", "p95": "#f58518", "p99": "#e45756"}
STAGE_COLOURS = {
    "stt": "#4c78a8",
    "stt_from_speech_end": "#72b7b2",
    "tts_ttfb": "#f58518",
    "tts_first_audible": "#e45756",
    "tts_total": "#54a24b",
    "round_trip": "#7f5ea8",
}
UPLOAD_COLOUR = "#bab0ac"
WIDTH = 960
_GRID = 'stroke="#e3e3e3" stroke-width="1"'
_AXIS = 'stroke="#888" stroke-width="1"'

Series = tuple[str, str, Sequence[float]]
"""A line of a CDF chart: its label, its colour, its values in ms."""


def nice_step(span: float, count: int = 5) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving about ``count`` ticks over ``span``."""
    raw = max(span, 1e-9) / count
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def _ticks(high: float, count: int = 5) -> list[float]:
    step = nice_step(high, count)
    return [i * step for i in range(math.ceil(high / step - 1e-9) + 1)] or [0.0, step]


def _label(value: float) -> str:
    return f"{value:g}" if value < 10_000 else f"{value / 1000:g}k"


def _svg(chart_id: str, height: float, label: str, body: list[str]) -> str:
    return (
        f'<svg id="{chart_id}" class="chart" viewBox="0 0 {WIDTH} {height:.0f}" width="100%" role="img" '
        f'aria-label="{esc(label)}">' + "".join(body) + "</svg>"
    )


def _x_axis(left: float, right: float, top: float, bottom: float, ticks: list[float], unit: str) -> list[str]:
    """Vertical grid lines with labels under the plot, and the unit at the right end."""
    span = ticks[-1] or 1.0
    parts = []
    for tick in ticks:
        x = left + (right - left) * tick / span
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" {_GRID}/>')
        parts.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{_label(tick)}</text>')
    parts.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" {_AXIS}/>')
    parts.append(f'<text x="{right}" y="{bottom + 32}" text-anchor="end" class="axis">{esc(unit)}</text>')
    return parts


def _y_grid(box: tuple[float, float, float, float], ticks: list[float], label: str | None = None) -> list[str]:
    """Horizontal grid lines across ``box`` (left, right, top, bottom) at each tick, labelled on the
    left (``label`` a format string, else a short number)."""
    left, right, top, bottom = box
    span = ticks[-1] or 1.0
    parts = []
    for tick in ticks:
        y = bottom - (bottom - top) * tick / span
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" {_GRID}/>')
        text = label.format(tick) if label else _label(tick)
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{text}</text>')
    return parts


def cdf_chart(series: Sequence[Series], chart_id: str = "cdf-chart") -> str:
    """One step line per series: the share of its values at or below each latency."""
    lines = [(name, colour, sorted(v for v in values if finite(v) is not None)) for name, colour, values in series]
    lines = [line for line in lines if line[2]]
    if not lines:
        return "<p>No latency measured.</p>"
    left, right, top, bottom = 56.0, WIDTH - 40.0, 12.0, 262.0
    ticks = _ticks(max(values[-1] for _, _, values in lines))
    span = ticks[-1] or 1.0
    legend_rows = math.ceil(len(lines) / 3)
    height = bottom + 44 + legend_rows * 20
    parts = _x_axis(left, right, top, bottom, ticks, "ms")
    for pct in (0, 25, 50, 75, 100):
        y = bottom - (bottom - top) * pct / 100
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" {_GRID}/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{pct} %</text>')
    for pct in (50, 95):
        y = bottom - (bottom - top) * pct / 100
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#999" stroke-dasharray="4 4"/>')
        parts.append(f'<text x="{right + 4}" y="{y + 4:.1f}" class="axis">P{pct}</text>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" {_AXIS}/>')
    for i, (name, colour, values) in enumerate(lines):
        n, x_scale = len(values), (right - left) / span
        path = [f"M{left + x_scale * values[0]:.1f},{bottom}"]
        for k, value in enumerate(values, start=1):
            path.append(f"H{left + x_scale * value:.1f}V{bottom - (bottom - top) * k / n:.1f}")
        dash = ' stroke-dasharray="7 5"' if i % 2 else ""  # a line drawn over an equal one lets it show
        parts.append(
            f'<path d="{"".join(path)}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}><title>{esc(name)}</title></path>'
        )
        lx, ly = left + (i % 3) * 300, bottom + 44 + (i // 3) * 20
        parts.append(f'<line x1="{lx}" y1="{ly - 5}" x2="{lx + 16}" y2="{ly - 5}" stroke="{colour}" stroke-width="3"{dash}/>')
        parts.append(f'<text x="{lx + 20}" y="{ly}">{esc(name)} (n={n})</text>')
    return _svg(chart_id, height, "latency CDF per stage", parts)


def percentile_chart(rows: Sequence[tuple[str, LatencyStats]], chart_id: str = "percentile-chart") -> str:
    """Grouped horizontal bars, P50/P95/P99 per stage, each value at the end of its own bar."""
    picks = ("p50", "p95", "p99")
    rows = [(label, s) for label, s in rows if all(finite(getattr(s, p)) is not None for p in picks)]
    if not rows:
        return "<p>No latency measured.</p>"
    left, right, top, bar, gap = 230.0, WIDTH - 70.0, 30.0, 15.0, 14.0
    ticks = _ticks(max(s.p99 for _, s in rows))
    span = ticks[-1] or 1.0
    bottom = top + len(rows) * (3 * bar + gap)
    parts = [
        f'<rect x="{left + i * 90}" y="6" width="12" height="12" fill="{PERCENTILE_COLOURS[p]}"/>'
        f'<text x="{left + i * 90 + 18}" y="17">{p.upper()}</text>'
        for i, p in enumerate(picks)
    ]
    parts += _x_axis(left, right, top - 4, bottom, ticks, "ms")
    for i, (label, stats) in enumerate(rows):
        y = top + i * (3 * bar + gap)
        parts.append(f'<text x="{left - 8}" y="{y + 1.5 * bar + 4:.1f}" text-anchor="end">{esc(label)}</text>')
        for j, pick in enumerate(picks):
            value = getattr(stats, pick)
            length = max(1.0, (right - left) * value / span)
            parts.append(
                f'<rect x="{left}" y="{y + j * bar:.1f}" width="{length:.1f}" height="{bar - 2}" fill="{PERCENTILE_COLOURS[pick]}">'
                f"<title>{esc(label)} {pick.upper()} {ms(value)} ms</title></rect>"
            )
            parts.append(f'<text x="{left + length + 4:.1f}" y="{y + j * bar + bar - 4:.1f}" class="value">{ms(value)}</text>')
    return _svg(chart_id, bottom + 40, "latency percentiles per stage", parts)


def histogram(values_ms: Sequence[float], chart_id: str = "distribution-chart", bins: int = 20) -> str:
    """Counts of values in equal, round-numbered bins, with a count axis and each bar's count."""
    values = [v for v in values_ms if finite(v) is not None]
    if not values:
        return "<p>No round trip completed.</p>"
    low, high = min(values), max(values)
    width = nice_step(high - low or max(high, 1.0), bins)
    start = math.floor(low / width) * width
    count = max(1, min(60, math.floor((high - start) / width) + 1))
    counts = [0] * count
    for value in values:
        counts[min(count - 1, int((value - start) // width))] += 1
    left, right, top, bottom = 56.0, WIDTH - 24.0, 20.0, 220.0
    y_ticks = _ticks(max(counts), 4) if max(counts) > 4 else [float(i) for i in range(max(counts) + 1)]
    y_ticks = [t for t in y_ticks if t == int(t)]
    y_span = y_ticks[-1] or 1.0
    parts = _y_grid((left, right, top, bottom), y_ticks, "{:.0f}")
    parts.append(f'<text x="12" y="{top - 6}" class="axis">count</text>')
    bar_w = (right - left) / count
    every = max(1, math.ceil(count / 10))
    for i, n in enumerate(counts):
        x = left + i * bar_w
        if i % every == 0:
            parts.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{_label(start + i * width)}</text>')
        if n:
            h = (bottom - top) * n / y_span
            edges = f"{_label(start + i * width)}-{_label(start + (i + 1) * width)} ms"
            parts.append(
                f'<rect x="{x + 1:.1f}" y="{bottom - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" fill="#4c78a8">'
                f"<title>{edges}: {n}</title></rect>"
            )
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{bottom - h - 4:.1f}" text-anchor="middle" class="value">{n}</text>')
    if count % every == 0:
        parts.append(f'<text x="{right:.1f}" y="{bottom + 16}" text-anchor="middle">{_label(start + count * width)}</text>')
    parts.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" {_AXIS}/>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" {_AXIS}/>')
    parts.append(f'<text x="{right}" y="{bottom + 32}" text-anchor="end" class="axis">ms</text>')
    return _svg(chart_id, bottom + 40, "round-trip latency histogram", parts)


def waterfall(latency: Mapping[str, float | None], scale_ms: float) -> str:
    """One utterance's stages on a common scale: upload, STT, then TTS to its first audio, first
    audible chunk and end; the round trip as the outline (its numbers in the tooltip)."""
    get = {k: finite(latency.get(k)) for k in ("stt_upload", "stt", "tts_ttfb", "tts_first_audible", "tts_total", "round_trip")}
    w, h, scale = 200.0, 18.0, 200.0 / (scale_ms or 1.0)
    parts = []
    upload, stt, total, rt = (get[k] or 0.0 for k in ("stt_upload", "stt", "tts_total", "round_trip"))
    if upload:
        parts.append(f'<rect x="0" y="5" width="{upload * scale:.1f}" height="8" fill="{UPLOAD_COLOUR}"/>')
    if stt:
        parts.append(
            f'<rect x="{upload * scale:.1f}" y="3" width="{stt * scale:.1f}" height="12" fill="{STAGE_COLOURS["stt"]}"/>'
        )
    tts_at = (rt - total) if rt and total else upload + stt
    if total:
        first = min(get["tts_ttfb"] or 0.0, total)
        parts.append(
            f'<rect x="{tts_at * scale:.1f}" y="3" width="{first * scale:.1f}" height="12" fill="{STAGE_COLOURS["tts_ttfb"]}"/>'
        )
        parts.append(
            f'<rect x="{(tts_at + first) * scale:.1f}" y="3" width="{(total - first) * scale:.1f}" height="12" '
            f'fill="{STAGE_COLOURS["tts_total"]}"/>'
        )
    if get["tts_first_audible"] is not None:
        x = (tts_at + get["tts_first_audible"]) * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{h}" stroke="{STAGE_COLOURS["tts_first_audible"]}" stroke-width="2"/>'
        )
    if rt:
        parts.append(f'<rect x="0.5" y="1.5" width="{rt * scale - 1:.1f}" height="15" fill="none" stroke="#555"/>')
    tip = ", ".join(
        f"{name} {ms(get[k])} ms"
        for name, k in (("upload", "stt_upload"), ("STT", "stt"), ("TTS first audio", "tts_ttfb"),
                        ("first audible", "tts_first_audible"), ("TTS total", "tts_total"), ("round trip", "round_trip"))
    )  # fmt: skip
    return f'<svg class="wf" viewBox="0 0 {w:.0f} {h:.0f}" width="{w:.0f}" height="{h:.0f}"><title>{tip}</title>{"".join(parts)}</svg>'


RSS_COLOUR = "#4c78a8"
CPU_COLOUR = "#f58518"
_PHASE_LINE = 'stroke="#999" stroke-width="1" stroke-dasharray="3 3"'
_CHAR_PX = 6.5
"""About how wide one character of a chart's 11 px label is, to keep phase labels from overlapping."""


def _label_rows(xs: Sequence[float], names: Sequence[str], rows: int = 3) -> list[int]:
    """A row for each label, the first where it does not overlap the one before it (the last row if none)."""
    ends = [-math.inf] * rows
    chosen = []
    for x, name in zip(xs, names, strict=True):
        row = next((r for r in range(rows) if ends[r] < x - 2), rows - 1)
        ends[row] = x + len(name) * _CHAR_PX
        chosen.append(row)
    return chosen


def _panel(
    points: Sequence[tuple[float, float]], x_of: float, box: tuple[float, float, float, float], name: str, colour: str
) -> list[str]:
    """One line over time with its own value axis in ``box`` (left, right, top, bottom); ``x_of`` turns
    seconds into pixels from ``left``."""
    left, _, top, bottom = box
    ticks = _ticks(max((v for _, v in points), default=0.0) or 1.0, 3)
    span = ticks[-1] or 1.0
    parts = _y_grid(box, ticks)
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" {_AXIS}/>')
    parts.append(f'<text x="{left + 6}" y="{top + 12}" style="fill:{colour}">{esc(name)}</text>')
    line = " ".join(f"{left + x_of * t:.1f},{bottom - (bottom - top) * v / span:.1f}" for t, v in points)
    parts.append(
        f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"><title>{esc(name)}</title></polyline>'
    )
    return parts


Sample = tuple[float, float | None, float | None]
"""A point of a server's timeline: seconds since the run started, resident MB, CPU-seconds per second."""


def _series(samples: Sequence[Sample], index: int, scale: float = 1.0) -> list[tuple[float, float]]:
    """(t, value times ``scale``) for each sample whose time and value are finite."""
    return [(t, scale * v) for s in samples if (t := finite(s[0])) is not None and (v := finite(s[index])) is not None]


def resource_chart(
    samples: Sequence[Sample],
    phase_starts: Sequence[tuple[str, float]],
    chart_id: str,
    label: str,
) -> str:
    """A server over the run: resident memory (MB) above, CPU (% of one core) below, on one time axis,
    with a dashed line and the phase's name where each phase began. ``samples``: (t_s, rss_mb, cpu_utilisation)."""
    rss, cpu = _series(samples, 1), _series(samples, 2, 100.0)
    if not rss and not cpu:
        return "<p>No samples.</p>"
    starts = [(name, t) for name, t in phase_starts if finite(t) is not None]
    left, right = 64.0, WIDTH - 24.0
    ticks = _ticks(max([t for t, _ in rss + cpu] + [t for _, t in starts] + [1.0]))
    x_of = (right - left) / (ticks[-1] or 1.0)
    rows = _label_rows([left + x_of * t for _, t in starts], [name for name, _ in starts])
    label_h = 14.0 * (max(rows, default=-1) + 1)
    top = 8.0 + label_h
    rss_bottom = top + 140.0
    cpu_top, cpu_bottom = rss_bottom + 24.0, rss_bottom + 124.0
    parts = _x_axis(left, right, top, cpu_bottom, ticks, "s since the run started")
    parts += _panel(rss, x_of, (left, right, top, rss_bottom), "resident memory, MB", RSS_COLOUR)
    parts += _panel(cpu, x_of, (left, right, cpu_top, cpu_bottom), "CPU, % of one core", CPU_COLOUR)
    for (name, t), row in zip(starts, rows, strict=True):
        x = left + x_of * t
        parts.append(f'<line x1="{x:.1f}" y1="{8 + 14 * row:.1f}" x2="{x:.1f}" y2="{cpu_bottom}" {_PHASE_LINE}/>')
        parts.append(f'<text x="{x + 2:.1f}" y="{18 + 14 * row:.1f}" class="value phase">{esc(name, 40)}</text>')
    return _svg(chart_id, cpu_bottom + 40, label, parts)

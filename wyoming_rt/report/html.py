"""The report as one self-contained HTML file: verdict, latency charts (inline SVG), WER per
utterance, findings, and an audio player for each returned TTS stream (WAV as a data URI).

No scripts, no external assets: it opens from disk, in a CI artifact or a mail attachment.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from pathlib import Path

from wyoming_rt.pcm import wav_bytes
from wyoming_rt.records.audio import PcmAudio
from wyoming_rt.report.model import STAGE_LABELS, STAGES, Report, format_ms
from wyoming_rt.report.safe_text import xml_text
from wyoming_rt.report.text import LATENCY_PHASE, run_sentences

_COLORS = {"p50": "#4c78a8", "p95": "#f58518", "p99": "#e45756"}
_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{margin:0 0 4px} .pass{color:#1a7f37} .fail{color:#cf222e}
table{border-collapse:collapse;margin:8px 0 20px} td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa} td.num{text-align:right} .error{color:#cf222e} .warning{color:#9a6700}
audio{height:32px;width:260px} svg text{font:12px system-ui,sans-serif}
"""


def _esc(text: object) -> str:
    return html.escape(xml_text(str(text)), quote=True)


def wav_data_uri(audio: PcmAudio) -> str:
    """A WAV file of the stream in its declared format, as a data URI."""
    return "data:audio/wav;base64," + base64.b64encode(wav_bytes(audio)).decode("ascii")


def percentile_chart(report: Report, width: int = 640) -> str:
    """Grouped horizontal bars: P50/P95/P99 per stage."""
    rows = [
        (stage, stats)
        for stage in STAGES
        if (stats := report.summary.latency.get(stage)) is not None and all(map(math.isfinite, (stats.p50, stats.p95, stats.p99)))
    ]
    if not rows:
        return "<p>No latency measured.</p>"
    top = max(stats.p99 for _, stats in rows) or 1.0
    label_w, bar_h, gap = 190, 10, 12
    height = len(rows) * (3 * bar_h + gap) + 30
    parts = [
        f'<svg id="percentile-chart" width="{width}" height="{height}" role="img" aria-label="latency percentiles per stage">'
    ]
    for i, (stage, stats) in enumerate(rows):
        y = 10 + i * (3 * bar_h + gap)
        parts.append(f'<text x="0" y="{y + 2 * bar_h}">{_esc(STAGE_LABELS[stage])}</text>')
        for j, pick in enumerate(("p50", "p95", "p99")):
            value = getattr(stats, pick)
            length = max(1.0, (width - label_w - 70) * value / top)
            parts.append(
                f'<rect x="{label_w}" y="{y + j * bar_h}" width="{length:.1f}" height="{bar_h - 1}" fill="{_COLORS[pick]}"/>'
            )
            parts.append(f'<text x="{label_w + length + 4:.1f}" y="{y + j * bar_h + bar_h - 1}">{format_ms(value)}</text>')
    legend_y = height - 8
    for j, pick in enumerate(("p50", "p95", "p99")):
        x = label_w + j * 70
        parts.append(
            f'<rect x="{x}" y="{legend_y - 9}" width="10" height="10" fill="{_COLORS[pick]}"/><text x="{x + 14}" y="{legend_y}">{pick.upper()} ms</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def distribution_chart(values_ms: Sequence[float], width: int = 640, bins: int = 20) -> str:
    """A histogram of round-trip latencies."""
    values_ms = [v for v in values_ms if math.isfinite(v)]
    if not values_ms:
        return "<p>No round trip completed.</p>"
    low, high = min(values_ms), max(values_ms)
    span = (high - low) or 1.0
    counts = [0] * bins
    for value in values_ms:
        counts[min(bins - 1, int((value - low) / span * bins))] += 1
    height, base = 160, 140
    bar_w = (width - 40) / bins
    tallest = max(counts)
    parts = [
        f'<svg id="distribution-chart" width="{width}" height="{height}" role="img" aria-label="round-trip latency distribution">'
    ]
    for i, count in enumerate(counts):
        bar = (base - 10) * count / tallest
        parts.append(
            f'<rect x="{20 + i * bar_w:.1f}" y="{base - bar:.1f}" width="{bar_w - 2:.1f}" height="{bar:.1f}" fill="#4c78a8"/>'
        )
    parts.append(f'<text x="20" y="{height - 4}">{format_ms(low)} ms</text>')
    parts.append(f'<text x="{width - 90}" y="{height - 4}">{format_ms(high)} ms</text>')
    parts.append("</svg>")
    return "".join(parts)


def report_html(report: Report) -> str:
    """The whole page, with a player for each TTS stream the report holds (`Report.audio`)."""
    summary = report.summary
    verdict = '<span class="pass">PASS</span>' if report.passed else '<span class="fail">FAIL</span>'
    stt, tts = report.servers.get("stt"), report.servers.get("tts")
    wer = "-" if summary.score.wer is None else f"{summary.score.wer:.3f}"
    out = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>wyoming-rt report</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>wyoming-rt: {verdict}</h1>",
        f"<p>STT <code>{_esc(stt.uri if stt else '-')}</code> → TTS <code>{_esc(tts.uri if tts else '-')}</code>; "
        f"corpus <code>{_esc(report.settings.get('corpus', '-'))}</code>: {summary.utterances - summary.failed} of "
        f"{summary.utterances} utterances passed, WER {wer}.</p>",
        "<h2>Latency per stage</h2>",
        f"<p>{_esc(LATENCY_PHASE.capitalize())}.</p>",
        percentile_chart(report),
        *(f"<p>{_esc(s)}.</p>" for s in run_sentences(report)),
        "<h2>Round-trip latency distribution</h2>",
        distribution_chart([ms for u in report.utterances if (ms := u.latency_ms.get("round_trip")) is not None]),
    ]
    findings = report.findings
    out.append(f"<h2>Findings ({len(findings)})</h2>")
    if findings:
        out.append("<table><tr><th>severity</th><th>rule</th><th>where</th><th>message</th></tr>")
        for f in findings:
            out.append(
                f'<tr><td class="{f.severity}">{f.severity}</td><td><code>{_esc(f.rule)}</code></td>'
                f"<td>{_esc(f.utterance or 'run')}</td><td>{_esc(f.message)}</td></tr>"
            )
        out.append("</table>")
    out.append(
        "<h2>Utterances</h2><table><tr><th>utterance</th><th>reference</th><th>transcript</th><th>WER</th><th>round trip ms</th><th>returned audio</th><th></th></tr>"
    )
    for u in report.utterances:
        stream = report.audio.get(u.id)
        player = (
            f'<audio controls preload="metadata" src="{wav_data_uri(stream)}"></audio>'
            if stream is not None and stream.pcm and stream.format.is_playable  # a browser plays nothing else
            else "-"
        )
        wer_u = "-" if u.wer is None else f"{u.wer:.2f}"
        mark = '<span class="pass">ok</span>' if u.passed else '<span class="fail">FAIL</span>'
        out.append(
            f"<tr><td>{_esc(u.id)}</td><td>{_esc(u.reference)}</td><td>{_esc((u.transcript or '-').strip())}</td>"
            f'<td class="num">{wer_u}</td><td class="num">{format_ms(u.latency_ms.get("round_trip"))}</td><td>{player}</td><td>{mark}</td></tr>'
        )
    out.append("</table></body></html>")
    return "\n".join(out) + "\n"


def write_html(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_html(report), encoding="utf-8")

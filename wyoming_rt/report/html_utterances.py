"""The utterance table of the HTML report: a row per round trip with its word diffs, scores,
stage times and waterfall, and both audio streams; sortable and filterable (html_assets.SCRIPT)."""

from __future__ import annotations

from wyoming_rt.report.html_audio import AudioBudget
from wyoming_rt.report.html_charts import STAGE_COLOURS, UPLOAD_COLOUR, waterfall
from wyoming_rt.report.html_diff import word_diff
from wyoming_rt.report.html_parts import esc, finite, mark, ms, rate, sort_value
from wyoming_rt.report.model import Report, UtteranceReport

MAX_FINDINGS_SHOWN = 5
_COLUMNS = (
    ("status", "", False), ("id", "utterance", False), ("text", "said · heard · heard back", False),
    ("wer", "WER", True), ("cer", "CER", True), ("stt", "STT ms", True), ("tts_first_audible", "audible ms", True),
    ("round_trip", "round trip ms", True), ("stages", "stages", False), ("audio", "audio in · out", False),
)  # fmt: skip
"""Each column: the key a ``#sort=`` in the address names, its header, whether it is numeric."""


def _scale_ms(report: Report) -> float:
    ends = [
        max(
            finite(u.latency_ms.get("round_trip")) or 0.0,
            sum(finite(u.latency_ms.get(k)) or 0.0 for k in ("stt_upload", "stt", "tts_total")),
        )
        for u in report.utterances
    ]
    return max(ends, default=0.0) or 1.0


def _text_cell(u: UtteranceReport) -> str:
    lines = [f'<span class="line"><i>said</i> {esc(u.reference, 500)}</span>']
    if u.transcript is None:
        lines.append('<span class="line"><i>heard</i> <span class="error">no transcript</span></span>')
    else:
        lines.append(f'<span class="line"><i>heard</i> {word_diff(u.reference, u.transcript)}</span>')
    if u.back_transcript is not None and u.transcript is not None:
        back = rate(u.back_score.wer if u.back_score else None, 2)
        lines.append(f'<span class="line"><i>back</i> {word_diff(u.transcript, u.back_transcript)} <i>WER {back}</i></span>')
    for f in u.findings[:MAX_FINDINGS_SHOWN]:
        lines.append(f'<span class="line {esc(f.severity)}"><code>{esc(f.rule)}</code> {esc(f.message, 300)}</span>')
    if len(u.findings) > MAX_FINDINGS_SHOWN:
        lines.append(f'<span class="line muted">and {len(u.findings) - MAX_FINDINGS_SHOWN} more findings</span>')
    return "".join(lines)


def _row(u: UtteranceReport, scale_ms: float, audio: str) -> str:
    lat, score = u.latency_ms, u.score
    cells = [
        f'<td data-v="{int(u.passed)}">{mark(u.passed)}</td>',
        f'<td class="id">{esc(u.id, 200)}</td>',
        f'<td class="text">{_text_cell(u)}</td>',
        f'<td class="num"{sort_value(u.wer)}>{rate(u.wer, 2)}</td>',
        f'<td class="num"{sort_value(score.cer if score else None)}>{rate(score.cer if score else None, 2)}</td>',
        *(f'<td class="num"{sort_value(lat.get(k))}>{ms(lat.get(k))}</td>' for k in ("stt", "tts_first_audible", "round_trip")),
        f"<td{sort_value(lat.get('round_trip'))}>{waterfall(lat, scale_ms)}</td>",
        f"<td>{audio or '-'}</td>",
    ]
    return f'<tr class="{"passing" if u.passed else "failing"}">' + "".join(cells) + "</tr>"


def _legend() -> str:
    items = (
        (UPLOAD_COLOUR, "upload"), (STAGE_COLOURS["stt"], "STT"), (STAGE_COLOURS["tts_ttfb"], "TTS to first audio"),
        (STAGE_COLOURS["tts_first_audible"], "first audible (mark)"), (STAGE_COLOURS["tts_total"], "TTS to the end"),
        ("#555", "round trip (outline)"),
    )  # fmt: skip
    return '<p class="legend">Stages: ' + "".join(f'<span><i style="background:{c}"></i>{t}</span>' for c, t in items) + "</p>"


def utterances_html(report: Report, budget: AudioBudget) -> str:
    """The table, with its filter box and its "failing only" switch."""
    if not report.utterances:
        return "<p>No utterance was sent.</p>"
    scale = _scale_ms(report)
    head = "".join(f'<th data-key="{key}"{" class=num" if numeric else ""}>{esc(title)}</th>' for key, title, numeric in _COLUMNS)
    controls = (
        '<div class="controls"><input type="search" id="filter" placeholder="filter: words, ids, rules">'
        '<label><input type="checkbox" id="failing-only"> failing only</label>'
        f'<span class="muted"><span id="shown">{len(report.utterances)}</span> of {len(report.utterances)} shown; '
        "click a header to sort</span></div>"
    )
    players = {  # the failing utterances' audio first, should the budget not hold all
        u.id: budget.player(report.inputs.get(u.id), "in") + budget.player(report.audio.get(u.id), "out")
        for u in sorted(report.utterances, key=lambda u: u.passed)
    }
    rows = "".join(_row(u, scale, players[u.id]) for u in report.utterances)
    return f'{controls}{_legend()}<div class="scroll"><table id="utterances"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>'

"""The report as one self-contained HTML page, the one a server author opens first: the verdict,
the gates, the servers and settings at the top; findings grouped by rule; latency charts (CDF
per stage, percentiles, histogram); what each server cost (memory and CPU, a chart over the
run); a sortable, filterable row per utterance with word diffs, stage waterfall and the audio
sent and returned (compressed, within a budget); the phases and the speech-free clips.

Inline CSS, inline SVG and a few lines of inline script: it opens from disk, in a CI artifact
or a mail attachment, offline."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

from wyoming_rt.records.findings import Finding
from wyoming_rt.records.rules import RULES
from wyoming_rt.records.version import __version__
from wyoming_rt.report.html_assets import CSS, SCRIPT
from wyoming_rt.report.html_audio import AUDIO_BUDGET_BYTES, AudioBudget, AudioChoice
from wyoming_rt.report.html_charts import STAGE_COLOURS, cdf_chart, histogram, percentile_chart
from wyoming_rt.report.html_parts import esc
from wyoming_rt.report.html_sections import (
    figures_html,
    gates_html,
    negatives_html,
    phases_html,
    server_cost_html,
    servers_html,
    settings_html,
    stage_table,
)
from wyoming_rt.report.html_utterances import utterances_html
from wyoming_rt.report.model import STAGE_LABELS, STAGES, Report
from wyoming_rt.report.text import LATENCY_PHASE

RULES_DOC_URL = "https://github.com/wyoming-rt/wyoming-rt/blob/main/docs/rules.md"
"""Where the rule catalogue is published; each rule id on a page links there (a relative link
would not resolve from a CI artifact). ``python -m wyoming_rt rules`` prints the same document."""
MAX_MESSAGES_SHOWN = 20
SHOWN_OPEN = 3
"""A rule's first messages are shown; the rest (up to `MAX_MESSAGES_SHOWN`) one click away."""


def rule_link(rule_id: str) -> str:
    """The rule id, linked to its row of the catalogue (a text fragment finds it on the page)."""
    fragment = quote(rule_id, safe="").replace("-", "%2D")
    return f'<a href="{esc(RULES_DOC_URL)}#:~:text={esc(fragment)}"><code>{esc(rule_id)}</code></a>'


def page(title: str, body: list[str]) -> str:
    """A whole page around ``body``: the style sheet, the script, nothing fetched."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>\n"
        + "\n".join(body)
        + f'\n<footer class="muted">wyoming-rt {esc(__version__)}. Rules: {esc(RULES_DOC_URL)} '
        "(<code>python -m wyoming_rt rules</code> prints the catalogue).</footer>"
        f"\n<script>{SCRIPT}</script></body></html>\n"
    )


def findings_html(findings: list[Finding]) -> str:
    """One row per rule: severity, how often, what it checks, and each message."""
    if not findings:
        return "<p>None.</p>"
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_rule[f.rule].append(f)
    ordered = sorted(by_rule.items(), key=lambda item: (item[1][0].severity != "error", -len(item[1]), item[0]))
    rows = []
    for rule_id, group in ordered:
        severity = group[0].severity
        rule = RULES.get(rule_id)
        summary = f"<b>{esc(rule.summary)}</b><br>" if rule else ""
        items = [f"<li>{esc(f.utterance or 'run', 200)}: {esc(f.message, 500)}</li>" for f in group[:MAX_MESSAGES_SHOWN]]
        if len(group) > MAX_MESSAGES_SHOWN:
            items.append(f'<li class="muted">and {len(group) - MAX_MESSAGES_SHOWN} more</li>')
        listing = f"<ul>{''.join(items[:SHOWN_OPEN])}</ul>"
        if len(items) > SHOWN_OPEN:
            listing += (
                f"<details><summary>{len(group) - SHOWN_OPEN} more</summary><ul>{''.join(items[SHOWN_OPEN:])}</ul></details>"
            )
        rows.append(
            f'<tr><td>{rule_link(rule_id)}</td><td class="{esc(severity)}">{esc(severity)}</td>'
            f'<td class="num">{len(group)}</td><td>{summary}{listing}</td></tr>'
        )
    head = '<tr><th>rule</th><th>severity</th><th class="num">count</th><th>what it checks, and each finding</th></tr>'
    return f'<table id="findings"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def latency_html(report: Report) -> str:
    """The latency phase: CDF per stage, P50/P95/P99 as numbers and bars, the round-trip histogram."""
    series = [
        (STAGE_LABELS[stage], STAGE_COLOURS[stage], [v for u in report.utterances if (v := u.latency_ms.get(stage)) is not None])
        for stage in STAGES
    ]
    rows = [(STAGE_LABELS[stage], stats) for stage in STAGES if (stats := report.summary.latency.get(stage)) is not None]
    return "".join(
        (
            f"<p>{esc(LATENCY_PHASE[:1].upper() + LATENCY_PHASE[1:])}. The share of utterances (y) answered within a time (x), per stage:</p>",
            cdf_chart(series),
            stage_table(report.summary.latency),
            percentile_chart(rows),
            "<h3>Round-trip latency histogram</h3>",
            histogram([v for u in report.utterances if (v := u.latency_ms.get("round_trip")) is not None]),
        )
    )


def _audio_note(budget: AudioBudget, held: bool) -> str:
    if not held:
        return '<p class="muted">This report holds no audio (a report read back from JSON has none).</p>'
    if budget.choice == "none":
        return '<p class="muted">Audio left out of this page (<code>--html-audio none</code>).</p>'
    if budget.over:
        return (
            f'<p class="warning">Some audio was left out: the page holds at most {AUDIO_BUDGET_BYTES // 1000} kB of '
            "compressed audio (failing utterances first). <code>--save-audio DIR</code> writes every stream.</p>"
        )
    return ""


def report_html(report: Report, audio: AudioChoice = "all", audio_budget_bytes: int = AUDIO_BUDGET_BYTES) -> str:
    """The whole page. ``audio``: ``all`` plays the audio each utterance sent and got back
    (`Report.inputs`, `Report.audio`) within ``audio_budget_bytes``; ``none`` leaves it out."""
    held = bool(report.audio or report.inputs)  # a report read back from JSON holds none
    budget = AudioBudget(audio if held else "none", audio_budget_bytes)
    word = "INCOMPLETE" if report.incomplete else "PASS" if report.passed else "FAIL"
    verdict = f'<span class="verdict {"pass" if report.passed else "fail"}">{word}</span>'
    stt, tts = report.servers.get("stt"), report.servers.get("tts")
    utterances = utterances_html(report, budget)  # spends the audio budget first
    negatives = negatives_html(report, budget)
    body = [
        f"<h1>wyoming-rt: {verdict}</h1>",
        f'<p class="verdict-reason">The run did not finish: {esc(report.incomplete, 300)}.</p>' if report.incomplete else "",
        f"<p>STT <code>{esc(stt.uri if stt else '-', 200)}</code> → TTS <code>{esc(tts.uri if tts else '-', 200)}</code>, "
        f"corpus <code>{esc(report.settings.get('corpus', '-'), 200)}</code>. "
        f'<span class="muted">Created {esc(report.created or "-")} by wyoming-rt {esc(__version__)}.</span></p>',
        figures_html(report),
        '<div class="grid"><section><h2>Gates</h2>',
        gates_html(report),
        "</section><section><h2>Servers</h2>",
        servers_html(report.servers),
        "</section></div>",
        f"<details open><summary><b>Settings</b> ({len(report.settings)})</summary>{settings_html(report)}</details>",
        f"<h2>Findings ({len(report.findings)})</h2>",
        findings_html(report.findings),
        "<h2>Latency per stage</h2>",
        latency_html(report),
        *(["<h2>Server cost</h2>", server_cost_html(report)] if report.resources else []),
        f"<h2>Utterances ({len(report.utterances)})</h2>",
        _audio_note(budget, held),
        utterances,
        f"<h2>Speech-free clips ({len(report.negatives)})</h2>",
        negatives,
        "<h2>Phases</h2>",
        phases_html(report),
    ]
    return page(f"wyoming-rt: {word}", body)


def write_html(report: Report, path: Path, audio: AudioChoice = "all") -> None:
    """Write `report_html` to ``path`` (its directory made when missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_html(report, audio), encoding="utf-8")

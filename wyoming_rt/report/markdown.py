"""The report as Markdown: verdict, figures, failing utterances and findings (CI summaries)."""

from __future__ import annotations

import os
from pathlib import Path

from wyoming_rt.report.model import STAGE_LABELS, STAGES, Report, format_ms
from wyoming_rt.report.safe_text import clean_text
from wyoming_rt.report.server_cost import COST_HEADERS, COST_NOTE, NUMERIC_FROM, cost_rows, unmeasured_lines
from wyoming_rt.report.text import LATENCY_PHASE, run_sentences


def _cell(text: str) -> str:
    return clean_text(text).replace("|", "\\|").replace("\n", " ")


def report_markdown(report: Report) -> str:
    """A compact Markdown summary, fit for ``$GITHUB_STEP_SUMMARY`` or a merge-request comment."""
    summary = report.summary
    verdict = "✅ PASS" if report.passed else "❌ INCOMPLETE" if report.incomplete else "❌ FAIL"
    stt, tts = report.servers.get("stt"), report.servers.get("tts")
    wer = "-" if summary.score.wer is None else f"{summary.score.wer:.3f}"
    back = "-" if summary.back_score is None or summary.back_score.wer is None else f"{summary.back_score.wer:.3f}"
    lines = [
        f"## wyoming-rt: {verdict}",
        "",
        f"STT `{stt.uri if stt else '-'}` → TTS `{tts.uri if tts else '-'}`, corpus `{report.corpus_label}` "
        f"({report.language}): **{summary.utterances - summary.failed}/{summary.utterances}** utterances passed, "
        f"{report.wer_label} **{wer}**, back WER {back}.",
        "",
        *(
            [f"**INCOMPLETE**: {_cell(report.incomplete)}; the figures cover only the round trips that finished.", ""]
            if report.incomplete
            else []
        ),
        f"Latency, {LATENCY_PHASE}:",
        "",
        "| stage | P50 ms | P95 ms | P99 ms |",
        "|---|---:|---:|---:|",
    ]
    for stage in STAGES:
        stats = summary.latency.get(stage)
        lines.append(
            f"| {STAGE_LABELS[stage]} | {format_ms(stats.p50 if stats else None)} | {format_ms(stats.p95 if stats else None)} | {format_ms(stats.p99 if stats else None)} |"
        )
    lines += ["", *(f"{s}." for s in run_sentences(report))]
    lines += _server_cost(report)
    findings = report.findings
    if findings:
        lines += ["", f"### Findings ({len(findings)})", "", "| severity | rule | where | message |", "|---|---|---|---|"]
        for f in findings:
            lines.append(f"| {f.severity} | `{f.rule}` | {_cell(f.utterance or 'run')} | {_cell(f.message)} |")
    failing = [u for u in report.utterances if not u.passed]
    if failing:
        lines += ["", "### Failing utterances", "", "| utterance | reference | transcript | WER |", "|---|---|---|---:|"]
        for u in failing:
            wer_u = "-" if u.wer is None else f"{u.wer:.2f}"
            lines.append(f"| {_cell(u.id)} | {_cell(u.reference)} | {_cell((u.transcript or '-').strip())} | {wer_u} |")
    return "\n".join(lines) + "\n"


def _server_cost(report: Report) -> list[str]:
    """What each server cost, when it was sampled: a table, and a line per server that was not."""
    rows, missing = cost_rows(report), unmeasured_lines(report)
    if not rows and not missing:
        return []
    lines = ["", "### Server cost"]
    if rows:
        lines += [
            "",
            "| " + " | ".join(h.replace("\n", " ") for h in COST_HEADERS) + " |",
            "|" + "|".join("---:" if i >= NUMERIC_FROM else "---" for i in range(len(COST_HEADERS))) + "|",
            *("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows),
            "",
            COST_NOTE,
        ]
    return [*lines, "", *(f"- {_cell(line)}" for line in missing)] if missing else lines


def write_markdown(report: Report, path: Path | None) -> list[Path]:
    """Write to ``path`` (if given) and append to ``$GITHUB_STEP_SUMMARY`` (if set); the files written."""
    text = clean_text(report_markdown(report))
    written = []
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        with open(summary_file, "a", encoding="utf-8") as out:
            out.write(text)
        written.append(Path(summary_file))
    return written

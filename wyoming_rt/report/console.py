"""Renders the report for a terminal (rich): a table per utterance, percentiles, findings, verdict."""

from __future__ import annotations

import re

from rich.console import Console
from rich.table import Table
from rich.text import Text

from wyoming_rt.checks.load_stats import LoadReport
from wyoming_rt.report.compare import Comparison
from wyoming_rt.report.model import STAGE_LABELS, STAGES, Report, format_ms
from wyoming_rt.report.server_cost import COST_HEADERS, COST_NOTE, NUMERIC_FROM, cost_rows, unmeasured_lines
from wyoming_rt.report.text import LATENCY_PHASE, run_sentences


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _rate3(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


_ID_MAX = 28
_TRANSCRIPT_MIN = 20
_OPTIONAL_COLUMNS = (("TTS 1st ms", 10), ("audio", 12))
"""Columns a narrow console drops, the last first, with the width each needs."""
_KEPT_WIDTH = _TRANSCRIPT_MIN + len("WER") + 1 + len("STT ms") + len("TTS ms") + len("FAIL")
"""Content width of the columns always shown, the utterance id apart."""


def _chrome(columns: int) -> int:
    """Borders and padding of a table with this many columns."""
    return 3 * columns + 1


def _round_trips(report: Report, width: int) -> Table:
    """One row per utterance. On a narrow console columns go by priority (the returned audio's
    format first, then the TTS first-audio time), then the ids are shortened, so that the
    transcript keeps at least `_TRANSCRIPT_MIN` columns and the verdict is never cut."""
    id_width = max(len("utterance"), min(_ID_MAX, max((len(u.id) for u in report.utterances), default=0)))
    spare = width - id_width - _KEPT_WIDTH - _chrome(6)
    shown = set()
    for name, needs in _OPTIONAL_COLUMNS:
        if spare >= needs + 3:
            shown.add(name)
            spare -= needs + 3
    id_width = max(len("utterance"), id_width + min(0, spare))
    table = Table(title="Round trips", title_justify="left", expand=False)
    table.add_column("utterance", no_wrap=True, overflow="ellipsis", max_width=id_width)
    table.add_column("transcript", ratio=1, overflow="fold", min_width=_TRANSCRIPT_MIN)
    table.add_column("WER", justify="right", no_wrap=True, min_width=4)
    if "audio" in shown:
        table.add_column("audio", no_wrap=True)
    for header in ("STT ms", "TTS 1st ms", "TTS ms"):
        if header != "TTS 1st ms" or header in shown:
            table.add_column(header, justify="right", no_wrap=True, min_width=len(header))
    table.add_column("", justify="center", no_wrap=True, min_width=len("FAIL"))
    for u in report.utterances:
        if u.audio is None:
            audio = "-"
        else:
            audio = f"{u.audio.duration_s or 0:.1f}s {u.audio.rate or '?'}Hz" + ("" if u.audio.valid else " INVALID")
        stt, first, total = (format_ms(u.latency_ms.get(stage)) for stage in ("stt", "tts_ttfb", "tts_total"))
        cells = [u.id, "-" if u.transcript is None else u.transcript.strip(), _rate(u.wer)]
        cells += [audio] if "audio" in shown else []
        cells += [stt, first] if "TTS 1st ms" in shown else [stt]
        mark = Text("ok", style="green") if u.passed else Text("FAIL", style="bold red")
        table.add_row(*cells, total, mark)
    return table


def render_report(report: Report, console: Console) -> None:
    """Print the whole report."""
    stt, tts = report.servers.get("stt"), report.servers.get("tts")
    streaming = tts.notes.get("streaming") if tts else None
    console.print(
        f"[bold]STT[/] {stt.uri if stt else '-'}   [bold]TTS[/] {tts.uri if tts else '-'}"
        f" ({'streaming' if streaming else 'plain'} synthesis)   corpus: {report.corpus_label}   language: {report.language}"
        f"   HA {report.settings.get('ha_mode', 'latest')}, {report.settings.get('upload', 'burst')} upload"
    )
    if report.incomplete:
        console.print(_incomplete_line(report))

    console.print(_round_trips(report, console.width))

    latency = Table(title=f"Latency (ms), {LATENCY_PHASE}", title_justify="left")
    for header in ("stage", "n", "P50", "P95", "P99", "max"):
        latency.add_column(header, justify="left" if header == "stage" else "right")
    for stage in STAGES:
        stats = report.summary.latency.get(stage)
        if stats is None:
            latency.add_row(STAGE_LABELS[stage], "0", "-", "-", "-", "-")
        else:
            latency.add_row(
                STAGE_LABELS[stage],
                str(stats.count),
                format_ms(stats.p50),
                format_ms(stats.p95),
                format_ms(stats.p99),
                format_ms(stats.max),
            )
    console.print(latency)
    for sentence in run_sentences(report):
        if sentence:
            console.print(sentence, highlight=False, markup=False)
    _server_cost(report, console)

    s = report.summary
    console.print(
        f"{report.wer_label} {_rate3(s.score.wer)} (raw {_rate3(s.score.wer_raw)})   CER {_rate3(s.score.cer)} (raw {_rate3(s.score.cer_raw)})"
        f"   utterances {s.utterances}, failed {s.failed}"
    )
    extras = []
    if s.back_score is not None:
        extras.append(f"back WER {_rate3(s.back_score.wer)} (TTS audio transcribed back)")
    gaps = s.chunk_gaps
    if gaps.count:
        extras.append(f"chunk gap P99 {gaps.p99:.0f} ms, longest {gaps.max:.0f} ms")
    for kind in ("stt", "tts"):
        if s.rtf.get(kind) is not None:
            extras.append(f"{kind.upper()} RTF {s.rtf[kind]:.2f}")
    if extras:
        console.print("   ".join(extras))
    findings = report.findings
    if findings:
        console.print(f"[bold]Findings ({len(findings)})[/]")
        for f in findings:
            style = "red" if f.severity == "error" else "yellow"
            where = f" [{f.utterance}]" if f.utterance else ""
            console.print(Text.assemble((f"  {f.severity:<7} ", style), (f.rule, "bold"), f"{where}: {f.message}"))
    if report.ignored_findings:
        console.print(
            f"Ignored by the gates: {len(report.ignored_findings)} finding(s) of {', '.join(sorted({f.rule for f in report.ignored_findings}))}"
        )
    if report.gate_results:
        gates = Table(title="Gates", title_justify="left", expand=False)
        for header in ("gate", "threshold", "measured", "over", ""):
            gates.add_column(header, justify="left" if header == "gate" else "right", no_wrap=True)
        for g in report.gate_results:
            measured = "-" if g.measured is None else f"{g.measured:.4g}"
            mark = Text("ok", style="green") if g.passed else Text("FAIL", style="bold red")
            over = f"{g.samples} of {g.of}" if g.samples is not None else "-"
            gates.add_row(g.gate, f"{g.threshold:g}", measured, over, mark)
        console.print(gates)
    verdict = Text(verdict_word(report), style="bold green" if report.passed else "bold red")
    console.print(Text.assemble("Verdict: ", verdict, f" ({report.incomplete})" if report.incomplete else ""))


_SECOND_LINE = re.compile(r"(?<=,) | (?=\()")


def _server_cost(report: Report, console: Console) -> None:
    """What each server cost (CPU, memory), when it was sampled; nothing when it was not."""
    rows = cost_rows(report)
    if rows:
        table = Table(title="Server cost", title_justify="left", expand=False)
        # "started, pid 4242" and "+12.5 (96 req)" on two lines each, so that 80 columns hold the table unbroken
        lines = [tuple(_SECOND_LINE.sub("\n", cell) for cell in row) for row in rows]
        for i, header in enumerate(COST_HEADERS):
            table.add_column(header, justify="right" if i >= NUMERIC_FROM else "left")
        for row in lines:
            table.add_row(*(Text(cell) for cell in row))  # a report read back is text, never rich markup
        console.print(table)
        console.print(COST_NOTE, highlight=False, markup=False)
    for line in unmeasured_lines(report):
        console.print(line, highlight=False, markup=False)


def verdict_word(report: Report) -> str:
    """PASS, FAIL, or INCOMPLETE for a run that stopped before its end (which never passes)."""
    return "PASS" if report.passed else "INCOMPLETE" if report.incomplete else "FAIL"


def render_quiet(report: Report, console: Console) -> None:
    """Only the findings, one a line, and the verdict (``--quiet``)."""
    for f in report.findings:
        where = f" [{f.utterance}]" if f.utterance else ""
        console.print(f"{f.severity} {f.rule}{where}: {f.message}", highlight=False, markup=False)
    console.print(f"Verdict: {verdict_word(report)}" + (f" ({report.incomplete})" if report.incomplete else ""))


def _incomplete_line(report: Report) -> Text:
    return Text.assemble(
        ("INCOMPLETE", "bold red"),
        f": {report.incomplete}; the figures cover only the {len(report.utterances)} round trip(s) that finished",
    )


def render_load_report(report: LoadReport, console: Console) -> None:
    """Print a load run: one row per level, the knee, findings and the verdict."""
    settings = report.settings
    ray = settings.get("ray")
    on_ray = f" on Ray, {ray['actors']} actors over {ray['nodes']} node(s)" if isinstance(ray, dict) else ""
    console.print(
        f"[bold]STT[/] {settings.get('stt', '-')}   [bold]TTS[/] {settings.get('tts', '-')}"
        f"   {settings.get('utterances', '?')} distinct utterances   load: {report.mode}{on_ray}"
    )
    table = Table(title="Load", title_justify="left", expand=False)
    table.add_column("level", no_wrap=True)
    for header in ("round trips", "errors", "mixed", "done/s", "RT p50", "RT p95", "RT p99", "STT p95", "TTS p95"):
        table.add_column(header, justify="right", no_wrap=True)
    for level in report.levels:
        rt, stt, tts = level.latency.get("round_trip"), level.latency.get("stt"), level.latency.get("tts_total")
        table.add_row(
            level.label + ("  ← knee" if level.label == report.knee else ""),
            str(level.round_trips),
            Text(str(level.errors), style="bold red" if level.errors else ""),
            Text(str(level.mixed), style="bold red" if level.mixed else ""),
            f"{level.throughput_per_s:.2f}",
            format_ms(rt.p50 if rt else None),
            format_ms(rt.p95 if rt else None),
            format_ms(rt.p99 if rt else None),
            format_ms(stt.p95 if stt else None),
            format_ms(tts.p95 if tts else None),
        )
    console.print(table)
    if report.mode == "open":
        console.print("Latency counts from each request's due time (open model: queueing is included).")
    elif report.knee:
        console.print(
            f"Knee: {report.knee} (the smallest level within 10 % of the best throughput; beyond it latency grows for nothing)."
        )
    _render_level_costs(report, console)
    for f in report.findings:
        console.print(Text(f"{f.severity} {f.rule}: {f.message}", style="red" if f.severity == "error" else "yellow"))
    console.print(Text("Verdict: PASS", style="bold green") if report.passed else Text("Verdict: FAIL", style="bold red"))


def _render_level_costs(report: LoadReport, console: Console) -> None:
    """How each server's CPU and memory scale with the load: a row per level and server."""
    measured = {role: r for role, r in report.resources.items() if r.measured}
    for role, r in report.resources.items():
        if role not in measured:
            console.print(f"{role.upper()} server cost: not measured ({r.unavailable})")
    if not measured:
        return
    table = Table(title="Server cost per level", title_justify="left", expand=False)
    table.add_column("level", no_wrap=True)
    for header in ("server", "CPU (cores)", "CPU s / round trip", "peak RSS MB", "mean RSS MB", "threads"):
        table.add_column(header, justify="right", no_wrap=True)
    for level in report.levels:
        for role, r in measured.items():
            phase = r.phase(level.label)
            if phase is None:
                continue
            table.add_row(
                level.label, role.upper(),
                "-" if phase.cpu_utilisation is None else f"{phase.cpu_utilisation:.2f}",
                "-" if phase.cpu_per_request_s is None else f"{phase.cpu_per_request_s:.3f}",
                f"{phase.rss_peak_mb:.0f}", f"{phase.rss_mean_mb:.0f}",
                "-" if phase.threads_max is None else str(phase.threads_max),
            )  # fmt: skip
    console.print(table)


def render_comparison(comparison: Comparison, console: Console) -> None:
    """Print what changed between a baseline and a new report; only changed figures get a row."""
    table = Table(title="Compared with the baseline", title_justify="left", expand=False)
    for header in ("figure", "baseline", "new", ""):
        table.add_column(header, justify="left" if header == "figure" else "right", no_wrap=True)
    shown = [c for c in comparison.changes if c.verdict != "same"]
    for change in shown:
        style = "bold red" if change.verdict == "regression" else "green"
        spec = ".0f" if change.metric.endswith(("_ms", "_mb")) else ".3g"
        base, new = ("-" if v is None else format(v, spec) for v in (change.base, change.new))
        table.add_row(change.metric, base, new, Text(change.verdict, style=style))
    if shown:
        console.print(table)
    else:
        console.print(f"No figure changed beyond its margin ({len(comparison.changes)} compared).")
    for rule_id in comparison.new_rules:
        console.print(Text(f"new error finding: {rule_id}", style="bold red"))
    for rule_id in comparison.fixed_rules:
        console.print(Text(f"fixed: {rule_id}", style="green"))
    console.print(
        Text("Verdict: REGRESSION", style="bold red")
        if comparison.regressed
        else Text("Verdict: no regression", style="bold green")
    )

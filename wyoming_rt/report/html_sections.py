"""Sections of the HTML report: the run at a glance (figures, gates, servers, settings), what
the servers cost, the phases (concurrency, probes, health checks) and the speech-free clips."""

from __future__ import annotations

from typing import Any

from wyoming_rt.records.info import entries
from wyoming_rt.records.version import __version__
from wyoming_rt.report.html_audio import AudioBudget
from wyoming_rt.report.html_charts import resource_chart
from wyoming_rt.report.html_parts import compact, esc, mark, ms, rate, table
from wyoming_rt.report.model import STAGE_LABELS, STAGES, Report, ServerReport
from wyoming_rt.report.server_cost import COST_HEADERS, COST_NOTE, NUMERIC_FROM, cost_rows, measured, unmeasured_lines
from wyoming_rt.report.text import answers_sentence, concurrency_sentence, health_sentence

_PROGRAM_KINDS = {"asr": "models", "tts": "voices", "handle": "models", "intent": "models", "wake": "models"}
_SHOWN_ITEMS = 4
MAX_HEALTH_ROWS = 100


def figures_html(report: Report) -> str:
    """The corpus figures as a row of boxes."""
    s = report.summary
    boxes = [
        ("utterances passed", f"{s.utterances - s.failed} of {s.utterances}"),
        ("language", report.language),
        (report.wer_label, rate(s.score.wer)),
        ("CER", rate(s.score.cer)),
        ("WER raw", rate(s.score.wer_raw)),
        ("back WER", rate(s.back_score.wer if s.back_score else None)),
        ("STT RTF", rate(s.rtf.get("stt"), 2)),
        ("TTS RTF", rate(s.rtf.get("tts"), 2)),
        ("chunk gap P99 / max ms", f"{ms(s.chunk_gaps.p99)} / {ms(s.chunk_gaps.max)}"),
    ]
    return '<div class="figures">' + "".join(f"<div>{esc(k)}<b>{v}</b></div>" for k, v in boxes) + "</div>"


def gates_html(report: Report) -> str:
    """Every gate checked: threshold, measured, over how many, pass or fail."""
    if not report.gate_results:
        return "<p>No gates were set: only error findings decide the verdict.</p>"
    rows = [
        (
            f"<code>{esc(g.gate)}</code>",
            f"{g.threshold:g}",
            "-" if g.measured is None else f"{g.measured:.4g}",
            esc(g.over or "-"),
            mark(g.passed),
        )
        for g in report.gate_results
    ]
    ignored = ""
    if report.ignored_findings:
        rules = ", ".join(sorted({f.rule for f in report.ignored_findings}))
        ignored = f'<p class="muted">Ignored by the gates: {len(report.ignored_findings)} finding(s) of {esc(rules)}.</p>'
    return table(("gate", "#threshold", "#measured", "#over", "result"), rows, ' id="gates"') + ignored


def server_cost_html(report: Report) -> str:
    """What each server cost: the table, a memory and CPU chart over the run per server, and a line
    per server that was not measured."""
    headers = [("#" if i >= NUMERIC_FROM else "") + h.replace("\n", " ") for i, h in enumerate(COST_HEADERS)]
    out = []
    rows = [tuple(esc(cell) for cell in row) for row in cost_rows(report)]
    if rows:
        out += [table(headers, rows, ' id="server-cost"'), f'<p class="muted">{esc(COST_NOTE)}</p>']
    for r in measured(report):
        samples = [(s.t_s, s.rss_mb, s.cpu_utilisation) for s in r.timeline]
        out += [
            f"<h3>{esc(r.role.upper())} server over the run</h3>",
            resource_chart(samples, r.phase_starts, f"cost-{esc(r.role)}", f"{r.role} server: memory and CPU over the run"),
        ]
    out += [f"<p>{esc(line)}</p>" for line in unmeasured_lines(report)]
    return "".join(out)


def programs(info: Any) -> list[str]:
    """Each program the info lists: name, version, and its installed models or voices."""
    lines = []
    for kind, item_key in _PROGRAM_KINDS.items():
        for program in entries(info, kind)[:_SHOWN_ITEMS]:
            items = [i for i in entries(program, item_key) if i.get("installed", True)]
            named = [
                esc(i.get("name", "?"), 80) + (f" {esc(i['version'], 40)}" if i.get("version") else "")
                for i in items[:_SHOWN_ITEMS]
            ]
            more = f" and {len(items) - _SHOWN_ITEMS} more" if len(items) > _SHOWN_ITEMS else ""
            version = f" {esc(program['version'], 40)}" if program.get("version") else ""
            what = f"; {item_key}: {', '.join(named)}{more}" if named else ""
            lines.append(f"<b>{esc(program.get('name', '?'), 80)}</b>{version} ({kind}){what}")
    return lines


def servers_html(servers: dict[str, ServerReport]) -> str:
    """Each server: role, URI, what its info says it runs, how fast it answered describe."""
    rows = []
    for role, server in servers.items():
        listed = "<br>".join(programs(server.info)) or '<span class="muted">no info</span>'
        notes = "<br>".join(f"{esc(k, 60)}: {compact(v, 120)}" for k, v in server.notes.items())
        rows.append((esc(role), f"<code>{esc(server.uri, 200)}</code>", listed, ms(server.describe_ms), notes))
    return table(("role", "URI", "program, models / voices, version", "#describe ms", "notes"), rows, ' id="servers"')


def settings_html(report: Report) -> str:
    """How the run was made, as key: value, with the tool's version and when it ran."""
    pairs = [("created", report.created or "-"), ("wyoming-rt", __version__), *report.settings.items()]
    items = "".join(f"<div><b>{esc(k, 60)}</b>: {compact(v)}</div>" for k, v in pairs)
    return f'<div class="kv" id="settings">{items}</div>'


def _stage_rows(latency: dict[str, Any]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for stage in STAGES:
        stats = latency.get(stage)
        if stats is not None:
            rows.append((esc(STAGE_LABELS[stage]), str(stats.count), ms(stats.p50), ms(stats.p95), ms(stats.p99), ms(stats.max)))
    return rows


def stage_table(latency: dict[str, Any]) -> str:
    """P50/P95/P99 per stage as numbers."""
    return table(("stage", "#n", "#P50 ms", "#P95 ms", "#P99 ms", "#max ms"), _stage_rows(latency))


def phases_html(report: Report) -> str:
    """Each phase in order, then the concurrency phase, the long-answer probes and the health checks."""
    out = []
    if report.phases:
        rows = [
            (
                esc(p.name), f"{p.wall_s:.1f}", "" if p.client_cpu_s is None else f"{p.client_cpu_s:.2f}",
                str(p.requests), str(p.sessions),
                compact({k: v for k, v in p.notes.items() if k not in ("long_text", "llm_stream")}) if p.notes else "",
            )
            for p in report.phases
        ]  # fmt: skip
        out.append(table(("phase", "#wall s", "#client CPU s", "#requests", "#sessions", "notes"), rows, ' id="phases"'))
    out.append("<h3>Concurrency phase</h3>")
    sentence = concurrency_sentence(report)
    if sentence and report.concurrency is not None:
        out.append(f"<p>{esc(sentence)}.</p>" + stage_table(report.concurrency.level.latency))
    else:
        out.append("<p>Not run.</p>")
    out.append("<h3>Probes</h3>")
    answers = answers_sentence(report)
    probes = next((p for p in report.phases if p.name == "probes"), None)
    out.append(f"<p>{esc(answers)}.</p>" if answers else "")
    out.append("<p>Not run.</p>" if probes is None else "<p>Conformance probes ran; what they found is under Findings.</p>")
    out.append("<h3>Health checks</h3>")
    health = health_sentence(report)
    if health is None:
        out.append("<p>None made.</p>")
    else:
        checks: list[tuple[str, ...]] = [
            (
                esc(c.role),
                f"{c.at_s:.1f}",
                esc(c.phase),
                esc(c.reason),
                str(c.in_flight),
                ms(c.latency_ms),
                esc(c.error or "", 200),
            )
            for c in report.health_checks[:MAX_HEALTH_ROWS]
        ]
        more = len(report.health_checks) - MAX_HEALTH_ROWS
        out.append(f"<p>{esc(health)}.</p>")
        out.append(table(("server", "#at s", "phase", "reason", "#in flight", "#ms", "error"), checks))
        out.append(f'<p class="muted">and {more} more</p>' if more > 0 else "")
    return "".join(out)


def negatives_html(report: Report, budget: AudioBudget) -> str:
    """The speech-free clips: what the STT server heard in each (nothing, ideally)."""
    if not report.negatives:
        return "<p>No speech-free clips were sent.</p>"
    rows = []
    for n in report.negatives:
        heard = (n.transcript or "").strip()
        text = "<i>error</i>" if n.transcript is None else (esc(heard, 500) if heard else '<span class="muted">(nothing)</span>')
        rows.append(
            (
                esc(n.id),
                text,
                mark(not any(f.severity == "error" for f in n.findings)),
                budget.player(report.inputs.get(n.id), "in"),
            )
        )
    return table(("clip", "transcript", "result", "audio"), rows, ' id="negatives"')

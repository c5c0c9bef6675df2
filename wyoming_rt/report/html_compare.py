"""A comparison as one self-contained HTML page: two runs side by side (``compare BASE NEW
--html PATH``): who ran what, the summary figures, P50/P95/P99 per stage, a latency CDF of
both, each server's peak memory and CPU per request, each utterance's WER and round trip, and
the rules broken or fixed. It reads only the `Comparison` and the two `Report`s."""

from __future__ import annotations

from pathlib import Path

from wyoming_rt.records.version import __version__
from wyoming_rt.report.compare import Change, Comparison, Margins
from wyoming_rt.report.html import page, rule_link
from wyoming_rt.report.html_charts import cdf_chart
from wyoming_rt.report.html_parts import compact, esc, finite, mark, ms, rate, table
from wyoming_rt.report.html_sections import programs
from wyoming_rt.report.model import STAGE_LABELS, STAGES, Report, UtteranceReport

_VERDICT_CLASS = {"regression": "fail", "improvement": "pass", "same": "same"}
NOISE_MS = Margins().latency_floor_ms
"""A change in an utterance's round trip smaller than this is not coloured (timer noise)."""
MAX_LISTED_IDS = 50
_NUMERIC = (False, False, False, True, True, True, True, True, False)
"""Which columns of the utterance table hold numbers."""


def _who(report: Report) -> list[str]:
    servers = "<br>".join(
        f"{esc(role)} <code>{esc(s.uri, 200)}</code>: " + ("; ".join(programs(s.info)) or "no info")
        for role, s in report.servers.items()
    )
    s = report.summary
    return [
        mark(report.passed), esc(report.created or "-"), servers or "-", esc(report.settings.get("corpus", "-"), 200),
        f"{s.utterances - s.failed} of {s.utterances}", rate(s.score.wer),
    ]  # fmt: skip


def _side_by_side(base: Report, new: Report) -> str:
    labels = ("verdict", "created", "servers", "corpus", "utterances passed", "WER")
    rows = [(esc(label), b, n) for label, b, n in zip(labels, _who(base), _who(new), strict=True)]
    return table(("", "base", "new"), rows, ' id="runs"')


def _differences(base: Report, new: Report) -> str:
    """What makes the two runs not alike: other utterances, other settings."""
    notes = []
    base_ids, new_ids = {u.id for u in base.utterances}, {u.id for u in new.utterances}
    if base_ids != new_ids:
        notes.append(
            f"The corpora differ: {len(base_ids)} utterances in the base, {len(new_ids)} in the new run, "
            f"{len(base_ids & new_ids)} in both. Figures over the whole corpus do not compare like with like."
        )
    keys = sorted(
        k for k in base.settings.keys() | new.settings.keys() if k != "created" and base.settings.get(k) != new.settings.get(k)
    )
    out = "".join(f'<p class="warning">{esc(n)}</p>' for n in notes)
    if keys:
        rows = [(esc(k), compact(base.settings.get(k, "-")), compact(new.settings.get(k, "-"))) for k in keys]
        out += '<p class="warning">Settings that differ:</p>' + table(("setting", "base", "new"), rows, ' id="settings-differ"')
    return out


def _change_cell(change: Change | None, spec: str) -> str:
    if change is None:
        return "-"
    base, new = (finite(v) for v in (change.base, change.new))
    shown = " → ".join("-" if v is None else format(v, spec) for v in (base, new))
    delta = ""
    if base is not None and new is not None:
        delta = f" ({new - base:+{spec}})" if not base else f" ({new - base:+{spec}}, {100 * (new - base) / base:+.0f} %)"
    return f'<span class="{_VERDICT_CLASS.get(change.verdict, "")}" title="{esc(change.verdict)}">{shown}{delta}</span>'


def _figures(changes: dict[str, Change]) -> str:
    rows = []
    for metric, label in (("wer", "WER"), ("back_wer", "back WER"), ("failed", "utterances failed")):
        change = changes.get(metric)
        if change is not None:
            rows.append((esc(label), _change_cell(change, ".3g"), esc(change.verdict)))
    return table(("figure", "base → new (change)", "verdict"), rows, ' id="figures"')


def _stages(changes: dict[str, Change]) -> str:
    rows = []
    for stage in STAGES:
        cells = [changes.get(f"{stage}.{pick}_ms") for pick in ("p50", "p95", "p99")]
        if all(c is None or (c.base is None and c.new is None) for c in cells):
            continue
        worst = next((v for v in ("regression", "improvement") if any(c and c.verdict == v for c in cells)), "same")
        rows.append(
            (
                esc(STAGE_LABELS[stage]),
                *(_change_cell(c, ".0f") for c in cells),
                f'<span class="{_VERDICT_CLASS[worst]}">{worst}</span>',
            )
        )
    return table(("stage", "P50 ms base → new", "P95 ms base → new", "P99 ms base → new", "verdict"), rows, ' id="stages"')


_COST_FIGURES = (("rss_peak_mb", "peak RSS MB", ".0f"), ("cpu_per_request_s", "CPU s / request, latency phase", ".3g"))


def _server_cost(changes: dict[str, Change], base: Report, new: Report) -> str:
    """Each server's peak memory and CPU per request, base → new, where both runs measured them."""
    rows = []
    for role in sorted(base.resources.keys() | new.resources.keys()):
        for metric, label, spec in _COST_FIGURES:
            change = changes.get(f"{role}.{metric}")
            if change is not None:
                rows.append((esc(role), esc(label), _change_cell(change, spec), esc(change.verdict)))
    if rows:
        return "<h2>Server cost</h2>" + table(("server", "figure", "base → new (change)", "verdict"), rows, ' id="server-cost"')
    if base.resources or new.resources:
        return "<h2>Server cost</h2><p>Measured in one of the runs only: nothing to compare.</p>"
    return ""


def _cdf(base: Report, new: Report) -> str:
    def values(report: Report, stage: str) -> list[float]:
        return [v for u in report.utterances if (v := u.latency_ms.get(stage)) is not None]

    return cdf_chart(
        [
            ("base: round trip", "#b8a6cf", values(base, "round_trip")), ("new: round trip", "#7f5ea8", values(new, "round_trip")),
            ("base: STT", "#9ecae9", values(base, "stt")), ("new: STT", "#4c78a8", values(new, "stt")),
        ],
        chart_id="compare-cdf",
    )  # fmt: skip


def _utterance_row(b: UtteranceReport, n: UtteranceReport) -> str:
    worse = (b.passed and not n.passed) or ((finite(n.wer) or 0.0) > (finite(b.wer) or 0.0))
    rt_b, rt_n = finite(b.latency_ms.get("round_trip")), finite(n.latency_ms.get("round_trip"))
    delta = "-"
    if rt_b is not None and rt_n is not None:
        tone = "" if abs(rt_n - rt_b) < NOISE_MS else ("fail" if rt_n > rt_b else "pass")
        delta = f'<span class="{tone}">{rt_n - rt_b:+.0f}</span>'
    cells = (
        esc(b.id, 200), mark(b.passed), mark(n.passed), rate(b.wer, 2), rate(n.wer, 2), ms(rt_b), ms(rt_n), delta,
        esc((n.transcript or "-").strip(), 300) if n.transcript != b.transcript else '<span class="muted">same</span>',
    )  # fmt: skip
    tds = "".join(f'<td class="num">{c}</td>' if num else f"<td>{c}</td>" for c, num in zip(cells, _NUMERIC, strict=True))
    return f'<tr class="{"failing" if worse else ""}">{tds}</tr>'


def _utterances(base: Report, new: Report) -> str:
    old = {u.id: u for u in base.utterances}
    both = [(old[u.id], u) for u in new.utterances if u.id in old]
    heads = (
        "utterance",
        "base",
        "new",
        "WER base",
        "WER new",
        "round trip ms base",
        "round trip ms new",
        "change ms",
        "new transcript",
    )
    head = "".join(
        f'<th class="num">{esc(h)}</th>' if num else f"<th>{esc(h)}</th>" for h, num in zip(heads, _NUMERIC, strict=True)
    )
    out = f'<table id="compare-utterances"><thead><tr>{head}</tr></thead><tbody>{"".join(_utterance_row(b, n) for b, n in both)}</tbody></table>'
    for label, ids in (
        ("Only in the base", [u.id for u in base.utterances if u.id not in {u.id for u in new.utterances}]),
        ("Only in the new run", [u.id for u in new.utterances if u.id not in old]),
    ):
        if ids:
            more = f" and {len(ids) - MAX_LISTED_IDS} more" if len(ids) > MAX_LISTED_IDS else ""
            out += f"<p>{label} ({len(ids)}): {esc(', '.join(ids[:MAX_LISTED_IDS]))}{more}</p>"
    return out


def _rules(comparison: Comparison) -> str:
    new = ", ".join(rule_link(r) for r in comparison.new_rules) or "none"
    fixed = ", ".join(rule_link(r) for r in comparison.fixed_rules) or "none"
    return f'<p id="new-rules">Error rules the new run breaks and the base did not: <span class="fail">{new}</span></p>' + (
        f'<p id="fixed-rules">Fixed (broken in the base, not in the new run): <span class="pass">{fixed}</span></p>'
    )


def compare_html(comparison: Comparison, base: Report, new: Report) -> str:
    """The whole comparison page."""
    changes = {c.metric: c for c in comparison.changes}
    verdict = (
        '<span class="verdict fail">REGRESSION</span>'
        if comparison.regressed
        else '<span class="verdict pass">no regression</span>'
    )
    body = [
        f"<h1>wyoming-rt compare: {verdict}</h1>",
        f'<p class="muted">Made by wyoming-rt {esc(__version__)}. A figure regresses when it grows beyond the margins '
        "<code>compare</code> was given; colours: red worse, green better.</p>",
        _differences(base, new),
        "<h2>The two runs</h2>", _side_by_side(base, new),
        "<h2>Rules</h2>", _rules(comparison),
        "<h2>Figures</h2>", _figures(changes),
        "<h2>Latency per stage</h2>", _stages(changes), _cdf(base, new),
        _server_cost(changes, base, new),
        "<h2>Utterances</h2>", _utterances(base, new),
    ]  # fmt: skip
    return page(f"wyoming-rt compare: {'REGRESSION' if comparison.regressed else 'no regression'}", body)


def write_compare_html(comparison: Comparison, base: Report, new: Report, path: Path) -> None:
    """Write `compare_html` to ``path`` (its directory made when missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(compare_html(comparison, base, new), encoding="utf-8")

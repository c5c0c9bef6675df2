"""What a server cost in every report (console, Markdown, HTML) and in ``compare``: the figures
from `Report.resources`, a line for a server that was not measured, and nothing at all (the
report as it was) when no server was sampled."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

from tests.report_schema import assert_valid_report
from tests.resource_fixtures import PHASE_STARTS, resources, stt_resources, tts_resources, unavailable
from tests.test_compare import report
from tests.test_html_report import assert_self_contained, rows_of
from wyoming_rt.cli import main
from wyoming_rt.records.resources import ServerResources
from wyoming_rt.report.compare import Margins, compare, differences
from wyoming_rt.report.console import render_comparison, render_report
from wyoming_rt.report.html import report_html
from wyoming_rt.report.html_compare import compare_html
from wyoming_rt.report.html_sections import server_cost_html
from wyoming_rt.report.markdown import report_markdown
from wyoming_rt.report.model import Report

REMOTE = "tcp://192.168.1.20:10200 is not on this machine"


def costly(**roles: ServerResources) -> Report:
    """A small report whose servers cost what ``roles`` say."""
    return replace(report(0.05, 1000), resources=dict(roles))


def console_lines(rendered: Report, width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    render_report(rendered, console)
    return [line.rstrip() for line in console.export_text().splitlines()]


# --- console -------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [80, 120])
def test_the_console_shows_each_server_s_cost_and_why_one_was_not_measured(width: int) -> None:
    lines = console_lines(costly(stt=stt_resources(), tts=unavailable("tts", REMOTE)), width)
    title = lines.index("Server cost")
    table = [line for line in lines[title:] if line.startswith(("│", "┃"))]
    stt = [line for line in table if line.startswith("│ stt")]
    assert len(stt) == 1, table
    # idle and peak resident memory, growth, CPU s per request and per audio second (12.3 / 38, 12.3 / 95.2), 12.3 / 30 s
    cells = [cell.strip() for cell in stt[0].split("│")[1:-1]]
    assert cells == ["stt", "started,", "180", "420", "+12.5", "0.324", "0.129", "41"]
    second = table[table.index(stt[0]) + 1]
    more = [c.strip() for c in second.split("│")[1:-1]]
    assert (more[1], more[4]) == ("pid 4242", "(96 req)")
    assert not any(line.startswith("│ tts") for line in table)
    assert f"tts: not measured ({REMOTE})" in lines
    assert all(len(line) <= width for line in lines) and all(line.endswith(("│", "┃")) for line in table)


def test_the_console_without_resources_prints_what_it_printed_before() -> None:
    with_cost = console_lines(costly(stt=stt_resources(), tts=unavailable("tts", REMOTE)), 120)
    without = console_lines(costly(), 120)
    assert "Server cost" not in without and not any("not measured" in line for line in without)
    start, end = with_cost.index("Server cost"), next(i for i, line in enumerate(with_cost) if line.startswith("WER "))
    assert with_cost[:start] + with_cost[end:] == without


def test_a_server_measured_without_a_latency_phase_shows_its_memory_and_dashes_for_cpu() -> None:
    only_warm_up = replace(tts_resources(), phases=tts_resources().phases[:1])
    lines = console_lines(costly(tts=only_warm_up), 120)
    row = next(line for line in lines if line.startswith("│ tts"))
    assert [c.strip() for c in row.split("│")[1:-1]] == ["tts", "port,", "120", "240", "+1.0", "-", "-", "-"]


def test_what_a_report_says_is_shown_as_text_not_as_console_markup() -> None:
    odd = replace(stt_resources(), role="stt", source="[red]container[/red]", pid=None)
    lines = console_lines(costly(stt=odd, tts=unavailable("tts", "[bold]gone[/bold]")), 120)
    assert any("[red]container[/red]" in line for line in lines) and "tts: not measured ([bold]gone[/bold])" in lines


# --- Markdown ------------------------------------------------------------------------------------


def test_markdown_has_the_cost_table_and_the_unmeasured_server() -> None:
    text = report_markdown(costly(stt=stt_resources(), tts=unavailable("tts", REMOTE)))
    lines = text.splitlines()
    head = lines.index("| role | source | idle RSS MB | peak RSS MB | growth MB | CPU s / req | CPU s / audio s | CPU % |")
    assert lines[head + 1] == "|---|---|---:|---:|---:|---:|---:|---:|"
    assert lines[head + 2] == "| stt | started, pid 4242 | 180 | 420 | +12.5 (96 req) | 0.324 | 0.129 | 41 |"
    assert f"- tts: not measured ({REMOTE})" in lines
    assert lines.index("### Server cost") < head


def test_markdown_without_resources_is_what_it_was() -> None:
    with_cost = report_markdown(costly(**resources()))
    without = report_markdown(costly())
    assert "Server cost" not in without and "RSS" not in without
    assert with_cost.endswith("\n") and "### Findings" not in with_cost  # the section is the last one
    assert with_cost[: with_cost.index("\n\n### Server cost")] + "\n" == without


# --- HTML ----------------------------------------------------------------------------------------


def svg_of(page: str, chart_id: str) -> ET.Element:
    """The chart, parsed as XML (so it is well formed)."""
    start = page.index(f'<svg id="{chart_id}"')
    return ET.fromstring(page[start : page.index("</svg>", start) + len("</svg>")])


def test_html_has_the_section_the_table_and_a_chart_per_measured_server() -> None:
    shown = costly(**resources(), x=unavailable("x", REMOTE))
    page = report_html(shown)
    assert_self_contained(page)
    assert page.index("<h2>Latency per stage</h2>") < page.index("<h2>Server cost</h2>") < page.index("<h2>Utterances")
    rows = rows_of(page, "server-cost")
    assert len(rows) == 2
    cells = re.findall(r"<td[^>]*>(.*?)</td>", rows[0])
    assert cells == ["stt", "started, pid 4242", "180", "420", "+12.5 (96 req)", "0.324", "0.129", "41"]
    assert f"<p>x: not measured ({REMOTE})</p>" in page
    for role, r in resources().items():
        svg = svg_of(page, f"cost-{role}")
        texts = ["".join(t.itertext()) for t in svg.iter("text")]
        assert [name for name, _ in PHASE_STARTS] == [t for t in texts if t in dict(PHASE_STARTS)]
        assert {"resident memory, MB", "CPU, % of one core", "s since the run started"} <= set(texts)
        lines = list(svg.iter("polyline"))
        assert len(lines) == 2
        assert all(len(line.get("points", "").split()) == len(r.timeline) for line in lines)
        dashed = [line for line in svg.iter("line") if line.get("stroke-dasharray") == "3 3"]
        assert len(dashed) == len(PHASE_STARTS)
    assert 'id="cost-x"' not in page
    assert_valid_report(json.loads(shown.to_json()))


def test_the_chart_draws_the_memory_line_where_the_samples_are() -> None:
    """The peak sample is the highest point of the memory line, the idle one the lowest."""
    r = stt_resources()
    svg = svg_of(report_html(costly(stt=r)), "cost-stt")
    memory = next(iter(svg.iter("polyline")))
    ys = [float(point.split(",")[1]) for point in memory.get("points", "").split()]
    rss = [s.rss_mb for s in r.timeline]
    assert ys[rss.index(max(rss))] == min(ys) and ys[rss.index(min(rss))] == max(ys)


def test_html_without_resources_is_the_page_it_was() -> None:
    with_cost = costly(**resources())
    without = report_html(costly())
    assert "Server cost" not in without and "cost-stt" not in without
    section = "<h2>Server cost</h2>\n" + server_cost_html(with_cost) + "\n"
    assert report_html(with_cost).replace(section, "") == without


# --- compare -------------------------------------------------------------------------------------


def scaled(r: ServerResources, rss: float = 1.0, cpu: float = 1.0) -> ServerResources:
    """The same server with every phase's peak memory times ``rss`` and its CPU times ``cpu``."""
    phases = [replace(p, rss_peak_mb=p.rss_peak_mb * rss, cpu_s=p.cpu_s * cpu) for p in r.phases]
    return replace(r, phases=phases)


def verdicts(base: Report, new: Report, margins: Margins | None = None) -> dict[str, str]:
    return {c.metric: c.verdict for c in compare(base, new, margins).changes}


def test_a_60_percent_memory_regression_is_flagged_and_a_5_percent_one_is_not() -> None:
    base = costly(**resources())
    worse = verdicts(base, costly(stt=scaled(stt_resources(), rss=1.6), tts=tts_resources()))
    assert worse["stt.rss_peak_mb"] == "regression" and worse["tts.rss_peak_mb"] == "same"
    assert compare(base, costly(stt=scaled(stt_resources(), rss=1.6), tts=tts_resources())).regressed
    slightly = costly(stt=scaled(stt_resources(), rss=1.05), tts=tts_resources())
    assert verdicts(base, slightly)["stt.rss_peak_mb"] == "same" and not compare(base, slightly).regressed


def test_a_small_server_s_memory_must_grow_50_mb_to_regress() -> None:
    """+40 % of 100 MB is 40 MB: under the floor; +60 % is 60 MB: over it."""
    small = ServerResources("stt", "pid", 1, phases=[replace(stt_resources().phases[1], rss_peak_mb=100.0)])
    assert verdicts(costly(stt=small), costly(stt=scaled(small, rss=1.4)))["stt.rss_peak_mb"] == "same"
    assert verdicts(costly(stt=small), costly(stt=scaled(small, rss=1.6)))["stt.rss_peak_mb"] == "regression"


def test_cpu_per_request_in_the_latency_phase_regresses_beyond_its_margin() -> None:
    """TTS: 6.1 CPU-s for 38 requests is 0.161 s each; +30 % is over the 20 % margin, +10 % is not."""
    base = costly(**resources())

    def tts_cpu(factor: float, margins: Margins | None = None) -> str:
        new = costly(stt=stt_resources(), tts=scaled(tts_resources(), cpu=factor))
        return verdicts(base, new, margins)["tts.cpu_per_request_s"]

    assert tts_cpu(1.3) == "regression" and tts_cpu(1.1) == "same" and tts_cpu(0.5) == "improvement"
    assert tts_cpu(1.3, Margins(cpu=0.5)) == "same"


@pytest.mark.parametrize(
    ("base", "new"),
    [
        (costly(**resources()), costly()),
        (costly(), costly(**resources())),
        (costly(**resources()), costly(stt=unavailable("stt"), tts=unavailable("tts"))),
    ],
)
def test_a_figure_one_report_lacks_is_skipped(base: Report, new: Report) -> None:
    comparison = compare(base, new)
    assert not any(c.metric.startswith(("stt.rss", "stt.cpu", "tts.rss", "tts.cpu")) for c in comparison.changes)
    assert not comparison.regressed and {c.verdict for c in comparison.changes} == {"same"}


def test_cli_margins_and_the_console_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base_path, new_path = tmp_path / "base.json", tmp_path / "new.json"
    base_path.write_text(costly(**resources()).to_json())
    new_path.write_text(costly(stt=scaled(stt_resources(), rss=1.6), tts=scaled(tts_resources(), cpu=1.3)).to_json())
    assert main(["compare", str(base_path), str(new_path)]) == 1
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "stt.rss_peak_mb" in line)
    assert [c.strip() for c in row.split("│")[1:-1]] == ["stt.rss_peak_mb", "420", "672", "regression"]
    assert "tts.cpu_per_request_s" in out and "REGRESSION" in out
    assert main(["compare", str(base_path), str(new_path), "--rss-margin", "0.7"]) == 1  # the CPU still regressed
    capsys.readouterr()
    assert main(["compare", str(base_path), str(new_path), "--rss-margin", "0.7", "--cpu-margin", "0.4"]) == 0
    assert "no regression" in capsys.readouterr().out


def test_a_cost_measured_another_way_is_named_among_the_differences() -> None:
    container = replace(stt_resources(), source="container", pid=None)
    assert differences(costly(**resources()), costly(stt=container, tts=tts_resources())).settings == [
        "stt cost measured by started -> container"
    ]
    assert differences(costly(**resources()), costly(**resources())).settings == []


def test_compare_html_shows_each_server_s_cost_base_to_new() -> None:
    base, new = costly(**resources()), costly(stt=scaled(stt_resources(), rss=1.6), tts=tts_resources())
    page = compare_html(compare(base, new), base, new)
    assert_self_contained(page)
    rows = rows_of(page, "server-cost")
    memory = next(row for row in rows if "stt" in row and "peak RSS MB" in row)
    assert "420 → 672 (+252, +60 %)" in memory and 'class="fail"' in memory and "regression" in memory
    assert any("tts" in row and "CPU s / request" in row and "same" in row for row in rows)
    assert len(rows) == 4


def test_compare_html_without_resources_has_no_cost_section_and_says_when_only_one_run_has_them() -> None:
    plain = costly()
    assert "Server cost" not in compare_html(compare(plain, plain), plain, plain)
    measured = costly(**resources())
    page = compare_html(compare(measured, plain), measured, plain)
    assert "<h2>Server cost</h2><p>Measured in one of the runs only: nothing to compare.</p>" in page


def test_the_console_comparison_without_resources_is_unchanged() -> None:
    console = Console(width=120, record=True, color_system=None)
    render_comparison(compare(costly(), costly()), console)
    text = console.export_text()
    assert "_mb" not in text and "No figure changed beyond its margin (21 compared)" in text

"""What a server cost in the console and Markdown reports: the figures from `Report.resources`, a
line for a server that was not measured, and nothing at all (the report as it was) when no
server was sampled."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rich.console import Console

from tests.resource_fixtures import resources, stt_resources, tts_resources, unavailable
from tests.test_compare import report
from wyoming_rt.records.resources import ServerResources
from wyoming_rt.report.console import render_report
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


def scaled(r: ServerResources, rss: float = 1.0, cpu: float = 1.0) -> ServerResources:
    """The same server with every phase's peak memory times ``rss`` and its CPU times ``cpu``."""
    phases = [replace(p, rss_peak_mb=p.rss_peak_mb * rss, cpu_s=p.cpu_s * cpu) for p in r.phases]
    return replace(r, phases=phases)


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

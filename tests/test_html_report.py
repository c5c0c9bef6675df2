"""The HTML report opens in headless Chromium with what a server author reads first: the proof
is the DOM after its script ran (gates, servers, a marked wrong word, two players for one
utterance, the CDF chart, the table's filter and sort) and a screenshot, whose pixels must show
each chart colour and the players."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import anyio
import pytest
from anyio.abc import SocketStream

from tests.fake_servers import TEXT, FakeStt, FakeTts, fake_pair, send_transcript, speech_corpus
from tests.html_fixtures import as_returned, bundled_report, colour_pixels, dump_dom, screenshot
from tests.report_schema import assert_valid_report
from wyoming_rt.cli import main
from wyoming_rt.cli import validate_run as validate_command
from wyoming_rt.corpus import load_bundled_corpus
from wyoming_rt.report.html import RULES_DOC_URL, report_html, write_html
from wyoming_rt.report.html_audio import LEFT_OUT, encode, has_opus
from wyoming_rt.report.html_diff import word_diff
from wyoming_rt.report.model import Report
from wyoming_rt.run.validate import ValidateOptions, validate

WRONG = " ".join([*TEXT.split()[:-1], "Texas"])  # "What is the weather in Texas": one word wrong
MAX_BUNDLED_PAGE_BYTES = 1_500_000


def run_report() -> Report:
    """A real run against scripted servers whose STT gets the last word wrong."""

    async def one_word_wrong(stream: SocketStream, audio: bytes) -> None:
        await send_transcript(stream, WRONG if audio else "")

    async def run() -> Report:
        async with fake_pair(FakeStt(after_audio_stop=one_word_wrong), FakeTts()) as (stt, tts):
            with anyio.fail_after(60):
                return await validate(stt, tts, speech_corpus(), ValidateOptions(timeout_s=5, probes=False))

    return anyio.run(run)


def rows_of(dom: str, table_id: str = "utterances") -> list[str]:
    """Each body row of a table, as Chromium serialised it."""
    table = dom[dom.index(f'<table id="{table_id}"') :]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    return re.findall(r"<tr\b.*?</tr>", body, re.S)


def assert_self_contained(page: str) -> None:
    """Nothing is fetched: every source is a data URI, no style sheet or script comes from elsewhere,
    and the only addresses are links to the rule catalogue."""
    assert all(src.startswith("data:") for src in re.findall(r'src="([^"]*)"', page))
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert page.count("<script") == 1 and "<script>" in page  # the inline one
    rest = re.sub(r'<a href="https://[^"]*"', "", page).replace(RULES_DOC_URL, "")
    assert "http" not in rest.replace("http-equiv", "")


def test_the_report_renders_with_gates_servers_diff_players_and_charts(tmp_path: Path) -> None:
    report = run_report()
    assert_valid_report(json.loads(report.to_json()))
    page = tmp_path / "report.html"
    write_html(report, page)
    text = page.read_text()
    assert_self_contained(text)
    assert 'id="percentile-chart"' in text and 'id="distribution-chart"' in text
    dom = dump_dom(tmp_path, page.as_uri())
    assert 'data-js="ready"' in dom  # the script ran to its end: no error on the way
    gates = dom[dom.index('<table id="gates"') :]
    assert "max_wer" in gates[: gates.index("</table>")] and "FAIL" in gates[: gates.index("</table>")]
    servers = dom[dom.index('<table id="servers"') :]
    servers = servers[: servers.index("</table>")]
    assert "fake-stt" in servers and "fake-tts" in servers and report.servers["stt"].uri in servers
    assert report.created and report.created in dom and 'id="settings"' in dom
    rows = rows_of(dom)
    assert len(rows) == 2 and all('class="failing"' in row for row in rows)  # WER 0.17 over the 0.15 gate
    assert "<del>kansas</del><ins>texas</ins>" in rows[0]  # the wrong word, marked
    players = re.findall(r'<audio controls[^>]*src="data:audio/(?:ogg|flac);base64,', rows[0])
    assert len(players) == 2  # the audio sent and the audio returned
    cdf = dom[dom.index('<svg id="cdf-chart"') :]
    assert cdf[: cdf.index("</svg>")].count("<path") == 6  # one line per stage, each measured
    image = screenshot(tmp_path, page.as_uri(), 1280, 4800)  # tall enough for the rows below the server cost
    # bars of the charts (P50 and histogram share the blue), P95 orange, P99 red
    assert colour_pixels(image, (0x4C, 0x78, 0xA8)) > 2000
    assert colour_pixels(image, (0xF5, 0x85, 0x18)) > 500
    assert colour_pixels(image, (0xE4, 0x57, 0x56)) > 500
    assert colour_pixels(image, (0xFF, 0xF5, 0xF5), tolerance=2) > 2 * 800 * 30  # the failing rows' red tint
    # Chromium draws each <audio controls> as a light grey panel
    assert colour_pixels(image, (0xF1, 0xF3, 0xF4), tolerance=3) > 2 * 200 * 20


def test_the_table_filters_and_sorts_from_the_address(tmp_path: Path) -> None:
    report = bundled_report()
    failing = [u for u in report.utterances if not u.passed]
    page = tmp_path / "report.html"
    write_html(report, page, audio="none")
    dom = dump_dom(tmp_path, page.as_uri() + "#failing=1&sort=round_trip&dir=desc")
    assert 'data-js="ready"' in dom
    shown = [row for row in rows_of(dom) if "hidden" not in row[: row.index(">")]]
    assert len(shown) == len(failing) and 0 < len(failing) < len(report.utterances)
    assert f'<span id="shown">{len(failing)}</span>' in dom and '<th data-key="round_trip" class="num" data-dir="desc">' in dom
    expected = sorted(failing, key=lambda u: u.latency_ms["round_trip"] or 0, reverse=True)
    assert [re.search(r'<td class="id">([^<]*)</td>', row).group(1) for row in shown] == [u.id for u in expected]  # type: ignore[union-attr]
    dom = dump_dom(tmp_path, page.as_uri() + "#filter=garage")
    shown = [row for row in rows_of(dom) if "hidden" not in row[: row.index(">")]]
    assert shown and all("garage" in row.lower() for row in shown) and len(shown) < len(report.utterances)


def test_the_bundled_run_fits_in_one_and_a_half_megabytes_with_all_its_audio(tmp_path: Path) -> None:
    report = bundled_report()
    page = tmp_path / "bundled.html"
    write_html(report, page)
    text = page.read_text()
    assert len(text.encode()) < MAX_BUNDLED_PAGE_BYTES
    assert LEFT_OUT not in text
    assert text.count("<audio controls") == 2 * len(report.utterances) + len(report.negatives)
    assert 'id="negatives"' in text and "You" in text  # the speech-free clips and what was heard in them


def test_over_the_budget_audio_is_left_out_failing_utterances_first() -> None:
    report = replace(bundled_report(), negatives=[])
    page = report_html(report, audio_budget_bytes=60_000)
    rows = rows_of(page)
    assert LEFT_OUT in page
    failing = [row for row in rows if 'class="failing"' in row]
    assert failing and all(row.count("<audio controls") == 2 for row in failing[:2])
    assert any(LEFT_OUT in row for row in rows if 'class="passing"' in row)


def test_html_audio_none_leaves_the_audio_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = bundled_report()

    class FinishedRun:
        """The run the command starts, already over: this test is about what the command writes."""

        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        async def execute(self) -> Report:
            return report

    monkeypatch.setattr(validate_command, "ValidationRun", FinishedRun)
    page = tmp_path / "r.html"
    args = ["validate", "--stt", "127.0.0.1:1", "--tts", "127.0.0.1:1", "--html", str(page), "--html-audio", "none", "--quiet"]
    assert main(args) == 1
    text = page.read_text()
    assert "<audio" not in text and "data:audio" not in text and "--html-audio none" in text
    assert 'id="utterances"' in text and len(text.encode()) < 300_000


def test_chromium_plays_the_compressed_audio(tmp_path: Path) -> None:
    """The encoded stream is one Chromium decodes, at the length it was sent."""
    sent = as_returned(next(iter(load_bundled_corpus())).audio)
    mime, data = encode(sent)
    assert mime == ("audio/ogg" if has_opus() else "audio/flac")
    page = tmp_path / "play.html"
    page.write_text(
        f'<!DOCTYPE html><html><body><audio id="a" preload="auto" src="data:{mime};base64,{base64.b64encode(data).decode()}"></audio>'
        '<script>const a = document.getElementById("a");'
        'a.addEventListener("loadedmetadata", () => { document.body.dataset.duration = a.duration.toFixed(2); });'
        'a.addEventListener("error", () => { document.body.dataset.duration = "error"; });</script></body></html>'
    )
    found = re.search(r'data-duration="([^"]*)"', dump_dom(tmp_path, page.as_uri()))
    assert found is not None and found.group(1) != "error"
    assert abs(float(found.group(1)) - sent.duration_s) < 0.1


def test_word_diff_marks_wrong_missing_and_extra_words() -> None:
    diff = word_diff("Turn on the kitchen lights.", "turn of the kitchen lights please")
    assert "<del>on</del><ins>of</ins>" in diff and "<ins>please</ins>" in diff and "<del>kitchen" not in diff
    assert "<del>lights</del>" in word_diff("Turn on the kitchen lights.", "turn on the kitchen")
    assert word_diff("", "hello").count("<ins>") == 1 and word_diff("hello there", "").count("<del>") == 2
    tagged = word_diff("x", "<b>bold")
    assert 'title="&lt;b&gt;bold"' in tagged and "<b>" not in tagged  # the text as written, escaped


def test_text_is_escaped() -> None:
    report = run_report()
    report.utterances[0].reference = "<script>alert(1)</script>"
    page = report_html(report)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<script") == 1  # the page's own


def test_the_time_stamp_is_in_the_json_and_optional() -> None:
    report = bundled_report()
    document = report.to_dict()
    assert datetime.fromisoformat(document["created"]).utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert Report.from_dict(document).created == report.created
    older = {k: v for k, v in document.items() if k != "created"}  # a report written before the field
    assert_valid_report(older)
    assert Report.from_dict(older).created is None


def test_a_report_read_back_from_json_says_once_that_it_holds_no_audio() -> None:
    report = bundled_report()
    page = report_html(Report.from_dict(report.to_dict()))
    assert page.count("holds no audio") == 1 and "<audio" not in page and "in: none" not in page
    assert len(rows_of(page)) == len(report.utterances)

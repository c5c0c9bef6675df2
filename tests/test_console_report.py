"""The console report at the widths people use (80 columns in a terminal, 120 in CI logs), and
an incomplete report in every writer."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from itertools import takewhile

import anyio
import pytest
from rich.console import Console

from tests.fake_servers import SPEECH, SPEECH_WITH_PAUSE, TEXT, FakeStt, fake_pair
from tests.report_schema import assert_valid_report
from tests.test_report_outputs import mishear_u0
from wyoming_rt.records.corpus import Corpus, Utterance
from wyoming_rt.report.console import render_report
from wyoming_rt.report.junit import report_junit
from wyoming_rt.report.markdown import report_markdown
from wyoming_rt.report.model import Report
from wyoming_rt.run.gates import Gates
from wyoming_rt.run.validate import ValidateOptions, validate

MISHEARD, HEARD = "02_living_room_lights_off_kal", "36_living_room_lights_off_slt"  # ids as long as the bundled ones


def run(stt: FakeStt, gates: Gates) -> Report:
    corpus = Corpus("fake", [Utterance(MISHEARD, TEXT, SPEECH), Utterance(HEARD, TEXT, SPEECH_WITH_PAUSE)])

    async def go() -> Report:
        async with fake_pair(stt) as (stt_endpoint, tts_endpoint):
            with anyio.fail_after(60):
                options = ValidateOptions(timeout_s=5, gates=gates, probes=False, concurrency=0)
                return await validate(stt_endpoint, tts_endpoint, corpus, options)

    return anyio.run(go)


@pytest.fixture(scope="module")
def misheard() -> Report:
    """One utterance misheard ("Boston"), failing the WER gate."""
    return run(FakeStt(after_audio_stop=mishear_u0), Gates(max_wer=0.05))


@pytest.fixture(scope="module")
def passing() -> Report:
    return run(FakeStt(), Gates())


def rendered(report: Report, width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    render_report(report, console)
    return console.export_text().splitlines()


def transcript_cell(lines: list[str], uid: str) -> list[str]:
    """The lines of ``uid``'s transcript cell (it wraps onto the rows whose id cell is empty)."""
    rows = [line for line in lines if line.startswith("│")]
    first = next(i for i, row in enumerate(rows) if uid[:12] in row)
    more = takewhile(lambda row: not row.split("│")[1].strip(), rows[first + 1 :])
    return [row.split("│")[2].strip() for row in [rows[first], *more]]


def test_at_80_columns_the_verdict_and_the_transcript_words_stay_whole(misheard: Report) -> None:
    lines = rendered(misheard, 80)
    assert all(len(line) <= 80 for line in lines)
    rows = [line for line in lines if line.startswith("│")]
    assert next(row for row in rows if MISHEARD[:12] in row).endswith("│ FAIL │")  # not "FA…"
    # the transcript column kept its width: whole words, on two lines
    assert transcript_cell(lines, MISHEARD) == ["What is the weather", "in Boston?"]
    assert any(HEARD[:12] in row and row.rstrip().endswith("│  ok  │") for row in rows)
    header = next(line for line in lines if line.startswith("┃ utterance"))
    assert "audio" not in header and "TTS 1st ms" not in header  # dropped first, by priority
    assert "STT ms" in header and "TTS ms" in header and "WER" in header


def test_at_120_columns_every_column_is_there(misheard: Report) -> None:
    lines = rendered(misheard, 120)
    header = next(line for line in lines if line.startswith("┃ utterance"))
    for column in ("transcript", "WER", "audio", "STT ms", "TTS 1st ms", "TTS ms"):
        assert f" {column} " in header
    assert " ".join(transcript_cell(lines, MISHEARD)) == "What is the weather in Boston?"
    assert lines[-1] == "Verdict: FAIL"


def test_an_incomplete_report_never_passes_and_every_writer_says_so(passing: Report) -> None:
    assert passing.passed and passing.to_dict()["incomplete"] is None
    reason = "interrupted during phase concurrency"
    report = replace(passing, incomplete=reason)
    assert not report.passed and not report.findings  # incomplete alone fails it
    document = json.loads(report.to_json())
    assert_valid_report(document)
    assert document["incomplete"] == reason and document["passed"] is False
    assert Report.from_dict(document).to_json() == report.to_json()
    lines = rendered(report, 80)
    assert lines[-1] == f"Verdict: INCOMPLETE ({reason})"
    assert f"INCOMPLETE: {reason}; the figures cover only the 2 round trip(s) that finished" in " ".join(" ".join(lines).split())
    markdown = report_markdown(report)
    assert markdown.startswith("## wyoming-rt: ❌ INCOMPLETE") and f"**INCOMPLETE**: {reason}" in markdown
    suite = ET.fromstring(report_junit(report)).find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    (failure,) = (case.find("failure") for case in suite if case.find("failure") is not None)
    assert failure is not None and failure.get("message") == f"INCOMPLETE: {reason}"


def test_a_report_written_before_incomplete_existed_reads_back_complete(passing: Report) -> None:
    document = passing.to_dict()
    del document["incomplete"]
    assert_valid_report(json.loads(json.dumps(document)))
    assert Report.from_dict(document).incomplete is None
    with pytest.raises(TypeError, match="incomplete"):
        Report.from_dict({**document, "incomplete": 3})

"""JUnit, Markdown and JSON outputs of one failing run (fake servers: one utterance misheard)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import anyio
import pytest
from anyio.abc import SocketStream

from tests.fake_servers import SPEECH, TEXT, FakeStt, fake_pair, send_transcript, speech_corpus
from tests.report_schema import assert_valid_report
from wyoming_rt.report.junit import report_junit, write_junit
from wyoming_rt.report.markdown import write_markdown
from wyoming_rt.report.model import REPORT_SCHEMA, Report
from wyoming_rt.run.gates import Gates
from wyoming_rt.run.validate import ValidateOptions, validate


async def mishear_u0(stream: SocketStream, audio: bytes) -> None:
    await send_transcript(stream, "What is the weather in Boston?" if audio == SPEECH.pcm else (TEXT if audio else ""))


@pytest.fixture
def failing_report() -> Report:
    async def run() -> Report:
        async with fake_pair(FakeStt(after_audio_stop=mishear_u0)) as (stt, tts):
            with anyio.fail_after(60):
                options = ValidateOptions(timeout_s=5, gates=Gates(max_wer=0.05), probes=False)
                return await validate(stt, tts, speech_corpus(), options)

    return anyio.run(run)


def test_junit_has_one_failing_case_per_failing_utterance(failing_report: Report, tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    write_junit(failing_report, path)
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = {(c.get("classname"), c.get("name")): c for c in suite.findall("testcase")}
    failing = {key for key, case in cases.items() if case.find("failure") is not None}
    assert failing == {("wyoming-rt.utterances", "u0"), ("wyoming-rt.checks", "gate")}
    assert ("wyoming-rt.utterances", "u1") in cases
    failure = cases[("wyoming-rt.utterances", "u0")].find("failure")
    assert (
        failure is not None and failure.get("type") == "gate.max-wer" and "utterance WER 0.167" in (failure.get("message") or "")
    )
    assert suite.get("tests") == str(len(cases)) and suite.get("failures") == "2"
    assert report_junit(failing_report).startswith('<?xml version="1.0" encoding="UTF-8"?>')


def test_markdown_goes_to_the_file_and_the_github_step_summary(
    failing_report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    step_summary = tmp_path / "step_summary.md"
    step_summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    written = write_markdown(failing_report, tmp_path / "summary.md")
    assert written == [tmp_path / "summary.md", step_summary]
    text = (tmp_path / "summary.md").read_text()
    assert text.startswith("## wyoming-rt: ❌ FAIL")
    assert "**1/2** utterances passed" in text and "`gate.max-wer`" in text and "| u0 |" in text
    assert step_summary.read_text() == "earlier step\n" + text


def test_json_is_versioned_and_round_trips(failing_report: Report) -> None:
    data = json.loads(failing_report.to_json())
    assert data["schema"] == REPORT_SCHEMA == "wyoming-rt/report/1"
    assert data["passed"] is False
    assert [u["id"] for u in data["utterances"] if not u["passed"]] == ["u0"]
    assert_valid_report(data)


def test_the_report_reads_back_into_the_same_document(failing_report: Report) -> None:
    document = failing_report.to_dict()
    assert Report.from_dict(document).to_dict() == document
    assert Report.from_dict(json.loads(failing_report.to_json())).to_json() == failing_report.to_json()
    loaded = Report.from_dict(document)
    assert loaded.passed is failing_report.passed and loaded.run_findings == failing_report.run_findings
    assert loaded.gate_results == failing_report.gate_results and loaded.audio == {}


def test_the_report_holds_the_audio_the_writers_need(failing_report: Report) -> None:
    assert sorted(failing_report.audio) == ["u0", "u1"] and all(a.pcm for a in failing_report.audio.values())
    assert "audio" not in failing_report.to_dict()

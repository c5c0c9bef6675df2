"""Report files stay valid whatever the servers sent: strict JSON, well-formed XML, writable
UTF-8, for lone surrogates, control characters and NaN (hypothesis over the strings)."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.report_schema import assert_valid_report
from wyoming_rt.checks.scoring import Score
from wyoming_rt.checks.stats import LatencyStats
from wyoming_rt.records.findings import Finding
from wyoming_rt.report.html import write_html
from wyoming_rt.report.junit import report_junit
from wyoming_rt.report.markdown import write_markdown
from wyoming_rt.report.model import Report, ServerReport, Summary, UtteranceReport
from wyoming_rt.report.safe_text import clean_text, json_safe, xml_text

HOSTILE = "\ud800 nul\x00 bell\x07 \ufffe end"


def hostile_report(text: str) -> Report:
    latency: dict[str, float | None] = {"stt": math.nan, "round_trip": math.inf}
    utterance = UtteranceReport(
        id=f"id {text}", reference="turn on the lights", transcript=text, score=Score(math.nan, 0.5, 0.5, 0.5),
        audio=None, latency_ms=latency, findings=[Finding("stt.invalid-event", "error", f"heard {text}", f"id {text}")],
    )  # fmt: skip
    summary = Summary(1, 1, Score(math.nan, None, None, None), {"stt": LatencyStats(1, math.nan, 1.0, 1.0, 1.0, math.inf)})
    servers = {"stt": ServerReport("stt", "tcp://127.0.0.1:1", {"asr": [{"name": text, "score": math.nan}]}, math.nan)}
    return Report(summary, [utterance], servers, [Finding("info.unparseable", "error", text)], {"corpus": text})


def strict_json(text: str) -> object:
    def refuse(constant: str) -> None:
        raise ValueError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_a_hostile_report_gives_strict_json_and_well_formed_xml(tmp_path: Path) -> None:
    report = hostile_report(HOSTILE)
    document = strict_json(report.to_json())
    assert isinstance(document, dict)
    assert document["utterances"][0]["latency_ms"]["stt"] is None and document["summary"]["latency_ms"]["stt"]["max"] is None
    assert "\ufffd nul\x00" in document["utterances"][0]["transcript"]  # JSON escapes NUL; only the surrogate goes
    assert_valid_report(document)
    root = ET.fromstring(report_junit(report))
    assert root.find(".//failure") is not None
    write_html(report, tmp_path / "r.html")
    assert "\ufffd" in (tmp_path / "r.html").read_text(encoding="utf-8")
    write_markdown(report, tmp_path / "r.md")
    assert (tmp_path / "r.md").read_text(encoding="utf-8")


@given(st.text())
def test_any_string_becomes_writable_json_and_xml(text: str) -> None:
    report = hostile_report(text)
    assert_valid_report(strict_json(report.to_json()))
    ET.fromstring(report_junit(report))
    clean_text(text).encode("utf-8")
    assert len(xml_text(text)) == len(text)  # one replacement character for each bad one, nothing dropped


@given(
    st.recursive(
        st.floats() | st.text() | st.integers() | st.none(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)
    )
)
def test_json_safe_takes_any_nesting(value: object) -> None:
    strict_json(json.dumps(json_safe(value), allow_nan=False))

"""The report as JUnit XML: one test case per utterance and per global check.

The shape GitHub (test reporters), GitLab (``artifacts:reports:junit``) and Jenkins (``junit``)
read: ``<testsuites>`` holding one ``<testsuite>``; each failing case has one ``<failure>``
whose message is its first error finding and whose text lists every finding. A report of a
run that stopped early (`Report.incomplete`) has one more case, ``wyoming-rt.run`` /
``complete``, failing with the reason ("INCOMPLETE: ...").
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from wyoming_rt.records.findings import Finding
from wyoming_rt.report.model import Report
from wyoming_rt.report.safe_text import xml_text

SUITE = "wyoming-rt"


def _case(suite: ET.Element, classname: str, name: str, findings: list[Finding], seconds: float | None = None) -> None:
    case = ET.SubElement(suite, "testcase", classname=classname, name=xml_text(name), time=f"{(seconds or 0):.3f}")
    errors = [f for f in findings if f.severity == "error"]
    lines = xml_text("\n".join(f"{f.severity} {f.rule}: {f.message}" for f in findings))
    if errors:
        failure = ET.SubElement(case, "failure", message=xml_text(f"{errors[0].rule}: {errors[0].message}"), type=errors[0].rule)
        failure.text = lines
    elif findings:
        ET.SubElement(case, "system-out").text = lines


def report_junit(report: Report) -> str:
    """The JUnit XML document for a report."""
    root = ET.Element("testsuites", name=SUITE)
    suite = ET.SubElement(root, "testsuite", name=SUITE)
    for utterance in report.utterances:
        seconds = (utterance.latency_ms.get("round_trip") or 0) / 1000
        _case(suite, f"{SUITE}.utterances", utterance.id, utterance.findings, seconds)
    for negative in report.negatives:
        _case(suite, f"{SUITE}.negatives", negative.id, negative.findings)
    by_check: dict[str, list[Finding]] = {}
    for f in report.run_findings:
        by_check.setdefault(f.rule.split(".")[0], []).append(f)
    for check in ("info", "probe", "framing", "stt", "tts", "corpus", "gate"):
        by_check.setdefault(check, [])
    for check, findings in sorted(by_check.items()):
        _case(suite, f"{SUITE}.checks", check, findings)
    if report.incomplete:  # a failing case of its own, so that no CI reads a cut-short run as green
        case = ET.SubElement(suite, "testcase", classname=f"{SUITE}.run", name="complete", time="0.000")
        failure = ET.SubElement(case, "failure", message=xml_text(f"INCOMPLETE: {report.incomplete}"), type="incomplete")
        failure.text = xml_text(
            f"The run stopped before its end ({report.incomplete}); the cases above cover only the "
            f"{len(report.utterances)} round trip(s) that finished."
        )
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    suite.set("time", f"{sum(float(c.get('time', 0)) for c in cases):.3f}")
    for key in ("tests", "failures", "errors", "time"):
        root.set(key, suite.get(key, "0"))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_junit(report), encoding="utf-8")

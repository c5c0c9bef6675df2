"""The composite action (action.yml) against wyoming-rt's reference servers: its steps run as
GitHub's runner runs them (tests/action_runner.py: each ``run`` in bash with the step's env, its
own GITHUB_OUTPUT and a GITHUB_STEP_SUMMARY), and the verdict, the outputs, the reports and the
job summary are what a workflow gets.

Two steps are not what they are on GitHub: setup-python (a ``uses:`` step) is skipped, the
``python`` on PATH being the one running these tests; and wyoming-rt is installed here already,
so the install step runs with ``package: none``, which checks the installed command and installs
nothing (tests/test_action_yaml.py checks what it installs otherwise).
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.action_runner import copy_utterances, python_first_path, run_action
from tests.report_schema import assert_valid_report
from wyoming_rt.endpoint import Endpoint

pytestmark = pytest.mark.integration


def test_the_action_passes_the_reference_servers(
    tmp_path: Path, wyoming_stt_endpoint: Endpoint, wyoming_tts_endpoint: Endpoint
) -> None:
    corpus = copy_utterances(tmp_path / "corpus", 2)
    workspace = tmp_path / "workspace"  # no pyproject.toml here: the gates are the defaults and args
    workspace.mkdir()
    summary_file = tmp_path / "step_summary.md"
    env = {**os.environ, "PATH": python_first_path(), "GITHUB_STEP_SUMMARY": str(summary_file)}
    run = run_action(
        {
            "stt": wyoming_stt_endpoint.uri,
            "tts": wyoming_tts_endpoint.uri,
            "corpus": str(corpus),
            "args": "--concurrency 0 --no-probes --no-long-text --max-failure-rate 0",
            "wait-timeout": "120",
            "package": "none",
        },
        cwd=workspace,
        env=env,
        work=tmp_path / "runner",
        timeout_s=900,
    )
    assert run.skipped == ["Set up Python"]
    assert [(s.name, s.returncode) for s in run.steps] == [
        ("Install wyoming-rt", 0),
        ("Wait for the servers", 0),
        ("Validate", 0),
        ("Verdict", 0),
    ], run.log
    waited = run.step("Wait for the servers").stdout
    assert f"{wyoming_stt_endpoint.uri} is up (asr" in waited and f"{wyoming_tts_endpoint.uri} is up (tts" in waited
    assert run.outputs == {
        "verdict": "pass",
        "exit-code": "0",
        "report": "wyoming-reports/report.json",
        "junit": "wyoming-reports/junit.xml",
        "html": "wyoming-reports/report.html",
        "markdown": "wyoming-reports/summary.md",
    }

    report = json.loads((workspace / run.outputs["report"]).read_text())
    assert_valid_report(report)
    assert report["passed"] is True
    assert [u["id"] for u in report["utterances"]] == sorted(p.stem for p in corpus.glob("*.wav"))
    assert {g["gate"] for g in report["gates"]} >= {"max_wer", "max_failure_rate"}
    suite = ET.parse(workspace / run.outputs["junit"]).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0" and int(suite.get("tests", "0")) >= 2
    assert (workspace / run.outputs["html"]).read_text().lstrip().lower().startswith("<!doctype html")
    summary = (workspace / run.outputs["markdown"]).read_text()
    assert summary.startswith("## wyoming-rt: ✅ PASS")
    assert "**2/2** utterances passed" in summary
    assert summary_file.read_text() == summary  # the job summary is validate's Markdown, once

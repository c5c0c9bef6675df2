"""The composite action's steps (action.yml, scripts/ci_action.sh) run as GitHub's runner runs
them (tests/action_runner.py) against the null server, whose transcripts name their request
instead of the words and whose answers are silence: a FAIL verdict and the ``fail`` input, the
``args`` input split as a shell splits words, a run that cannot happen, and a server that never
answers. The PASS against the reference servers: tests/integration/test_action.py.

wyoming-rt is already installed where the tests run, so the install step runs with
``package: none``: it checks the installed command and installs nothing.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from anyio.from_thread import start_blocking_portal

from tests.action_runner import ActionRun, copy_utterances, python_first_path, run_action
from tests.report_schema import assert_valid_report
from wyoming_rt.endpoint import free_tcp_port
from wyoming_rt.servers.null import run_null_server

STEPS = ["Install wyoming-rt", "Wait for the servers", "Validate", "Verdict"]
QUICK = "--concurrency 0 --no-probes --no-long-text --no-back-wer --no-negatives"


@pytest.fixture(scope="module")
def null_uri() -> Iterator[str]:
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(run_null_server()) as endpoint:
        yield endpoint.uri


def _run(tmp_path: Path, **inputs: str) -> ActionRun:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    env = {**os.environ, "PATH": python_first_path(), "GITHUB_STEP_SUMMARY": str(tmp_path / "step_summary.md")}
    return run_action({"package": "none", **inputs}, cwd=workspace, env=env, work=tmp_path / "runner", timeout_s=300)


def test_a_fail_verdict_sets_the_outputs_and_fails_the_step(tmp_path: Path, null_uri: str) -> None:
    corpus = copy_utterances(tmp_path / "corpus", 2)
    # quotes group words as in a shell: the rule reaches validate without them, so it is ignored
    run = _run(tmp_path, stt=null_uri, tts=null_uri, corpus=str(corpus), args=f"{QUICK} --ignore 'audio.no-speech'")
    assert [s.name for s in run.steps] == STEPS and run.skipped == ["Set up Python"]
    assert [s.returncode for s in run.steps] == [0, 0, 0, 1], run.log
    assert f"{null_uri} is up (asr, tts" in run.step("Wait for the servers").stdout
    assert run.outputs == {
        "verdict": "fail",
        "exit-code": "1",
        "report": "wyoming-reports/report.json",
        "junit": "wyoming-reports/junit.xml",
        "html": "wyoming-reports/report.html",
        "markdown": "wyoming-reports/summary.md",
    }
    assert "::error title=wyoming-rt::FAIL" in run.step("Verdict").stdout
    reports = tmp_path / "workspace" / "wyoming-reports"
    report = json.loads((reports / "report.json").read_text())
    assert_valid_report(report)
    assert report["passed"] is False and len(report["utterances"]) == 2
    assert {f["rule"] for f in report["ignored_findings"]} == {"audio.no-speech"}
    assert "audio.no-speech" not in {f["rule"] for f in report["findings"]}
    suite = ET.parse(reports / "junit.xml").getroot().find("testsuite")
    assert suite is not None and int(suite.get("failures", "0")) > 0
    summary = (reports / "summary.md").read_text()
    assert summary.startswith("## wyoming-rt: ❌ FAIL")
    assert (tmp_path / "step_summary.md").read_text() == summary


def test_fail_false_keeps_the_step_green_on_a_fail_verdict(tmp_path: Path, null_uri: str) -> None:
    corpus = copy_utterances(tmp_path / "corpus", 1)
    run = _run(tmp_path, stt=null_uri, tts=null_uri, corpus=str(corpus), args=QUICK, fail="false", html="", markdown="")
    assert [s.returncode for s in run.steps] == [0, 0, 0, 0], run.log
    assert (run.outputs["verdict"], run.outputs["exit-code"]) == ("fail", "1")
    assert (run.outputs["html"], run.outputs["markdown"]) == ("", "")  # not asked for, not written
    assert not (tmp_path / "workspace" / "wyoming-reports" / "report.html").exists()
    assert "verdict FAIL; the step passes because fail is false" in run.step("Verdict").stdout


def test_a_run_that_cannot_happen_fails_the_step_whatever_fail_says(tmp_path: Path, null_uri: str) -> None:
    run = _run(tmp_path, stt=null_uri, tts=null_uri, args="--max-wer none", fail="false")
    assert [s.returncode for s in run.steps] == [0, 0, 0, 2], run.log
    assert (run.outputs["verdict"], run.outputs["exit-code"], run.outputs["report"]) == ("error", "2", "")
    reason = run.step("Validate").stderr.strip().splitlines()[-1]  # validate's one-line reason
    assert "--max-wer" in reason
    assert f"::error title=wyoming-rt::validate could not run (exit 2): {reason}" in run.step("Validate").stdout
    summary = (tmp_path / "step_summary.md").read_text()
    assert summary.startswith("## wyoming-rt: ⚠️ could not run (exit 2)") and f"\n{reason}\n" in summary


def test_args_with_an_unclosed_quote_stop_before_validate(tmp_path: Path, null_uri: str) -> None:
    run = _run(tmp_path, stt=null_uri, tts=null_uri, args="--ignore 'audio.no-speech")
    validate = run.step("Validate")
    assert validate.returncode == 2, run.log
    assert "the args input cannot be split into arguments: No closing quotation" in validate.stdout
    assert "wyoming-rt validate" not in validate.stdout and run.outputs["verdict"] == ""


def test_the_wait_step_gives_up_on_a_server_that_never_answers(tmp_path: Path) -> None:
    closed = f"127.0.0.1:{free_tcp_port()}"
    run = _run(tmp_path, stt=closed, **{"wait-timeout": "1"})
    assert [(s.name, s.returncode) for s in run.steps] == [("Install wyoming-rt", 0), ("Wait for the servers", 2)], run.log
    assert "did not answer describe within 1 s" in run.step("Wait for the servers").stderr
    assert run.outputs["verdict"] == ""

"""The Home Assistant add-on CI recipe (docs/ci-home-assistant-addon.md): its Validate step (the
composite action with the recipe's own inputs) runs against a reference STT server started as a
process in place of the add-on's container, as the runner would run it (tests/action_runner.py;
setup-python is skipped and wyoming-rt is installed already: ``package: none``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.action_runner import python_first_path, run_action
from wyoming_rt.endpoint import free_tcp_port

pytestmark = pytest.mark.integration
DOC = Path(__file__).parents[2] / "docs" / "ci-home-assistant-addon.md"


def job() -> dict[str, Any]:
    """The recipe's workflow job."""
    workflow = re.search(r"```yaml\n(.*?)```", DOC.read_text(), re.S)
    assert workflow, "the recipe lost its workflow"
    jobs: dict[str, Any] = yaml.safe_load(workflow.group(1))["jobs"]
    return jobs["wyoming"]


def recipe_inputs(env: dict[str, str]) -> dict[str, str]:
    """The recipe's inputs to the action, its ``${{ env.X }}`` taken from ``env``."""
    step = next(s for s in job()["steps"] if s.get("name") == "Validate")
    return {
        name: re.sub(r"\$\{\{\s*env\.(\w+)\s*\}\}", lambda m: env[m.group(1)], str(value)) for name, value in step["with"].items()
    }


def test_the_recipe_validate_step_runs_against_a_server_process(tmp_path: Path) -> None:
    port = free_tcp_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "wyoming_rt", "serve", "stt", "--uri", f"tcp://127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    inputs = recipe_inputs({**job()["env"], "WYOMING_STT": f"127.0.0.1:{port}"})
    assert inputs["stt"] == f"127.0.0.1:{port}" and "tts" not in inputs  # the TTS side: validate's own reference
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    env = {**os.environ, "PATH": python_first_path(), "GITHUB_STEP_SUMMARY": str(tmp_path / "step_summary.md")}
    try:
        run = run_action({**inputs, "package": "none"}, cwd=workspace, env=env, work=tmp_path / "runner", timeout_s=900)
    finally:
        server.terminate()
        server.wait(30)
    assert [s.returncode for s in run.steps] == [0, 0, 0, 0], run.log[-6000:]
    assert f"tcp://127.0.0.1:{port} is up (asr" in run.step("Wait for the servers").stdout
    assert run.outputs["verdict"] == "pass"
    reports = workspace / "wyoming-reports"
    suite = ET.parse(reports / "junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0" and int(suite.get("tests", "0")) >= 38
    assert (reports / "report.json").is_file() and (reports / "report.html").is_file()
    summary = (reports / "summary.md").read_text()
    assert summary.startswith("## wyoming-rt: ✅ PASS")
    assert (tmp_path / "step_summary.md").read_text() == summary


def test_wait_gives_up_with_one_line() -> None:
    closed = free_tcp_port()
    proc = subprocess.run(
        [sys.executable, "-m", "wyoming_rt", "wait", f"127.0.0.1:{closed}", "--timeout", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "did not answer describe within 1 s" in proc.stderr

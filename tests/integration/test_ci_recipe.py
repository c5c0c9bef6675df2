"""The Home Assistant add-on CI recipe (docs/ci-home-assistant-addon.md): its wait and validate
steps run unchanged, with a reference STT server started as a process in place of the add-on."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from wyoming_rt.endpoint import free_tcp_port

pytestmark = pytest.mark.integration
DOC = Path(__file__).parents[2] / "docs" / "ci-home-assistant-addon.md"


def step(name: str) -> str:
    """The shell script of the workflow step called ``name``."""
    workflow = re.search(r"```yaml\n(.*?)```", DOC.read_text(), re.S)
    assert workflow, "the recipe lost its workflow"
    match = re.search(
        rf"- name: {re.escape(name)}\n\s+run: (\|\n(?P<block>(?:\s{{10,}}.*\n)+)|(?P<line>.*)\n)", workflow.group(1)
    )
    assert match, f"no step {name!r}"
    if match.group("line"):
        return match.group("line")
    return "\n".join(line.strip() for line in match.group("block").splitlines())


def test_the_recipe_steps_run_against_a_server_process(tmp_path: Path) -> None:
    port = free_tcp_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "wyoming_rt", "serve", "stt", "--uri", f"tcp://127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    # `python` in the steps is the one running these tests (as it is the job's after setup-python)
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {
        **os.environ,
        "PATH": path,
        "WYOMING_STT": f"127.0.0.1:{port}",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step_summary.md"),
    }
    try:
        wait = subprocess.run(
            ["bash", "-ec", step("Wait for the server")], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert wait.returncode == 0, wait.stdout + wait.stderr
        assert f"tcp://127.0.0.1:{port} is up (asr" in wait.stdout
        validate = subprocess.run(
            ["bash", "-ec", step("Validate")], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
        )
    finally:
        server.terminate()
        server.wait(30)
    assert validate.returncode == 0, validate.stdout[-3000:] + validate.stderr
    suite = ET.parse(tmp_path / "reports" / "junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0" and int(suite.get("tests", "0")) >= 38
    assert (tmp_path / "reports" / "wyoming.json").is_file()
    summary = (tmp_path / "reports" / "summary.md").read_text()
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

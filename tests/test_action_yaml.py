"""The composite action (action.yml), read without servers: the inputs the steps use are the
inputs declared, and the install step installs what it says."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.action_runner import ROOT, load_action, run_action

SCRIPT = ROOT / "scripts" / "ci_action.sh"


def _strings(node: Any) -> Iterator[str]:
    """Every string in a parsed YAML node, keys and values."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif node is not None:
        yield str(node)


def _steps() -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = load_action()["runs"]["steps"]
    return steps


def test_the_action_is_composite_and_each_run_step_is_one_line_of_bash() -> None:
    action = load_action()
    assert action["runs"]["using"] == "composite"
    for step in _steps():
        assert ("uses" in step) != ("run" in step), step
        if "run" in step:
            assert step["shell"] == "bash", step["name"]
            # the logic lives in scripts/ci_action.sh, which the tests run
            assert step["run"].strip().count("\n") == 0, step["name"]
            assert 'bash "$GITHUB_ACTION_PATH/scripts/ci_action.sh" ' in step["run"], step["name"]


def test_every_input_used_is_declared_and_every_declared_input_is_used() -> None:
    action = load_action()
    used = set(re.findall(r"\binputs\.([\w-]+)", " ".join([*_strings(action["runs"]), *_strings(action["outputs"])])))
    assert used == set(action["inputs"])


def test_every_input_has_a_description_and_a_string_default() -> None:
    for name, spec in load_action()["inputs"].items():
        assert spec.get("description"), name
        assert isinstance(spec.get("default"), str), name  # the runner passes strings; "300", not 300


def test_every_output_is_one_the_validate_step_writes() -> None:
    action = load_action()
    ids = {step.get("id") for step in _steps()}
    script = SCRIPT.read_text()
    for name, spec in action["outputs"].items():
        match = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}", spec["value"])
        assert match, f"{name}: {spec['value']}"
        assert match.group(1) in ids, name
        assert f'echo "{match.group(2)}=' in script, f"scripts/ci_action.sh never writes {match.group(2)}"


def test_the_script_reads_exactly_the_variables_the_steps_set() -> None:
    read = set(re.findall(r"WYOMING_RT_[A-Z_]+", SCRIPT.read_text()))
    given = {name for step in _steps() for name in step.get("env", {})}
    assert read == given


def test_the_script_is_valid_bash() -> None:
    proc = subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr


def _stub_python(tmp_path: Path) -> tuple[str, Path]:
    """A ``python`` that records its arguments (one per line, then ``--``) and does nothing else:
    installing for real would need the network and change the environment the tests run in."""
    bin_dir, calls = tmp_path / "bin", tmp_path / "calls"
    bin_dir.mkdir()
    stub = bin_dir / "python"
    stub.write_text('#!/bin/sh\nfor a in "$@"; do printf \'%s\\n\' "$a"; done >>"$CALLS"\necho -- >>"$CALLS"\n')
    stub.chmod(0o755)
    return f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin", calls


@pytest.mark.parametrize(
    ("package", "installed"),
    [
        ("", f"{ROOT}[reference]"),
        (
            "wyoming-rt[reference] @ git+https://github.com/OWNER/wyoming-rt@v0.1.0",
            "wyoming-rt[reference] @ git+https://github.com/OWNER/wyoming-rt@v0.1.0",
        ),
        ("none", None),
    ],
)
def test_the_install_step_installs_the_actions_own_checkout_by_default(
    tmp_path: Path, package: str, installed: str | None
) -> None:
    path, calls = _stub_python(tmp_path)
    run = run_action(
        {"package": package},
        cwd=tmp_path,
        env={"PATH": path, "CALLS": str(calls)},
        work=tmp_path / "runner",
        only=["Install wyoming-rt"],
        timeout_s=60,
    )
    assert [s.returncode for s in run.steps] == [0], run.log
    invocations = [call.strip("\n").split("\n") for call in calls.read_text().split("--\n") if call.strip()]
    pip = ["-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off"]
    expected = ([[*pip, installed]] if installed else []) + [["-m", "wyoming_rt", "--version"]]
    assert invocations == expected

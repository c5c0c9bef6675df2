"""The composite action (action.yml) and its recipe (docs/ci-home-assistant-addon.md), read
without servers: the inputs the steps use are the inputs declared, the install step installs
what it says, the recipe's workflow gives the action only inputs it declares and reads an add-on's
build files, and no document tells anyone to install wyoming-rt from PyPI, where it is not."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.action_runner import ROOT, load_action, python_first_path, read_outputs, run_action

SCRIPT = ROOT / "scripts" / "ci_action.sh"
RECIPE = ROOT / "docs" / "ci-home-assistant-addon.md"


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


# --- the recipe -------------------------------------------------------------------------------


def _workflow() -> dict[str, Any]:
    block = re.search(r"```yaml\n(.*?)```", RECIPE.read_text(encoding="utf-8"), re.S)
    assert block, "the recipe lost its workflow"
    workflow: dict[str, Any] = yaml.safe_load(block.group(1))
    return workflow


def _recipe_step(name: str) -> dict[str, Any]:
    steps: list[dict[str, Any]] = _workflow()["jobs"]["wyoming"]["steps"]
    return next(step for step in steps if step.get("name") == name)


def test_the_recipe_gives_the_action_only_inputs_it_declares() -> None:
    step = _recipe_step("Validate")
    assert step["uses"].startswith("OWNER/wyoming-rt@"), "the recipe's action step is not the placeholder"
    assert step["with"], "the recipe gives the action no inputs"
    assert set(step["with"]) <= set(load_action()["inputs"])
    assert all(isinstance(value, str) for value in step["with"].values())


def test_the_recipe_publishes_a_junit_check_run_only_where_the_token_may_write_checks() -> None:
    job = _workflow()["jobs"]["wyoming"]
    assert job["permissions"]["checks"] == "write"
    check = _recipe_step("JUnit check run")["if"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in check
    assert "github.event_name == 'push'" in check  # a push has no pull_request: without this it would never run
    assert _recipe_step("JUnit annotations (a fork's pull request)")["with"]["annotate_only"] is True
    assert _recipe_step("Keep the reports")["with"]["path"] == "wyoming-reports/"


WHISPER_LIKE_BUILD = """\
build_from:
  amd64: ghcr.io/home-assistant/amd64-base-debian:trixie
  aarch64: ghcr.io/home-assistant/aarch64-base-debian:trixie
args:
  WYOMING_WHISPER_VERSION: 3.5.0
"""
WHISPER_LIKE_CONFIG = """\
version: 3.5.1
slug: whisper
arch:
  - amd64
  - aarch64
init: false
options:
  model: auto
ports:
  "10300/tcp": null
"""


def _run_read_step(tmp_path: Path, arch: str) -> subprocess.CompletedProcess[str]:
    addon = tmp_path / "whisper"
    addon.mkdir()
    (addon / "build.yaml").write_text(WHISPER_LIKE_BUILD)
    (addon / "config.yaml").write_text(WHISPER_LIKE_CONFIG)
    run = _recipe_step("Read the add-on's build.yaml and config.yaml")["run"]
    assert "python -m pip install --quiet pyyaml\n" in run
    script = tmp_path / "read.sh"
    script.write_text(run.replace("python -m pip install --quiet pyyaml\n", ""))  # PyYAML is installed here already
    (tmp_path / "output").touch()
    env = {
        **os.environ,
        "PATH": python_first_path(),
        "ADDON": "whisper",
        "ARCH": arch,
        "GITHUB_OUTPUT": str(tmp_path / "output"),
    }
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("arch", ["amd64", "aarch64"])
def test_the_recipe_takes_the_build_arguments_and_port_from_the_addons_files(tmp_path: Path, arch: str) -> None:
    proc = _run_read_step(tmp_path, arch)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "build-args.txt").read_text().splitlines() == [
        f"--build-arg=BUILD_ARCH={arch}",
        "--build-arg=BUILD_VERSION=3.5.1",
        "--build-arg=WYOMING_WHISPER_VERSION=3.5.0",
        f"--build-arg=BUILD_FROM=ghcr.io/home-assistant/{arch}-base-debian:trixie",
    ]
    assert read_outputs(tmp_path / "output") == {"port": "10300"}


def test_the_recipe_refuses_an_architecture_the_addon_does_not_list(tmp_path: Path) -> None:
    proc = _run_read_step(tmp_path, "armv7")
    assert proc.returncode != 0
    assert "whisper/config.yaml does not list armv7 under arch" in proc.stderr
    assert not (tmp_path / "build-args.txt").exists()


# --- install honesty --------------------------------------------------------------------------

PYPI_INSTALL = re.compile(r"""pip install\s+['"]?wyoming-rt(\[[\w,-]*\])?([<>=!~][^\s'"`]*)?['"]?(?!\s*@)(?=[\s`]|$)""")


def test_no_document_installs_wyoming_rt_from_pypi() -> None:
    """wyoming-rt is not on PyPI: install lines name the repository or a checkout."""
    documents = [ROOT / "README.md", ROOT / "action.yml", *sorted((ROOT / "docs").glob("*.md"))]
    offending = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in documents
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PYPI_INSTALL.search(line)
    ]
    assert not offending, "\n".join(offending)


@pytest.mark.parametrize(
    ("line", "from_pypi"),
    [
        ("pip install 'wyoming-rt[reference]'", True),
        ("pip install wyoming-rt", True),
        ('pip install "wyoming-rt==0.1.0"', True),
        ('pip install "wyoming-rt[reference] @ git+https://github.com/OWNER/wyoming-rt"', False),
        ("pip install -e '.[reference]'", False),
        ("pip install wyoming-rt-extras", False),
    ],
)
def test_the_pypi_install_pattern(line: str, from_pypi: bool) -> None:
    assert bool(PYPI_INSTALL.search(line)) is from_pypi

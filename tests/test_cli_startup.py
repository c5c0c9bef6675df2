"""``--help`` and ``--version`` build the parser and exit: they load none of what running a
command needs (numpy, the report, the run, the emulator, rich, anyio), which made ``validate
--help`` cost half a second of CPU. Read from ``python -X importtime``, so no timing is asserted;
``bench/cli_startup.py`` measures the time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

HEAVY = (
    "numpy",
    "jiwer",
    "soundfile",
    "soxr",
    "anyio",
    "rich",
    "wyoming_rt.report",
    "wyoming_rt.run.validate",
    "wyoming_rt.emulator",
    "wyoming_rt.run.ray_load",
    "ray",
)
"""Modules (with their submodules) a command may load when it runs, not before."""


def _imported(importtime: str) -> list[str]:
    """The modules of ``python -X importtime``'s lines, ``import time: self | cumulative | module``."""
    return [line.rpartition("|")[2].strip() for line in importtime.splitlines() if line.startswith("import time:")]


def _run(*args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    # from the checkout's root: ``-m`` imports the package there, the one under test
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "wyoming_rt", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    return result, _imported(result.stderr)


def _heavy(modules: list[str]) -> list[str]:
    """Which of `HEAVY` were loaded (themselves or a submodule)."""
    return [heavy for heavy in HEAVY if any(m == heavy or m.startswith(heavy + ".") for m in modules)]


def test_validate_help_loads_no_heavy_module() -> None:
    result, modules = _run("validate", "--help")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "--max-wer" in result.stdout
    assert "wyoming_rt.cli.validate" in modules  # the importtime lines were read
    assert _heavy(modules) == []


@pytest.mark.parametrize(
    "args",
    [["--version"], ["--help"], ["rules", "--help"], ["compare", "--help"], ["wait", "--help"], ["serve", "stt", "--help"]],
    ids=" ".join,
)
def test_every_help_and_the_version_load_no_heavy_module(args: list[str]) -> None:
    result, modules = _run(*args)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip()
    assert _heavy(modules) == []


def test_a_usage_error_loads_no_heavy_module_and_keeps_its_exit_code() -> None:
    result, modules = _run("validate", "--max-wre", "0.2")
    assert result.returncode == 2
    assert "wyoming-rt: error: unrecognized arguments: --max-wre 0.2" in result.stderr
    assert _heavy(modules) == []


def test_the_check_sees_a_heavy_module() -> None:
    """The test above would pass on an unreadable output: a run that loads the report is caught."""
    code = "import wyoming_rt.report.model"
    stderr = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stderr
    assert {"numpy", "wyoming_rt.report"} <= set(_heavy(_imported(stderr)))

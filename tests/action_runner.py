"""Run the composite action's steps (action.yml) as GitHub's runner does, for tests.

Each ``run`` step goes to ``bash --noprofile --norc -eo pipefail`` (what ``shell: bash`` means on
the runner) in order, with the step's ``env``, ``GITHUB_ACTION_PATH``, its own ``GITHUB_OUTPUT``
file, and ``GITHUB_STEP_SUMMARY`` / ``GITHUB_WORKSPACE`` from the caller. The expressions the
action uses are substituted: ``${{ inputs.NAME }}`` (the given value, else the input's default),
``${{ github.action_path }}``, ``${{ steps.ID.outputs.NAME }}`` and ``${{ env.NAME }}``; any other
expression is an error, so that the action cannot grow one this runner would get wrong. Steps
with ``uses:`` (setup-python) are skipped: the caller provides what they would (``python`` on
PATH). The run stops at the first failing step, as the runner does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION_YML = ROOT / "action.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_REFERENCE = re.compile(r"(inputs|env)\.([A-Za-z_][\w-]*)|github\.action_path|steps\.([\w-]+)\.outputs\.([\w-]+)")


def load_action(path: Path = ACTION_YML) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path} is not a mapping"
    return data


@dataclass
class StepRun:
    name: str
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]


@dataclass
class ActionRun:
    steps: list[StepRun] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)

    def step(self, name: str) -> StepRun:
        return next(s for s in self.steps if s.name == name)

    @property
    def log(self) -> str:
        """Every step's output, for assertion messages."""
        return "\n".join(f"--- {s.name} (exit {s.returncode})\n{s.stdout}{s.stderr}" for s in self.steps)


def read_outputs(path: Path) -> dict[str, str]:
    """A ``GITHUB_OUTPUT`` file: ``name=value`` lines and ``name<<DELIMITER`` blocks."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines() if path.exists() else [])
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            outputs[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


class _Context:
    def __init__(self, inputs: Mapping[str, str], env: Mapping[str, str], action_path: Path) -> None:
        self.inputs, self.env, self.action_path = inputs, env, action_path
        self.steps: dict[str, dict[str, str]] = {}

    def evaluate(self, expression: str) -> str:
        match = _REFERENCE.fullmatch(expression)
        if match is None:
            raise ValueError(f"the test runner does not understand ${{{{ {expression} }}}}")
        kind, name, step, output = match.groups()
        if kind == "inputs":
            if name not in self.inputs:
                raise ValueError(f"${{{{ {expression} }}}}: no input {name!r} is declared")
            return self.inputs[name]
        if kind == "env":
            return self.env.get(name, "")
        if step is not None:
            return self.steps.get(step, {}).get(output, "")
        return str(self.action_path)

    def substitute(self, text: object) -> str:
        return EXPRESSION.sub(lambda m: self.evaluate(m.group(1)), str(text))


def run_action(
    inputs: Mapping[str, str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    work: Path,
    action_path: Path = ROOT,
    only: Collection[str] = (),
    timeout_s: float = 900,
) -> ActionRun:
    """Run the action at ``action_path`` with ``inputs`` in ``cwd``; ``work`` holds the runner's
    files. ``only``: run just the steps of these names (the others count as skipped)."""
    action = load_action(action_path / "action.yml")
    declared = action.get("inputs") or {}
    unknown = set(inputs) - set(declared)
    assert not unknown, f"inputs the action does not declare: {sorted(unknown)}"
    values = {name: str((spec or {}).get("default", "")) for name, spec in declared.items()} | dict(inputs)
    context = _Context(values, env, action_path)
    run = ActionRun()
    work.mkdir(parents=True, exist_ok=True)
    for index, step in enumerate(action["runs"]["steps"]):
        name = str(step.get("name", f"step {index}"))
        if "uses" in step or (only and name not in only):
            run.skipped.append(name)
            continue
        assert "if" not in step, f"{name}: the test runner does not evaluate if: on run steps"
        assert step.get("shell") == "bash", f"{name}: a composite run step needs shell: bash"
        output_file, script = work / f"output_{index}", work / f"step_{index}.sh"
        output_file.touch()
        script.write_text(context.substitute(step["run"]), encoding="utf-8")
        step_env = {
            **env,
            **{key: context.substitute(value) for key, value in (step.get("env") or {}).items()},
            "GITHUB_ACTION_PATH": str(action_path),
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_WORKSPACE": str(cwd),
        }
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=cwd, env=step_env, capture_output=True, text=True, timeout=timeout_s,
        )  # fmt: skip
        outputs = read_outputs(output_file)
        run.steps.append(StepRun(name, proc.returncode, proc.stdout, proc.stderr, outputs))
        if "id" in step:
            context.steps[str(step["id"])] = outputs
        if proc.returncode != 0:
            break
    run.outputs = {
        name: context.substitute((spec or {}).get("value", "")) for name, spec in (action.get("outputs") or {}).items()
    }
    return run


def python_first_path() -> str:
    """PATH with the Python running the tests first: ``python`` in the steps is the one under test,
    as it is the job's after actions/setup-python."""
    return f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


def copy_utterances(target: Path, count: int) -> Path:
    """A corpus directory of the first ``count`` bundled utterances (quicker than all of them)."""
    from wyoming_rt.corpus import bundled_corpus_dir

    target.mkdir(parents=True)
    for wav in sorted(bundled_corpus_dir().glob("*.wav"))[:count]:
        shutil.copy(wav, target / wav.name)
        shutil.copy(wav.with_suffix(".txt"), target / wav.with_suffix(".txt").name)
    return target

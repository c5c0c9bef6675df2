"""Options are declared once, on their fields: every one reaches the command line, the TOML
loader and the pytest plugin, and a value set in TOML reaches the emulator a run uses."""

from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from wyoming_rt import pytest_plugin
from wyoming_rt.cli import build_parser, main
from wyoming_rt.emulator import EmulatorConfig
from wyoming_rt.records.emulator_options import EmulatorOptions
from wyoming_rt.records.errors import UsageError
from wyoming_rt.records.options import OptionSpec, options_of
from wyoming_rt.run import validate as validate_module
from wyoming_rt.run.config import load_config, load_gates
from wyoming_rt.run.gates import Gates
from wyoming_rt.run.options import ValidateOptions

pytest_plugins = ["pytester"]
OPTIONS = options_of(ValidateOptions)


def validate_actions() -> dict[str, argparse.Action]:
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {flag: action for action in commands.choices["validate"]._actions for flag in action.option_strings}


def sample(spec: OptionSpec) -> str:
    """A TOML value the option accepts (the first choice, a switch's value when given, a number, a word)."""
    if spec.choices is not None:
        return f'"{next(iter(spec.choices))}"'
    if spec.const is not None:
        return str(spec.const).lower()
    if spec.combine is not None:
        return "[]"
    return '"1"' if spec.parse is not None else '"x"'


def test_the_emulator_options_and_the_run_options_are_declared_as_options() -> None:
    assert [f.name for f in fields(EmulatorOptions)] == [s.name for s in options_of(EmulatorOptions)]
    assert {f.name for f in fields(EmulatorOptions)} <= {s.name for s in OPTIONS}
    assert {f.name for f in fields(EmulatorOptions)} <= {f.name for f in fields(EmulatorConfig)}
    # a new ValidateOptions field is an option, or is named here on purpose
    assert {f.name for f in fields(ValidateOptions)} - {s.name for s in OPTIONS} == {
        "gates",
        "started_pids",
    }  # started_pids: set by the run that started the servers


def test_every_cli_option_is_in_the_validate_parser() -> None:
    actions = validate_actions()
    for spec in OPTIONS:
        if spec.cli:
            assert spec.flag in actions, spec.name
            assert actions[spec.flag].dest == spec.name and actions[spec.flag].help == spec.help
        else:
            assert spec.flag not in actions, spec.name


def test_every_pytest_option_is_added_by_the_plugin() -> None:
    added: dict[str, dict[str, Any]] = {}

    class Group:
        def getgroup(self, *_: object) -> Group:
            return self

        def addoption(self, flag: str, **kwargs: Any) -> None:
            added[flag] = kwargs

    pytest_plugin.pytest_addoption(Group())  # type: ignore[arg-type]
    expected = {f"--wyoming-{spec.flag.removeprefix('--')}": spec for spec in OPTIONS if spec.pytest}
    assert {"--wyoming-timeout", "--wyoming-ha-mode", "--wyoming-concurrency", "--wyoming-no-probes"} <= set(expected)
    for flag, spec in expected.items():
        assert added[flag]["dest"] == f"wyoming_{spec.name}" and added[flag]["help"] == spec.help
    assert set(added) - set(expected) == {"--wyoming-stt", "--wyoming-tts", "--wyoming-corpus"}


def test_every_toml_option_is_read_from_pyproject(tmp_path: Path) -> None:
    toml = [spec for spec in OPTIONS if spec.toml]
    lines = "\n".join(f"{spec.name} = {sample(spec)}" for spec in toml)
    (tmp_path / "pyproject.toml").write_text(f"[tool.wyoming_rt]\nmax_wer = 0.2\n{lines}\n")
    config = load_config(None, cwd=tmp_path)
    assert set(config.options) == {spec.name for spec in toml}
    assert config.gates == Gates(max_wer=0.2) == load_gates(None, cwd=tmp_path)
    options = config.validate_options({})
    assert (options.timeout_s, options.ha_mode, options.probes, options.voice) == (1.0, "latest", False, "x")


def test_toml_values_command_line_values_and_defaults_in_that_order(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.wyoming_rt]\nconcurrency = 2\nha_mode = "2026.2"\ntts_streaming = "off"\nlong_text = false\n'
        "analysis_deadline_s = 60\naudio_thresholds = { clipped_ratio_max = 0.01 }\n"
    )
    config = load_config(None, cwd=tmp_path)
    options = config.validate_options({"concurrency": 3, "audio_thresholds": [("dc_offset_max", 0.1)], "voice": None})
    assert options.concurrency == 3  # the command line wins
    assert (options.ha_mode, options.tts_streaming, options.long_text, options.analysis_deadline_s) == (
        "2026.2",
        False,
        False,
        60,
    )
    assert (options.audio_thresholds.clipped_ratio_max, options.audio_thresholds.dc_offset_max) == (0.01, 0.1)
    assert (options.pace, options.voice_probes) == ("burst", 3)  # the defaults


def test_the_documented_configuration_file_loads(tmp_path: Path) -> None:
    doc = (Path(__file__).parents[1] / "docs" / "cli.md").read_text()
    example = doc.split("### Configuration file", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "pyproject.toml").write_text(example)
    options = load_config(None, cwd=tmp_path).validate_options({})
    assert (options.concurrency, options.timeout_s, options.ha_mode, options.tts_streaming, options.probes) == (
        2, 60, "2026.2", False, False,
    )  # fmt: skip
    assert (options.gates.max_wer, options.audio_thresholds.clipped_ratio_max, options.analysis_deadline_s) == (0.2, 0.01, 600)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("concurency = 2\n", "unknown gate(s) concurency (known: ignore,"),
        ("concurency = 2\n", "; options: analysis_deadline_s, audio_thresholds, back_transcribe, concurrency,"),
        ("concurrency = -1\n", "concurrency: must be 0 or more"),
        ('ha_mode = "2025.1"\n', "ha_mode must be one of latest, 2026.11, 2026.2"),
        ('probes = "no"\n', "probes must be true or false"),
        ("language = 5\n", "language must be a string"),
        ("timeout_s = true\n", "timeout_s must be a number"),
        ('audio_thresholds = ["bogus"]\n', "audio_thresholds: expected NAME=VALUE"),
    ],
)
def test_bad_toml_options_are_one_line_errors(tmp_path: Path, text: str, error: str) -> None:
    config = tmp_path / "wyoming.toml"
    config.write_text(text)
    with pytest.raises(UsageError, match=error.replace("(", r"\(").replace(")", r"\)")):
        load_config(config)


def test_an_unknown_audio_threshold_in_toml_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "wyoming.toml"
    config.write_text("audio_thresholds = { bogus = 1 }\n")
    with pytest.raises(UsageError, match="bogus"):
        load_config(config).validate_options({})


class Reached(Exception):
    """Stops a run once the emulator it would use is known."""


def test_a_toml_value_reaches_the_emulator_a_cli_run_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    used: list[EmulatorConfig] = []

    def emulator(config: EmulatorConfig) -> None:
        used.append(config)
        raise Reached("stop here")

    monkeypatch.setattr(validate_module, "HAEmulator", emulator)
    config = tmp_path / "wyoming.toml"
    config.write_text('ha_mode = "2026.2"\npace = "realtime"\ntimeout_s = 7\nlanguage = "de"\n')
    args = ["validate", "--stt", "127.0.0.1:1", "--tts", "127.0.0.1:1", "--config", str(config), "--timeout", "3"]
    assert main(args) == 2 and "stop here" in capsys.readouterr().err
    assert (used[0].ha_mode, used[0].pace, used[0].language) == ("2026.2", "realtime", "de")  # from TOML
    assert (used[0].timeout_s, used[0].connect_timeout_s) == (3, 3)  # the command line over TOML; connect at most 5 s
    assert used[0].describe_timeout_s == 1.0  # what HA 2026.2 waits


def test_the_plugin_builds_the_report_options_from_its_flags_and_pyproject(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\nasyncio_default_fixture_loop_scope = "function"\n[tool.wyoming_rt]\nha_mode = "2026.2"\nconcurrency = 1\nmax_wer = 0.3\n'
    )
    pytester.makeconftest(
        """
import pytest
from wyoming_rt.run import validate as run

async def fake_validate(stt, tts, corpus, options):  # the "report" is what the run was given
    return options

@pytest.fixture(autouse=True, scope="session")
def no_run():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(run, "validate", fake_validate)
        yield
"""
    )
    pytester.makepyfile(
        """
def test_options(wyoming_report):
    emulator = wyoming_report.emulator_config()
    assert (emulator.ha_mode, emulator.timeout_s, emulator.pace) == ("2026.2", 9, "burst")
    assert (wyoming_report.concurrency, wyoming_report.probes, wyoming_report.gates.max_wer) == (1, False, 0.3)
"""
    )
    result = pytester.runpytest(
        "--wyoming-stt", "127.0.0.1:1", "--wyoming-tts", "127.0.0.1:1", "--wyoming-timeout", "9", "--wyoming-no-probes"
    )
    result.assert_outcomes(passed=1)

"""docs/cli.md names every option of every command (it is written by hand, so this keeps it honest)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from wyoming_rt.cli import build_parser, main


def options(parser: argparse.ArgumentParser, prefix: str = "") -> set[tuple[str, str]]:
    found = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found |= options(sub, f"{prefix} {name}".strip())
        else:
            found |= {(prefix, o) for o in action.option_strings if o.startswith("--") and o != "--help"}
    return found


def test_every_option_is_documented() -> None:
    doc = (Path(__file__).parents[1] / "docs" / "cli.md").read_text()
    missing = sorted(f"{command}: {option}" for command, option in options(build_parser()) if f"`{option}" not in doc)
    assert missing == []


def commands(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, argparse.ArgumentParser]:
    """Every command and subcommand's parser, by its command line (``serve stt``)."""
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[f"{prefix} {name}".strip()] = sub
                found |= commands(sub, f"{prefix} {name}")
    return found


def test_every_command_describes_itself_in_its_help() -> None:
    parsers = commands(build_parser())
    assert {"validate", "compare", "wait", "rules", "serve", "serve stt", "serve tts", "serve null"} <= set(parsers)
    undescribed = sorted(name for name, parser in parsers.items() if len(parser.description or "") < 40)
    assert undescribed == []


@pytest.mark.parametrize("command", ["rules", "wait", "serve", "serve stt", "compare"])
def test_help_prints_the_description(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    description = commands(build_parser())[command].description or ""
    with pytest.raises(SystemExit) as exit_info:
        main([*command.split(), "--help"])
    assert exit_info.value.code == 0
    assert " ".join(description.split()[:6]) in " ".join(capsys.readouterr().out.split())


def test_validate_help_ends_with_examples_that_parse(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    out = capsys.readouterr().out
    examples = out.split("\nexamples:\n", 1)[1].replace("\\\n", "")
    lines = [line.strip() for line in examples.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert len(lines) >= 4 and all(line.startswith("wyoming-rt validate") for line in lines)
    for line in lines:  # each example is a command line the parser takes
        build_parser().parse_args(line.split()[1:])
    doc = (Path(__file__).parents[1] / "docs" / "cli.md").read_text()
    assert "`validate --help` ends with examples" in doc

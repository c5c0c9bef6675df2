"""docs/cli.md names every option of every command (it is written by hand, so this keeps it honest)."""

from __future__ import annotations

import argparse
from pathlib import Path

from wyoming_rt.cli import build_parser


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

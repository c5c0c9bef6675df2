"""What every command shares: exit codes, the top parser, usage errors, status lines, and the
argparse options made from option fields (`wyoming_rt.records.options`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping
from typing import TypeAlias

from rich.console import Console

from wyoming_rt.records.options import Group, OptionSpec
from wyoming_rt.records.version import __version__

EXIT_PASS, EXIT_FAIL, EXIT_CANNOT_RUN, EXIT_INTERRUPTED = 0, 1, 2, 130


class Parser(argparse.ArgumentParser):
    """argparse that reports usage errors with our exit code and a one-line reason."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"wyoming-rt: error: {message}\n")
        raise SystemExit(EXIT_CANNOT_RUN)


Commands: TypeAlias = "argparse._SubParsersAction[Parser]"
"""Where each command module adds its parser (``commands.add_parser(...)``)."""


def top_parser() -> tuple[Parser, Commands]:
    """``wyoming-rt`` with ``--version``, and where its commands are added (their parsers are `Parser`s too)."""
    parser = Parser(prog="wyoming-rt", description="Validate Wyoming STT/TTS servers the way Home Assistant uses them.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    return parser, commands


def add_options(groups: Mapping[Group, argparse._ArgumentGroup], specs: Iterable[OptionSpec]) -> None:
    """The command-line options of ``specs``, each in its group; the value lands under the field's name."""
    for spec in specs:
        if spec.cli:
            groups[spec.group].add_argument(spec.flag, dest=spec.name, **spec.argparse_kwargs())


def status(err: Console, line: str) -> None:
    """A progress line on stderr, at a terminal and in CI logs alike (stdout is the report's); an
    error that stops a command is still its last line."""
    err.print(line, highlight=False, soft_wrap=True, markup=False)

"""What every command shares: exit codes, the top parser, usage errors, status lines, and the
argparse options made from option fields (`wyoming_rt.records.options`)."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from wyoming_rt.records.options import Group, OptionSpec, did_you_mean
from wyoming_rt.records.version import __version__

if TYPE_CHECKING:  # every command's parser imports this module: rich loads only when a command runs
    from rich.console import Console

EXIT_PASS, EXIT_FAIL, EXIT_CANNOT_RUN, EXIT_INTERRUPTED = 0, 1, 2, 130


_INVALID_CHOICE = re.compile(r"invalid choice: '?(?P<word>.*?)'? \(choose from (?P<choices>.*)\)$")


class Parser(argparse.ArgumentParser):
    """argparse that reports usage errors with our exit code and a one-line reason, suggests the
    closest option or choice for a misspelt one (``--max-wre``: ``--max-wer``), and ends its
    ``--help`` with ``examples``, command lines printed as written."""

    def __init__(self, *args: Any, examples: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.examples = tuple(examples)

    def format_help(self) -> str:
        text = super().format_help()
        return text + "\nexamples:\n" + "".join(f"  {line}\n" for line in self.examples) if self.examples else text

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            known = _command_parser(self, parsed)._option_string_actions
            hints = "".join(did_you_mean(extra.partition("=")[0], known) for extra in extras if extra.startswith("--"))
            self.error(f"unrecognized arguments: {' '.join(extras)}{hints}")
        return parsed

    def error(self, message: str) -> None:  # type: ignore[override]
        if (choice := _INVALID_CHOICE.search(message)) is not None:
            choices = [c.strip().strip("'") for c in choice["choices"].split(",")]
            message += did_you_mean(choice["word"], choices)
        self.print_usage(sys.stderr)
        sys.stderr.write(
            f"wyoming-rt: error: {message.removeprefix('argument ') if message.startswith('argument -') else message}\n"
        )
        raise SystemExit(EXIT_CANNOT_RUN)


def _command_parser(parser: argparse.ArgumentParser, parsed: argparse.Namespace) -> argparse.ArgumentParser:
    """The parser of the (sub)command ``parsed`` went to (``serve stt``'s for ``serve stt ...``)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen = action.choices.get(str(getattr(parsed, action.dest, None)))
            if chosen is not None:
                return _command_parser(chosen, parsed)
    return parser


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

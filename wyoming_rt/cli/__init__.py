"""Command line: argument parsing and wiring only, one module per command.

Building the parser imports only light modules (the standard library, records, the run's
options), so that ``--help`` and ``--version`` answer at once; what a command needs to run
(rich, anyio, numpy, the report, the run) is imported once the command line is parsed.

Exit codes: 0 every check passed; 1 a check or a threshold failed; 2 the run could not
happen (usage, a server unreachable at start, an unusable corpus); 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from wyoming_rt.cli import compare, merge, rules, serve, validate, wait
from wyoming_rt.cli.parser import EXIT_CANNOT_RUN as EXIT_CANNOT_RUN
from wyoming_rt.cli.parser import EXIT_FAIL as EXIT_FAIL
from wyoming_rt.cli.parser import EXIT_INTERRUPTED as EXIT_INTERRUPTED
from wyoming_rt.cli.parser import EXIT_PASS as EXIT_PASS
from wyoming_rt.cli.parser import top_parser
from wyoming_rt.records.errors import WyomingRTError


def build_parser() -> argparse.ArgumentParser:
    parser, commands = top_parser()
    for command in (validate, compare, merge, wait, rules, serve):
        command.add_parser(commands)
    return parser


def _leaf(exc: BaseException) -> BaseException:
    """The first real exception inside (nested) exception groups."""
    while isinstance(getattr(exc, "exceptions", None), (list, tuple)) and exc.exceptions:  # type: ignore[attr-defined]
        exc = exc.exceptions[0]  # type: ignore[attr-defined]
    return exc


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # rich, anyio and each command's run load once the command line is parsed: --help and --version stay light
    import anyio
    from rich.console import Console

    out = Console(highlight=False)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out.width = 120  # CI logs: wide enough for the table, still readable
    err = Console(stderr=True, highlight=False)
    if args.command == "rules":
        return rules.run()
    if args.command in ("compare", "merge"):
        try:
            return {"compare": compare.run, "merge": merge.run}[args.command](args, out)
        except WyomingRTError as exc:
            sys.stderr.write(f"wyoming-rt: error: {exc}\n")
            return EXIT_CANNOT_RUN
    if args.command == "validate":
        from wyoming_rt.cli import validate_run  # the run layer, the report, numpy: not for --help

        command = validate_run.run
    else:
        command = {"serve": serve.run, "wait": wait.run}[args.command]
    if args.command == "serve":
        serve.configure_logging(args.debug)
    try:
        return anyio.run(command, args, out, err)
    except KeyboardInterrupt:
        err.print("wyoming-rt: interrupted", highlight=False)
        return EXIT_INTERRUPTED
    except BaseException as exc:  # one line for users; the chain with --debug
        leaf = _leaf(exc)
        if isinstance(leaf, KeyboardInterrupt):
            err.print("wyoming-rt: interrupted", highlight=False)
            return EXIT_INTERRUPTED
        if isinstance(leaf, SystemExit):
            raise leaf from None
        if args.debug:
            err.print_exception(show_locals=False)
        prefix = "error" if isinstance(leaf, WyomingRTError) else f"internal error ({type(leaf).__name__})"
        message = str(leaf).strip().splitlines()[0] if str(leaf).strip() else type(leaf).__name__
        sys.stderr.write(f"wyoming-rt: {prefix}: {message}\n")
        return EXIT_CANNOT_RUN

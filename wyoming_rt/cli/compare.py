"""``wyoming-rt compare``: what got worse or better between two ``validate --json`` reports."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from wyoming_rt.cli.parser import EXIT_FAIL, EXIT_PASS, Commands
from wyoming_rt.records.errors import UsageError
from wyoming_rt.records.options import non_negative_float

if TYPE_CHECKING:
    from rich.console import Console


def add_parser(commands: Commands) -> None:
    cmp = commands.add_parser(
        "compare",
        help="compare a new JSON report with a baseline; exit 1 on a regression",
        description="What got worse or better between two validate --json reports. Exit 1 when a figure regressed "
        "beyond its margin (WER, latency, and a server's peak memory and CPU per request where both reports measured "
        "them) or the new run breaks an error rule the baseline did not; exit 2 when the two runs "
        "used different corpora (unless --allow-different-corpus). A warning names the settings that change "
        "the figures (HA mode, pace, endpointing, concurrency, TTS streaming, timeout, how a server's cost was "
        "measured) when they differ.",
    )
    cmp.add_argument("base", type=Path, metavar="BASE.json")
    cmp.add_argument("new", type=Path, metavar="NEW.json")
    cmp.add_argument(
        "--max-regression", type=non_negative_float, default=0.10, metavar="FRACTION",
        help="relative latency increase allowed per percentile (default 0.10 = 10 %%; changes under 20 ms never count)",
    )  # fmt: skip
    cmp.add_argument(
        "--max-wer-increase",
        type=non_negative_float,
        default=0.01,
        metavar="X",
        help="absolute WER increase allowed (default 0.01)",
    )
    cmp.add_argument(
        "--rss-margin", type=non_negative_float, default=0.20, metavar="FRACTION",
        help="relative increase allowed in a server's peak resident memory (default 0.20 = 20 %%; changes under "
        "50 MB never count); compared where both reports measured it",
    )  # fmt: skip
    cmp.add_argument(
        "--cpu-margin", type=non_negative_float, default=0.20, metavar="FRACTION",
        help="relative increase allowed in a server's CPU-seconds per request in the latency phase (default 0.20 "
        "= 20 %%; changes under 5 ms never count); compared where both reports measured it",
    )  # fmt: skip
    cmp.add_argument("--json", type=Path, metavar="PATH", help="write the comparison as JSON (-: stdout)")
    cmp.add_argument(
        "--allow-different-corpus",
        action="store_true",
        help="compare even when the two runs used different utterances (a warning says so; the figures then say little)",
    )
    cmp.add_argument("--html", type=Path, metavar="PATH", help="write the two runs side by side as one self-contained HTML page")


def run(args: argparse.Namespace, out: Console) -> int:
    # the report (numpy, rich) loads when the command runs, not when the parser is built for --help
    from rich.console import Console

    from wyoming_rt.report.compare import Margins, compare, differences, load_report
    from wyoming_rt.report.console import render_comparison
    from wyoming_rt.report.html_compare import write_compare_html
    from wyoming_rt.report.json_writer import is_stdout, write_json

    base, new = load_report(args.base), load_report(args.new)
    differ = differences(base, new)
    if differ.corpus and not args.allow_different_corpus:
        raise UsageError(f"{differ.corpus}; compare runs of one corpus, or pass --allow-different-corpus")
    if differ.corpus:
        sys.stderr.write(f"wyoming-rt: warning: {differ.corpus}\n")
    if differ.settings:
        sys.stderr.write(
            f"wyoming-rt: warning: the runs differ in settings that change the figures: {', '.join(differ.settings)}\n"
        )
    margins = Margins(wer=args.max_wer_increase, latency=args.max_regression, rss=args.rss_margin, cpu=args.cpu_margin)
    comparison = compare(base, new, margins)
    if args.json:
        write_json(comparison, args.json)
    if args.html:
        write_compare_html(comparison, base, new, args.html)
    render_comparison(comparison, Console(stderr=True, highlight=False) if is_stdout(args.json) else out)
    return EXIT_FAIL if comparison.regressed else EXIT_PASS

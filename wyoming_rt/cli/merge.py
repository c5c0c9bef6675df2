"""``wyoming-rt merge``: the JSON reports of a sharded run (``validate --shard I/N``) as one report."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from wyoming_rt.cli.gate_options import add_gate_arguments, gates_from_args
from wyoming_rt.cli.parser import EXIT_FAIL, EXIT_PASS, Commands

if TYPE_CHECKING:
    from rich.console import Console

EXAMPLES = (
    "# three CI jobs, each one shard of the corpus",
    "wyoming-rt validate --stt localhost:10300 --tts localhost:10200 --shard 2/3 --json shard-2.json",
    "# then one job pools them: exact WER/CER and percentiles, the gates applied again",
    "wyoming-rt merge shard-*.json --json all.json --junit junit.xml --html report.html",
)


def add_parser(commands: Commands) -> None:
    m = commands.add_parser(
        "merge",
        help="pool the JSON reports of a sharded run (validate --shard I/N) into one report; exit 1 when it fails",
        description="Pool the JSON reports of a sharded run (validate --shard I/N) into the report of one run: WER "
        "and CER from the summed edit counts, percentiles from every latency sample (never averages of the shards' "
        "figures), and the gates applied again. Exit 2, saying why, unless the reports are every shard of one corpus "
        "once each, complete, run with the same settings, servers and version of wyoming-rt. The gates are the "
        "shards' unless given here.",
        examples=EXAMPLES,
    )
    m.add_argument("reports", type=Path, nargs="+", metavar="SHARD.json", help="every shard's validate --json report")
    add_gate_arguments(m.add_argument_group("Gates (default: the shards' own)"))
    outputs = m.add_argument_group("Outputs")
    outputs.add_argument("--json", metavar="PATH", type=Path, help="write the merged JSON report (-: stdout)")
    outputs.add_argument(
        "--junit", metavar="PATH", type=Path, help="write JUnit XML: a test case per utterance and per global check"
    )
    outputs.add_argument(
        "--html",
        metavar="PATH",
        type=Path,
        help="write the merged report as one self-contained HTML page (no audio: the shards' reports carry none)",
    )
    outputs.add_argument(
        "--markdown",
        metavar="PATH",
        type=Path,
        help="write a Markdown summary (appended to $GITHUB_STEP_SUMMARY whenever that is set)",
    )
    outputs.add_argument("--quiet", action="store_true", help="print only findings and the verdict")


def run(args: argparse.Namespace, out: Console) -> int:
    # the report and the run load when the command runs, not when the parser is built for --help
    from rich.console import Console

    from wyoming_rt.report.compare import load_report
    from wyoming_rt.report.console import render_quiet, render_report
    from wyoming_rt.report.html import write_html
    from wyoming_rt.report.json_writer import is_stdout, write_json
    from wyoming_rt.report.junit import write_junit
    from wyoming_rt.report.markdown import write_markdown
    from wyoming_rt.run.merge import gates_of, merge_reports

    shards = [(str(path), load_report(path)) for path in args.reports]
    gates = gates_from_args(gates_of(shards[0][1].settings), args)
    report = merge_reports(shards, gates)
    if args.json:
        write_json(report, args.json)
    if args.junit:
        write_junit(report, args.junit)
    write_markdown(report, args.markdown)
    if args.html:
        write_html(report, args.html, audio="none")
    console = Console(stderr=True, highlight=False) if is_stdout(args.json) else out
    if args.quiet:
        render_quiet(report, console)
    else:
        render_report(report, console)
    return EXIT_PASS if report.passed else EXIT_FAIL

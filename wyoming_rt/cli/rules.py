"""``wyoming-rt rules``: every rule a finding can name, as Markdown (the source of docs/rules.md)."""

from __future__ import annotations

import sys

from wyoming_rt.cli.parser import EXIT_PASS, Commands


def add_parser(commands: Commands) -> None:
    commands.add_parser(
        "rules",
        help="print every rule a finding can name, as Markdown (docs/rules.md)",
        description="Print every rule a finding can name, as Markdown: its id, severity, what it checks, why Home "
        "Assistant cares and the protocol or HA source it enforces. The ids are the ones --ignore takes; "
        "docs/rules.md is this output.",
    )


def run() -> int:
    # the report package (numpy) loads when the command runs, not when the parser is built for --help
    from wyoming_rt.report.rules_doc import rules_markdown

    sys.stdout.write(rules_markdown())
    return EXIT_PASS

"""Writes the report as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from .model import Report


def report_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)


def write_json(report: Report, path: Path) -> None:
    """Write the JSON report; ``-`` would be ambiguous with the console, so a path is required."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_json(report) + "\n", encoding="utf-8")

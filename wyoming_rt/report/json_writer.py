"""Writes the report as JSON."""

from __future__ import annotations

from pathlib import Path

from wyoming_rt.report.model import Report


def report_json(report: Report) -> str:
    return report.to_json()


def write_json(report: Report, path: Path) -> None:
    """Write the JSON report; ``-`` would be ambiguous with the console, so a path is required."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_json(report) + "\n", encoding="utf-8")

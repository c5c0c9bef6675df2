"""Writes a JSON document: the report, a load run's report or a comparison, to a file or stdout."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Protocol, TextIO

from wyoming_rt.report.safe_text import json_dumps

STDOUT = "-"
"""The path that means standard output."""


class JsonDocument(Protocol):
    """What the JSON writer writes: `Report`, `LoadReport` and `Comparison` are such documents."""

    def to_dict(self) -> dict[str, Any]: ...


def document_json(document: JsonDocument) -> str:
    """The document as strict JSON (no NaN, valid UTF-8), indented, with a final newline."""
    return json_dumps(document.to_dict()) + "\n"


def is_stdout(path: Path | str | None) -> bool:
    """True when ``path`` is ``-``, standard output."""
    return path is not None and str(path) == STDOUT


def write_json(document: JsonDocument, path: Path | str, stdout: TextIO | None = None) -> None:
    """Write the document to ``path``, or to ``stdout`` (default: `sys.stdout`) when ``path`` is ``-``."""
    text = document_json(document)
    if is_stdout(path):
        out = stdout or sys.stdout
        out.write(text)
        out.flush()
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")

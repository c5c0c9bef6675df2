"""The published JSON Schema of the report (docs/report.schema.json), for tests that write reports."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "report.schema.json"


@lru_cache(maxsize=1)
def report_validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_errors(data: object) -> list[str]:
    """Every way ``data`` breaks the schema, one line each (``path: message``)."""
    errors = sorted(report_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(document)'}: {e.message}" for e in errors]


def assert_valid_report(data: object) -> None:
    """Fail with every schema error when ``data`` (a parsed JSON report) is not a valid ``wyoming-rt/report/1``."""
    errors = schema_errors(data)
    assert not errors, "the report breaks docs/report.schema.json:\n" + "\n".join(errors)

"""Compare two JSON reports (a baseline and a new run): what got worse, what got better.

Pure: works on the report dictionaries (``--json`` files, schema ``wyoming-rt/report/1``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wyoming_rt.records.errors import UsageError
from wyoming_rt.report.model import REPORT_SCHEMA, STAGES


@dataclass(frozen=True)
class Margins:
    """How much worse a figure may get before it counts as a regression."""

    wer: float = 0.01
    """Absolute increase allowed in corpus WER and back WER."""
    latency: float = 0.10
    """Relative increase allowed in a latency percentile (0.10 = 10 %)."""
    latency_floor_ms: float = 20.0
    """Changes smaller than this many milliseconds never count (timer noise on fast stages)."""


@dataclass(frozen=True)
class Change:
    metric: str
    base: float | None
    new: float | None
    verdict: str
    """``regression``, ``improvement`` or ``same``."""


@dataclass
class Comparison:
    changes: list[Change]
    new_rules: list[str] = field(default_factory=list)
    """Error-severity rules the new run breaks and the baseline did not."""
    fixed_rules: list[str] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        return bool(self.new_rules) or any(c.verdict == "regression" for c in self.changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "regressed": self.regressed,
            "changes": [c.__dict__ for c in self.changes],
            "new_rules": self.new_rules,
            "fixed_rules": self.fixed_rules,
        }


def load_report(path: Path) -> dict[str, Any]:
    """Read a ``--json`` report; a one-line `UsageError` when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not a readable JSON report ({exc})") from exc
    if not isinstance(data, dict) or data.get("schema") != REPORT_SCHEMA:
        raise UsageError(f"{path}: not a wyoming-rt report with schema {REPORT_SCHEMA} (write one with validate --json)")
    return data


def _verdict(base: float | None, new: float | None, allowed: float) -> str:
    if base is None or new is None:
        return "same"
    if new > base + allowed:
        return "regression"
    if new < base - allowed:
        return "improvement"
    return "same"


def compare(base: dict[str, Any], new: dict[str, Any], margins: Margins | None = None) -> Comparison:
    """Every summary figure side by side, judged against the margins."""
    margins = margins or Margins()
    b, n = base["summary"], new["summary"]
    changes = []
    for metric in ("wer", "back_wer"):
        changes.append(Change(metric, b.get(metric), n.get(metric), _verdict(b.get(metric), n.get(metric), margins.wer)))
    changes.append(Change("failed", b.get("failed"), n.get("failed"), _verdict(b.get("failed"), n.get("failed"), 0)))
    for stage in STAGES:
        for pick in ("p50", "p95", "p99"):
            old_value = ((b.get("latency_ms") or {}).get(stage) or {}).get(pick)
            new_value = ((n.get("latency_ms") or {}).get(stage) or {}).get(pick)
            allowed = max(margins.latency_floor_ms, (old_value or 0) * margins.latency)
            changes.append(Change(f"{stage}.{pick}_ms", old_value, new_value, _verdict(old_value, new_value, allowed)))
    return Comparison(changes, sorted(_error_rules(new) - _error_rules(base)), sorted(_error_rules(base) - _error_rules(new)))


def _error_rules(report: dict[str, Any]) -> set[str]:
    return {f["rule"] for f in report.get("findings", []) if f.get("severity") == "error"}

"""Findings: named, explained rule violations (the rules themselves: `wyoming_rt.records.rules`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Rule:
    """A rule a server (or the run) can break. ``id`` is stable: CI configs refer to it."""

    id: str
    severity: Severity
    summary: str
    why: str
    ref: str = ""
    """The part of the protocol (or of Home Assistant's client) the rule enforces."""


@dataclass(frozen=True)
class Finding:
    """One broken rule, where it was seen, and a one-line explanation."""

    rule: str
    severity: Severity
    message: str
    utterance: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def finding(rule_: Rule, message: str, utterance: str | None = None) -> Finding:
    return Finding(rule_.id, rule_.severity, message, utterance)

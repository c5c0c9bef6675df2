"""Thresholds a run must meet, turned into findings that decide the verdict.

Gates come from the command line, from a TOML file (``--config FILE``) or from
``[tool.wyoming_rt]`` in the current project's ``pyproject.toml``; the command line wins.
"""

from __future__ import annotations

import sys
from collections.abc import Collection
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from wyoming_rt.records.errors import UsageError
from wyoming_rt.records.options import options_of

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib
from wyoming_rt.records.findings import Finding, finding, rule
from wyoming_rt.report.model import STAGES, Report
from wyoming_rt.run.options import ValidateOptions

_REF = "wyoming-rt gates (command line, --config or [tool.wyoming_rt])"
GATE_WER = rule(
    "gate.max-wer",
    "error",
    "Corpus word error rate (normalised) is above max_wer.",
    "The STT server misunderstands more than the threshold allows.",
    ref=_REF,
)
GATE_BACK_WER = rule(
    "gate.max-back-wer",
    "error",
    "The TTS audio, transcribed back, differs from its text by more than max_back_wer.",
    "Speech the STT server cannot understand is speech users struggle with too.",
    ref=_REF,
)
GATE_P95 = rule(
    "gate.max-p95-ms",
    "error",
    "A stage's P95 latency is above its max_p95_ms (--max-p95-ms is the round trip's).",
    "Users wait longer than the threshold allows.",
    ref=_REF,
)
GATE_P99 = rule(
    "gate.max-p99-ms",
    "error",
    "A stage's P99 latency is above its max_p99_ms.",
    "The slowest answers keep users waiting longer than the threshold allows.",
    ref=_REF,
)
GATE_FAILURE_RATE = rule(
    "gate.max-failure-rate",
    "error",
    "The share of utterances that failed is above max_failure_rate.",
    "Too many requests fail for the server to be usable.",
    ref=_REF,
)
GATE_NOTHING_SCORED = rule(
    "gate.nothing-scored",
    "error",
    "No utterance produced a transcript, so nothing could be scored.",
    "A run that measured nothing must not pass.",
    ref=_REF,
)

GATE_TOO_LITTLE_DATA = rule(
    "gate.too-little-data",
    "error",
    "A gate's figure was measured over less than half of the corpus, too little for the gate to hold.",
    "A threshold met by a few survivors says nothing about the server: a run that measured little must not pass.",
    ref=_REF,
)
MIN_COVERAGE = 0.5
"""A gate holds only when its figure was measured over at least this share of the utterances."""


@dataclass(frozen=True)
class Gates:
    """Thresholds; ``None`` (or a missing stage) disables one. ``ignore`` lists rule ids whose
    findings are reported as ignored and do not decide the verdict."""

    max_wer: float | None = 0.15
    max_back_wer: float | None = None
    max_p95_ms: dict[str, float] = field(default_factory=dict)
    max_p99_ms: dict[str, float] = field(default_factory=dict)
    max_failure_rate: float | None = None
    ignore: tuple[str, ...] = ()

    def merged(self, **overrides: Any) -> Gates:
        """These gates with the given non-``None`` values replaced (stage dicts are merged)."""
        changes: dict[str, Any] = {}
        for key, value in overrides.items():
            if value is None:
                continue
            current = getattr(self, key)
            changes[key] = {**current, **value} if isinstance(current, dict) else value
        return replace(self, **changes)


@dataclass(frozen=True)
class GateResult:
    """One gate as checked: its threshold, what was measured, and whether it held."""

    gate: str
    threshold: float
    measured: float | None
    passed: bool
    samples: int | None = None
    """How many utterances the figure was measured over..."""
    of: int | None = None
    """...out of how many in the corpus."""

    @property
    def over(self) -> str:
        """``"over 37 of 38"``, or ``""`` when not known."""
        return "" if self.samples is None or self.of is None else f"over {self.samples} of {self.of}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "over": self.over}


def config_table(path: Path | None, cwd: Path | None = None) -> tuple[dict[str, Any], str]:
    """The table of ``path`` (a TOML file with the keys at top level or under ``[tool.wyoming_rt]``),
    else ``[tool.wyoming_rt]`` in ``cwd/pyproject.toml``, else an empty one; and where it was read."""
    source = path
    if source is None:
        candidate = (cwd or Path.cwd()) / "pyproject.toml"
        source = candidate if candidate.is_file() else None
    if source is None:
        return {}, "config"
    try:
        document = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{source}: cannot read the gates ({exc})") from exc
    table = document.get("tool", {}).get("wyoming_rt", document if path is not None else {})
    return table, str(source)


def load_gates(path: Path | None, cwd: Path | None = None) -> Gates:
    """Gates from ``path``, else from ``[tool.wyoming_rt]`` in ``cwd/pyproject.toml``, else the
    defaults (see `config_table`); the run options the table may also set are `wyoming_rt.run.config`'s."""
    table, where = config_table(path, cwd)
    return gates_from_mapping(table, where, options=[spec.name for spec in options_of(ValidateOptions) if spec.toml])


def gates_from_mapping(table: dict[str, Any], where: str = "config", options: Collection[str] = ()) -> Gates:
    """Gates from a TOML table; unknown keys and stages are errors (a typo must not pass silently).
    Keys in ``options`` are run options set in the same table: left alone here."""
    known = {f.name for f in fields(Gates)}
    unknown = sorted(set(table) - known - set(options))
    if unknown:
        also = f"; options: {', '.join(sorted(options))}" if options else ""
        raise UsageError(f"{where}: unknown gate(s) {', '.join(unknown)} (known: {', '.join(sorted(known))}{also})")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            continue
        if key in ("max_p95_ms", "max_p99_ms"):
            if not isinstance(value, dict) or any(s not in STAGES for s in value):
                raise UsageError(f"{where}: {key} must be a table of stage = ms, stages: {', '.join(STAGES)}")
            values[key] = {stage: _number(where, f"{key}.{stage}", ms) for stage, ms in value.items()}
        elif key == "ignore":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise UsageError(f"{where}: ignore must be a list of rule ids")
            values[key] = tuple(value)
        else:
            values[key] = _number(where, key, value)
    return Gates(**values)


def _number(where: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise UsageError(f"{where}: {key} must be a non-negative number, got {value!r}")
    return float(value)


def apply_gates(report: Report, gates: Gates) -> list[Finding]:
    """Apply the gates: drop ignored findings, check every threshold (kept in
    ``report.gate_results``), and add the gate findings. A failed WER gate also marks each
    utterance above the threshold, so per-utterance outputs (JUnit) show which ones failed it."""
    _ignore(report, gates.ignore)
    results, findings = _check(report, gates)
    report.gate_results = results
    report.run_findings.extend(findings)
    if any(f.rule == GATE_WER.id for f in findings) and gates.max_wer is not None:
        for utterance in report.utterances:
            if utterance.wer is not None and utterance.wer > gates.max_wer:
                found = finding(GATE_WER, f"utterance WER {utterance.wer:.3f} > max {gates.max_wer:g}", utterance.id)
                utterance.findings.append(found)
                findings.append(found)
    report.summary.failed = sum(1 for u in report.utterances if not u.passed)
    return findings


def _ignore(report: Report, ignored: tuple[str, ...]) -> None:
    if not ignored:
        return
    drop = set(ignored)
    kept_run = [f for f in report.run_findings if f.rule not in drop]
    report.ignored_findings = [f for f in report.findings if f.rule in drop]
    report.run_findings = kept_run
    for utterance in report.utterances:
        utterance.findings = [f for f in utterance.findings if f.rule not in drop]
    for negative in report.negatives:
        negative.findings = [f for f in negative.findings if f.rule not in drop]
    report.summary.failed = sum(1 for u in report.utterances if not u.passed)


def _check(report: Report, gates: Gates) -> tuple[list[GateResult], list[Finding]]:
    results: list[GateResult] = []
    findings: list[Finding] = []
    summary = report.summary
    total = summary.utterances

    def check(name: str, threshold: float, measured: float | None, samples: int, rule_: Any, message: str) -> None:
        enough = samples > 0 and samples >= MIN_COVERAGE * total
        held = enough and measured is not None and measured <= threshold
        results.append(GateResult(name, threshold, measured, held, samples, total))
        over = f"over {samples} of {total} utterances"
        if measured is not None and not enough:
            findings.append(
                finding(GATE_TOO_LITTLE_DATA, f"{name}: measured {over}, under {MIN_COVERAGE:.0%}: too little to hold")
            )
        elif measured is not None and not held:
            findings.append(finding(rule_, f"{message} ({over})"))

    if gates.max_wer is not None:
        scored = sum(1 for u in report.utterances if u.score is not None)
        if summary.score.wer is None:
            results.append(GateResult("max_wer", gates.max_wer, None, False, 0, total))
            findings.append(finding(GATE_NOTHING_SCORED, f"no transcript to score (over 0 of {total} utterances)"))
        else:
            check(
                "max_wer",
                gates.max_wer,
                summary.score.wer,
                scored,
                GATE_WER,
                f"corpus WER {summary.score.wer:.3f} > max {gates.max_wer:g}",
            )
    if gates.max_back_wer is not None:
        back = summary.back_score.wer if summary.back_score else None
        backs = sum(1 for u in report.utterances if u.back_score is not None)
        check(
            "max_back_wer",
            gates.max_back_wer,
            back,
            backs,
            GATE_BACK_WER,
            f"back WER {back or 0:.3f} > max {gates.max_back_wer:g}",
        )
    for key, rule_, pick in (("max_p95_ms", GATE_P95, "p95"), ("max_p99_ms", GATE_P99, "p99")):
        for stage, limit in getattr(gates, key).items():
            stats = summary.latency.get(stage)
            measured = getattr(stats, pick) if stats else None
            samples = stats.count if stats else 0
            check(
                f"{key}.{stage}",
                limit,
                measured,
                samples,
                rule_,
                f"{stage} {pick.upper()} {measured or 0:.0f} ms > max {limit:g} ms",
            )
    if gates.max_failure_rate is not None and total:
        rate = summary.failed / total
        check(
            "max_failure_rate",
            gates.max_failure_rate,
            rate,
            total,
            GATE_FAILURE_RATE,
            f"{summary.failed} of {total} utterances failed ({rate:.0%})",
        )
    return results, findings

"""Thresholds a run must meet, turned into findings that decide the verdict.

Gates come from the command line, from a TOML file (``--config FILE``) or from
``[tool.wyoming_rt]`` in the current project's ``pyproject.toml``; the command line wins.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, fields, replace
from typing import Any

from wyoming_rt.records.errors import UsageError
from wyoming_rt.records.findings import Finding, finding
from wyoming_rt.records.gates import GateResult
from wyoming_rt.records.options import did_you_mean
from wyoming_rt.records.rules import (
    GATE_BACK_WER,
    GATE_CPU_PER_AUDIO,
    GATE_FAILURE_RATE,
    GATE_NOTHING_SCORED,
    GATE_P95,
    GATE_P99,
    GATE_RSS,
    GATE_TOO_LITTLE_DATA,
    GATE_WER,
    RULES,
)
from wyoming_rt.report.model import STAGES, Report

MIN_COVERAGE = 0.5
"""A gate holds only when its figure was measured over at least this share of the utterances."""


@dataclass(frozen=True)
class Gates:
    """Thresholds; ``None`` (or a missing stage) disables one. ``ignore`` lists rule ids whose
    findings are reported as ignored and do not decide the verdict (an id that is not in `RULES`
    is a `UsageError`: a misspelt one would ignore nothing)."""

    max_wer: float | None = 0.15
    max_back_wer: float | None = None
    max_p95_ms: dict[str, float] = field(default_factory=dict)
    max_p99_ms: dict[str, float] = field(default_factory=dict)
    max_failure_rate: float | None = None
    max_rss_mb: float | None = None
    """Each server's peak resident memory (MB), where it can be measured (`Report.resources`)."""
    max_cpu_per_audio_s: float | None = None
    """The STT server's CPU-seconds per second of audio in the latency phase."""
    ignore: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [rule for rule in self.ignore if rule not in RULES]
        if unknown:
            hint = did_you_mean(unknown[0], RULES)
            raise UsageError(f"unknown rule {unknown[0]!r} to ignore{hint}; `wyoming-rt rules` lists every rule")

    def percent_like(self) -> list[str]:
        """Warnings for the fraction gates set above 1 (``--max-wer 15`` meant as 15 %): the run
        still uses them as given."""
        return [
            f"{flag} {value:g} looks like a percentage: {what} is a fraction ({value / 100:g} = {value:g} %)"
            for flag, what, value in (
                ("--max-wer", "WER", self.max_wer),
                ("--max-back-wer", "back WER", self.max_back_wer),
                ("--max-failure-rate", "the failure rate", self.max_failure_rate),
            )
            if value is not None and value > 1
        ]

    def merged(self, **overrides: Any) -> Gates:
        """These gates with the given non-``None`` values replaced (stage dicts are merged)."""
        changes: dict[str, Any] = {}
        for key, value in overrides.items():
            if value is None:
                continue
            current = getattr(self, key)
            changes[key] = {**current, **value} if isinstance(current, dict) else value
        return replace(self, **changes)


ALIASES = {"max_p95": "max_p95_ms", "max_p99": "max_p99_ms"}
"""TOML keys spelt as the command line's flags (``--max-p95 STAGE=MS``): the same gate."""


def gates_from_mapping(table: dict[str, Any], where: str = "config", options: Collection[str] = ()) -> Gates:
    """Gates from a TOML table; unknown keys, stages and rule ids are errors (a typo must not pass
    silently). ``max_p95`` / ``max_p99`` are the same tables as ``max_p95_ms`` / ``max_p99_ms``, and
    ``max_p95_ms = MS`` (a number) is the round trip's, as ``--max-p95-ms MS`` is. Keys in
    ``options`` are run options set in the same table: left alone here."""
    known = {f.name for f in fields(Gates)}
    unknown = sorted(set(table) - known - set(ALIASES) - set(options))
    if unknown:
        also = f"; options: {', '.join(sorted(options))}" if options else ""
        names = sorted({*known, *ALIASES})
        hint = did_you_mean(unknown[0], [*names, *options])
        raise UsageError(f"{where}: unknown gate(s) {', '.join(unknown)} (known: {', '.join(names)}{also}){hint}")
    for alias, key in ALIASES.items():
        if alias in table and key in table:
            raise UsageError(f"{where}: {alias} and {key} are the same gate: set one of them")
    values: dict[str, Any] = {}
    for given, value in table.items():
        key = ALIASES.get(given, given)
        if key not in known:
            continue
        if key in ("max_p95_ms", "max_p99_ms"):
            if given == key and isinstance(value, (int, float)) and not isinstance(value, bool):
                value = {"round_trip": value}  # as --max-p95-ms MS
            if not isinstance(value, dict) or any(s not in STAGES for s in value):
                raise UsageError(f"{where}: {given} must be a table of stage = ms, stages: {', '.join(STAGES)}")
            values[key] = {stage: _number(where, f"{given}.{stage}", ms) for stage, ms in value.items()}
        elif key == "ignore":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise UsageError(f"{where}: ignore must be a list of rule ids")
            values[key] = tuple(value)
        else:
            values[key] = _number(where, key, value)
    try:
        return Gates(**values)
    except UsageError as exc:
        raise UsageError(f"{where}: {exc}") from exc


def _number(where: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise UsageError(f"{where}: {key} must be a non-negative number, got {value!r}")
    return float(value)


def apply_gates(report: Report, gates: Gates) -> Report:
    """The report with the gates applied (``report`` itself is not changed): ignored findings
    set apart, every threshold checked (``gate_results``), and the gate findings added. A failed
    WER gate also marks each utterance above the threshold, so per-utterance outputs (JUnit)
    show which ones failed it."""
    report = _without_ignored(report, gates.ignore)
    results, findings = _check(report, gates)
    utterances = report.utterances
    max_wer = gates.max_wer
    if any(f.rule == GATE_WER.id for f in findings) and max_wer is not None:
        utterances = [
            replace(u, findings=[*u.findings, finding(GATE_WER, f"utterance WER {u.wer:.3f} > max {max_wer:g}", u.id)])
            if u.wer is not None and u.wer > max_wer
            else u
            for u in utterances
        ]
    return _with_failed(
        replace(report, utterances=utterances, run_findings=[*report.run_findings, *findings], gate_results=results)
    )


def _with_failed(report: Report) -> Report:
    """``report`` with ``summary.failed`` counted again from its utterances."""
    return replace(report, summary=replace(report.summary, failed=sum(1 for u in report.utterances if not u.passed)))


def _without_ignored(report: Report, ignored: tuple[str, ...]) -> Report:
    if not ignored:
        return report
    drop = set(ignored)

    def kept(found: list[Finding]) -> list[Finding]:
        return [f for f in found if f.rule not in drop]

    return _with_failed(
        replace(
            report,
            run_findings=kept(report.run_findings),
            ignored_findings=[f for f in report.findings if f.rule in drop],
            utterances=[replace(u, findings=kept(u.findings)) for u in report.utterances],
            negatives=[replace(n, findings=kept(n.findings)) for n in report.negatives],
        )
    )


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
    if gates.max_rss_mb is not None:
        for role in ("stt", "tts"):
            peak = report.resources[role].rss_peak_mb if role in report.resources else None
            _resource_gate(results, findings, f"max_rss_mb.{role}", gates.max_rss_mb, peak, report, role, GATE_RSS,
                           f"{role.upper()} server's peak memory {peak or 0:.0f} MB > max {gates.max_rss_mb:g} MB")  # fmt: skip
    if gates.max_cpu_per_audio_s is not None:
        stt = report.resources.get("stt")
        latency = stt.phase("latency") if stt is not None else None
        per_audio = latency.cpu_per_work_s if latency is not None else None
        _resource_gate(results, findings, "max_cpu_per_audio_s", gates.max_cpu_per_audio_s, per_audio, report, "stt",
                       GATE_CPU_PER_AUDIO,
                       f"STT server used {per_audio or 0:.3f} CPU-s per second of audio > max {gates.max_cpu_per_audio_s:g}")  # fmt: skip
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


def _resource_gate(
    results: list[GateResult], findings: list[Finding], name: str, threshold: float, measured: float | None,
    report: Report, role: str, rule_: Any, message: str,
) -> None:  # fmt: skip
    """A gate on what a server cost: it fails when the figure is above the threshold, and also
    when the figure could not be measured (a gate that cannot be checked must not pass)."""
    total = report.summary.utterances
    held = measured is not None and measured <= threshold
    results.append(GateResult(name, threshold, measured, held, total if measured is not None else 0, total))
    if measured is None:
        resources = report.resources.get(role)
        why = resources.unavailable if resources is not None and resources.unavailable else "not sampled"
        findings.append(finding(GATE_TOO_LITTLE_DATA, f"{name}: the {role.upper()} server's figure was not measured ({why})"))
    elif not held:
        findings.append(finding(rule_, message))

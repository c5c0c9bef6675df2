"""Thresholds a run must meet, turned into findings that decide the verdict."""

from __future__ import annotations

from dataclasses import dataclass

from .findings import Finding, finding, rule
from .report.model import Report

GATE_WER = rule(
    "gate.max-wer",
    "error",
    "Corpus word error rate (normalised) is above --max-wer.",
    "The STT server misunderstands more than the threshold allows.",
    ref="wyoming-rt gates (CLI thresholds)",
)
GATE_P95 = rule(
    "gate.max-p95-ms",
    "error",
    "Round-trip P95 latency is above --max-p95-ms.",
    "Users wait longer than the threshold allows.",
    ref="wyoming-rt gates (CLI thresholds)",
)
GATE_NOTHING_SCORED = rule(
    "gate.nothing-scored",
    "error",
    "No utterance produced a transcript, so nothing could be scored.",
    "A run that measured nothing must not pass.",
    ref="wyoming-rt gates (CLI thresholds)",
)


@dataclass(frozen=True)
class Gates:
    """Thresholds; ``None`` disables one."""

    max_wer: float | None = 0.15
    max_p95_ms: float | None = None


def apply_gates(report: Report, gates: Gates) -> list[Finding]:
    """Apply the gates to the report: corpus-level findings go to ``report.run_findings``; when
    the WER gate fails, each utterance above the threshold also gets the finding, so that
    per-utterance outputs (JUnit) show which ones failed it. Returns every gate finding."""
    findings = _corpus_gates(report, gates)
    report.run_findings.extend(findings)
    if any(f.rule == GATE_WER.id for f in findings) and gates.max_wer is not None:
        for utterance in report.utterances:
            if utterance.wer is not None and utterance.wer > gates.max_wer:
                found = finding(GATE_WER, f"utterance WER {utterance.wer:.3f} > max {gates.max_wer:g}", utterance.id)
                utterance.findings.append(found)
                findings.append(found)
        report.summary.failed = sum(1 for u in report.utterances if not u.passed)
    return findings


def _corpus_gates(report: Report, gates: Gates) -> list[Finding]:
    findings: list[Finding] = []
    wer = report.summary.score.wer
    if gates.max_wer is not None:
        if wer is None:
            findings.append(finding(GATE_NOTHING_SCORED, "no transcript to score"))
        elif wer > gates.max_wer:
            findings.append(finding(GATE_WER, f"corpus WER {wer:.3f} > max {gates.max_wer:g}"))
    round_trip = report.summary.latency.get("round_trip")
    if gates.max_p95_ms is not None and round_trip is not None and round_trip.p95 > gates.max_p95_ms:
        findings.append(finding(GATE_P95, f"round-trip P95 {round_trip.p95:.0f} ms > max {gates.max_p95_ms:g} ms"))
    return findings

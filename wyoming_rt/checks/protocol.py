"""Protocol findings: the server's info, failed operations, and rules over event traces."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wyoming_rt.checks.trace_rules import SttCapabilities, check_compat_answered, check_stt_trace, check_tts_trace
from wyoming_rt.records.errors import FramingError, WyomingRTError
from wyoming_rt.records.findings import Finding, Rule, finding
from wyoming_rt.records.info import installed, stt_languages, tts_languages
from wyoming_rt.records.language import lists_language
from wyoming_rt.records.results import ProbeName, ProbeOutcome
from wyoming_rt.records.rules import (
    INFO_LANGUAGE_NOT_LISTED,
    INFO_NO_ASR,
    INFO_NO_TTS,
    INFO_SLOW,
    INFO_SLOW_WHILE_BUSY,
    INFO_TTS_LANGUAGE_NOT_LISTED,
    INFO_UNPARSEABLE,
    INFO_VOICE_UNUSABLE,
    PROBE_EMPTY_AUDIO,
    PROBE_EMPTY_TEXT,
    PROBE_UNKNOWN_EVENT,
    STT_EARLY_STOP_UNANSWERED,
    STT_NO_ENDPOINTING,
    TTS_ERROR_THEN_HANG,
    failure_rule,
    framing_rule,
)

_PROBE_RULES: dict[str, Rule] = {
    ProbeName.UNKNOWN_EVENT: PROBE_UNKNOWN_EVENT,
    ProbeName.EMPTY_AUDIO: PROBE_EMPTY_AUDIO,
    ProbeName.EMPTY_TEXT: PROBE_EMPTY_TEXT,
    ProbeName.OWN_ENDPOINTING: STT_NO_ENDPOINTING,
    ProbeName.EARLY_STOP: STT_EARLY_STOP_UNANSWERED,
}
"""The rule each tolerance probe breaks when it fails."""


def check_probes(outcomes: Sequence[ProbeOutcome], stt_caps: SttCapabilities | None = None) -> list[Finding]:
    """Findings for the probes (`wyoming_rt.run.probes`): failed tolerance probes,
    trace rules over every probe trace, unusable voices, describe while busy."""
    findings = [
        finding(_PROBE_RULES[o.name], f"{o.role.upper()} server: {o.detail}")
        for o in outcomes
        if not o.ok and o.name in _PROBE_RULES
    ]
    for outcome in outcomes:
        for trace in outcome.traces:
            findings.extend(check_stt_trace(trace, stt_caps) if outcome.role == "stt" else check_tts_trace(trace))
        if outcome.name == ProbeName.DESCRIBE_WHILE_BUSY and not outcome.ok:
            findings.append(finding(INFO_SLOW_WHILE_BUSY, f"{outcome.role.upper()} server: {outcome.detail}"))
        if outcome.name == ProbeName.TTS_LINGER and outcome.measures.get("plain_s") and outcome.measures.get("streaming_s"):
            findings.extend(check_compat_answered(outcome.measures["plain_s"], outcome.measures["streaming_s"]))
    hung = [o.detail for o in outcomes if ProbeName.is_voice(o.name) and o.measures.get("error_kind") == "error-then-hang"]
    if hung:  # a fault of its own, whichever voice showed it (old wyoming-piper on a voice it lacks)
        findings.append(finding(TTS_ERROR_THEN_HANG, f"asked for an advertised voice: {hung[0]}"))
    unusable = [o.detail for o in outcomes if ProbeName.is_voice(o.name) and not o.ok]
    # Judge voices only when the server speaks at all without one: otherwise it is the round trips' finding.
    speaks = any(o.name == ProbeName.TTS_LINGER and o.measures.get("plain_s") for o in outcomes)
    if unusable and speaks:
        tried = sum(1 for o in outcomes if ProbeName.is_voice(o.name))
        findings.append(
            finding(INFO_VOICE_UNUSABLE, f"{len(unusable)} of {tried} advertised voices tried failed: {'; '.join(unusable)}")
        )
    return _unique(findings)


def _unique(findings: list[Finding]) -> list[Finding]:
    """One global finding per rule and message (probes can see the same fault twice)."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for f in findings:
        if (f.rule, f.message) not in seen:
            seen.add((f.rule, f.message))
            kept.append(f)
    return kept


def failure_finding(stage: str, error: WyomingRTError, utterance: str | None = None) -> Finding:
    """The finding for an operation that failed with ``error``."""
    if isinstance(error, FramingError):
        return finding(framing_rule(error.reason), f"{stage.upper()}: {error}", utterance)
    return finding(failure_rule(stage, error.kind), str(error), utterance)


def check_stt_info(info_data: dict[str, Any], parse_error: str | None, language: str | None = None) -> list[Finding]:
    """Rules for the info an STT server advertises; with ``language``, that HA would offer the
    server for it."""
    if parse_error:
        return [finding(INFO_UNPARSEABLE, f"STT info: {parse_error}")]
    if not any(installed(p, "models") for p in installed(info_data, "asr")):
        return [finding(INFO_NO_ASR, "STT info has no installed asr program with an installed model")]
    listed = stt_languages(info_data) or []
    if language is not None and not lists_language(listed, language):
        return [finding(INFO_LANGUAGE_NOT_LISTED, f"asked for {language!r}; the STT server's models list {_some(listed)}")]
    return []


def check_tts_info(info_data: dict[str, Any], parse_error: str | None, language: str | None = None) -> list[Finding]:
    """Rules for the info a TTS server advertises; with ``language``, that it has a voice in it."""
    if parse_error:
        return [finding(INFO_UNPARSEABLE, f"TTS info: {parse_error}")]
    if not any(installed(p, "voices") for p in installed(info_data, "tts")):
        return [finding(INFO_NO_TTS, "TTS info has no installed tts program with an installed voice")]
    listed = tts_languages(info_data) or []
    if language is not None and not lists_language(listed, language):
        message = f"the run is in {language!r}; the TTS server's voices speak {_some(listed)}"
        return [finding(INFO_TTS_LANGUAGE_NOT_LISTED, message)]
    return []


SHOWN_LANGUAGES = 8


def _some(tags: list[str]) -> str:
    """A few language tags for a message: ``'de', 'en' and 3 more``; ``no language`` for none."""
    if not tags:
        return "no language"
    shown = ", ".join(repr(t[:16]) for t in tags[:SHOWN_LANGUAGES])
    return shown + (f" and {len(tags) - SHOWN_LANGUAGES} more" if len(tags) > SHOWN_LANGUAGES else "")


def check_describe_attempts(role: str, attempts: int, failures: list[str]) -> list[Finding]:
    if attempts <= 1:
        return []
    return [finding(INFO_SLOW, f"{role} server answered describe on attempt {attempts}: {failures[0]}")]

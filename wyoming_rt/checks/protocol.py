"""Protocol findings: the server's info, failed operations, and rules over event traces."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import WyomingRTError
from ..findings import Finding, Rule, finding, rule
from ..trace import Trace

INFO_UNPARSEABLE = rule(
    "info.unparseable",
    "error",
    "The info event does not parse as wyoming's Info (a required field is missing or mistyped).",
    "HA parses info with the wyoming library; a TypeError there makes the integration's setup fail.",
)
INFO_NO_ASR = rule(
    "info.no-asr-program",
    "error",
    "The STT server's info lists no installed asr program with an installed model.",
    "HA uses the first asr program and the languages of its installed models; without one, setup fails.",
)
INFO_NO_TTS = rule(
    "info.no-tts-program",
    "error",
    "The TTS server's info lists no installed tts program with an installed voice.",
    "HA uses the first installed tts program and offers only installed voices.",
)
INFO_SLOW = rule(
    "info.slow",
    "error",
    "describe was answered only after a retry (HA allows 1 s per attempt).",
    "HA retries describe 4 times with 1 s timeouts; a server that needs retries delays setup and fails under load.",
)


def _operation_rules(stage: str, label: str) -> dict[str, Rule]:
    return {
        "connect": rule(f"{stage}.connect", "error", f"The {label} server could not be reached.", "HA reports the service unavailable."),
        "timeout": rule(
            f"{stage}.timeout",
            "error",
            f"The {label} answer did not complete within the watchdog timeout.",
            "HA has no read timeout here: a server that stalls leaves the user waiting forever.",
        ),
        "closed": rule(
            f"{stage}.closed",
            "error",
            f"The {label} server closed the connection before its final event.",
            "HA treats a close before the final event as a failed request.",
        ),
        "error-event": rule(
            f"{stage}.error-event",
            "error",
            f"The {label} server answered with an error event.",
            "Current HA fails the request on an error event.",
        ),
        "framing": rule(
            f"{stage}.framing",
            "error",
            f"The {label} server sent bytes that are not a valid Wyoming frame.",
            "The reference reader treats bad JSON as a closed connection and a short block as a crash.",
        ),
        "protocol": rule(
            f"{stage}.invalid-event",
            "error",
            f"The {label} server sent an event whose fields are invalid.",
            "HA's wyoming classes raise on missing required fields.",
        ),
    }


STT_FAILURE_RULES = _operation_rules("stt", "STT")
TTS_FAILURE_RULES = _operation_rules("tts", "TTS")

STT_EMPTY_TRANSCRIPT = rule(
    "stt.empty-transcript",
    "error",
    "The transcript of a spoken utterance is empty.",
    "HA reports 'no text recognised'; the round trip cannot continue.",
)
STT_HALLUCINATION = rule(
    "stt.hallucination",
    "warning",
    "The STT server returned words for a clip with no speech (silence or noise).",
    "HA acts on invented text (\"You\", \"Thank you for watching!\"): a wrong intent, or a reply to nobody.",
)
TTS_NO_STOPPED = rule(
    "tts.synthesize-stopped-missing",
    "warning",
    "A streaming TTS answer ended with a close instead of synthesize-stopped.",
    "HA ends at EOF too, but a server that neither closes nor sends synthesize-stopped hangs HA.",
)


PROBE_UNKNOWN_EVENT = rule(
    "probe.unknown-event",
    "error",
    "After an event type it does not know, the server closed the connection or stopped answering.",
    "The protocol grows (select-program, transcript-chunk, ...): servers must ignore unknown types, or newer HA breaks them.",
)
PROBE_EMPTY_AUDIO = rule(
    "stt.empty-audio-unanswered",
    "error",
    "audio-start then audio-stop with no audio got no transcript.",
    "HA sends that when the user says nothing; without a transcript HA stays 'listening' (wyoming_openai issue 18).",
)
PROBE_EMPTY_TEXT = rule(
    "tts.empty-text-unanswered",
    "error",
    "A synthesize of empty text got no final event (audio-stop / synthesize-stopped).",
    "HA waits for the end of the answer without a timeout: the request hangs.",
)
_PROBE_RULES = {"unknown-event": PROBE_UNKNOWN_EVENT, "empty-audio": PROBE_EMPTY_AUDIO, "empty-text": PROBE_EMPTY_TEXT}


def check_probes(outcomes: Sequence[Any]) -> list[Finding]:
    """Findings for the tolerance probes that failed (`wyoming_rt.probes.ProbeOutcome`)."""
    return [
        finding(_PROBE_RULES[o.name], f"{o.role.upper()} server: {o.detail}")
        for o in outcomes
        if not o.ok and o.name in _PROBE_RULES
    ]


def failure_finding(stage: str, error: WyomingRTError, utterance: str | None = None) -> Finding:
    """The finding for an operation that failed with ``error``."""
    rules = STT_FAILURE_RULES if stage == "stt" else TTS_FAILURE_RULES
    rule_ = rules.get(error.kind, rules["protocol"])
    return finding(rule_, str(error), utterance)


def check_stt_info(info_data: dict[str, Any], parse_error: str | None) -> list[Finding]:
    """Rules for the info an STT server advertises."""
    if parse_error:
        return [finding(INFO_UNPARSEABLE, f"STT info: {parse_error}")]
    programs = [p for p in info_data.get("asr") or [] if isinstance(p, dict) and p.get("installed")]
    if not any(any(isinstance(m, dict) and m.get("installed") for m in p.get("models") or []) for p in programs):
        return [finding(INFO_NO_ASR, "STT info has no installed asr program with an installed model")]
    return []


def check_tts_info(info_data: dict[str, Any], parse_error: str | None) -> list[Finding]:
    """Rules for the info a TTS server advertises."""
    if parse_error:
        return [finding(INFO_UNPARSEABLE, f"TTS info: {parse_error}")]
    programs = [p for p in info_data.get("tts") or [] if isinstance(p, dict) and p.get("installed")]
    if not any(any(isinstance(v, dict) and v.get("installed") for v in p.get("voices") or []) for p in programs):
        return [finding(INFO_NO_TTS, "TTS info has no installed tts program with an installed voice")]
    return []


def check_describe_attempts(role: str, attempts: int, failures: list[str]) -> list[Finding]:
    if attempts <= 1:
        return []
    return [finding(INFO_SLOW, f"{role} server answered describe on attempt {attempts}: {failures[0]}")]


def check_tts_trace(trace: Trace, utterance: str | None = None) -> list[Finding]:
    """Trace rules for one completed TTS answer."""
    if trace.operation == "tts-streaming" and trace.ended == "closed":
        return [finding(TTS_NO_STOPPED, "the server closed the stream without synthesize-stopped", utterance)]
    return []

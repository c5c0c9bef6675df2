"""Protocol findings: the server's info, failed operations, and rules over event traces."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wyoming_rt.checks.trace_rules import SttCapabilities, check_compat_answered, check_stt_trace, check_tts_trace
from wyoming_rt.records.errors import FramingError, WyomingRTError
from wyoming_rt.records.findings import Finding, Rule, finding, rule
from wyoming_rt.records.info import installed

INFO_UNPARSEABLE = rule(
    "info.unparseable",
    "error",
    "The info event does not parse as wyoming's Info (a required field is missing or mistyped).",
    "HA parses info with the wyoming library; a TypeError there makes the integration's setup fail.",
    ref="Info model: required fields (wyoming info.py, Info.from_event)",
)
INFO_NO_ASR = rule(
    "info.no-asr-program",
    "error",
    "The STT server's info lists no installed asr program with an installed model.",
    "HA uses the first asr program and the languages of its installed models; without one, setup fails.",
    ref="HA data.py: info.asr[0] and its installed models",
)
INFO_NO_TTS = rule(
    "info.no-tts-program",
    "error",
    "The TTS server's info lists no installed tts program with an installed voice.",
    "HA uses the first installed tts program and offers only installed voices.",
    ref="HA data.py / tts.py: the first installed tts program",
)
INFO_NO_ANSWER = rule(
    "info.no-answer",
    "error",
    "The server accepted connections but never answered describe (every attempt timed out).",
    "HA cannot set the integration up: it describes before anything else and gives up after its attempts.",
    ref="HA data.py load_wyoming_info: describe timeout per attempt, 4 attempts, 2 s apart",
)
INFO_SLOW = rule(
    "info.slow",
    "error",
    "describe was answered only after a retry (HA allows 5 s per attempt; 2026.2 allowed 1 s).",
    "HA retries describe 4 times; a server that needs retries delays setup and fails under load.",
    ref="HA data.py load_wyoming_info: 5 s per attempt in 2026.11 (1 s in 2026.2), 4 attempts, 2 s apart",
)


def _operation_rules(stage: str, label: str) -> dict[str, Rule]:
    ref = (
        "HA stt.py: a new connection per utterance, read until transcript"
        if stage == "stt"
        else "HA tts.py: a new connection per request, read until audio-stop / synthesize-stopped"
    )
    return {
        "connect": rule(
            f"{stage}.connect",
            "error",
            f"The {label} server could not be reached.",
            "HA reports the service unavailable.",
            ref=ref,
        ),
        "timeout": rule(
            f"{stage}.timeout",
            "error",
            f"The {label} answer did not complete within the watchdog timeout.",
            "HA has no read timeout here: a server that stalls leaves the user waiting forever.",
            ref=ref,
        ),
        "closed": rule(
            f"{stage}.closed",
            "error",
            f"The {label} server closed the connection before its final event.",
            "HA treats a close before the final event as a failed request.",
            ref=ref,
        ),
        "error-event": rule(
            f"{stage}.error-event",
            "error",
            f"The {label} server answered with an error event.",
            "Current HA fails the request on an error event.",
            ref=ref,
        ),
        "error-then-hang": rule(
            f"{stage}.error-then-hang",
            "error",
            f"After an error event the {label} server neither closed the connection nor ended its answer.",
            "HA 2026.2 ignores the error and waits for the answer without a timeout: the request hangs for ever "
            "(wyoming-piper 1.6.3 on wyoming 1.7.2 does this for a voice it lacks). Close the connection after an error.",
            ref="HA 2026.2 stt.py / tts.py: error events skipped, no read timeout (docs/ha-fidelity.md)",
        ),
        "over-budget": rule(
            f"{stage}.over-budget",
            "error",
            f"The {label} answer went over the validator's budget (audio seconds or bytes, or events in one answer); "
            "the rest was read and dropped, not kept.",
            "HA keeps reading without a limit: an answer without end grows its memory until the request or HA fails.",
            ref=ref,
        ),
        "not-sent": rule(
            f"{stage}.not-sent",
            "error",
            f"The {label} request was not sent: the server had stopped answering (it timed out, then did not answer "
            "describe, or timed out on three trial requests in a row after pauses).",
            "A server that stops answering leaves every HA user waiting; one watchdog per request would only make the run longer.",
            ref=ref,
        ),
    }


FRAMING_RULES: dict[str, Rule] = {
    "bad-header": rule(
        "framing.bad-header",
        "error",
        "A header line is not a UTF-8 JSON object with a string 'type'.",
        "The reference reader treats bad JSON as a closed connection: HA sees the request fail for no stated reason.",
        ref="Wire format: header line, data_length/payload_length blocks (wyoming event.py)",
    ),
    "bad-length": rule(
        "framing.bad-length",
        "error",
        "data_length/payload_length is not a non-negative integer, or does not match the block that follows.",
        "A lying length desynchronises the stream: every later event is read from the wrong offset.",
        ref="Wire format: header line, data_length/payload_length blocks (wyoming event.py)",
    ),
    "oversize": rule(
        "framing.oversize",
        "error",
        "A header line over 64 KiB, a data block over 1 MiB or a payload over 16 MiB.",
        "The reference reader's readline stops at 64 KiB (asyncio's limit); HA drops the connection.",
        ref="Wire format: header line, data_length/payload_length blocks (wyoming event.py)",
    ),
    "truncated": rule(
        "framing.truncated",
        "error",
        "The connection closed in the middle of a frame (header, data block or payload cut short).",
        "The reference reader raises an uncaught IncompleteReadError: HA logs a traceback and the request fails.",
        ref="Wire format: header line, data_length/payload_length blocks (wyoming event.py)",
    ),
}

STT_FAILURE_RULES = {
    **_operation_rules("stt", "STT"),
    "protocol": rule(
        "stt.invalid-event",
        "error",
        "The STT server sent a transcript whose fields are invalid (no text).",
        "HA's wyoming classes raise on missing required fields.",
        ref="wyoming asr.py Transcript: text is required",
    ),
}
TTS_FAILURE_RULES = {
    **_operation_rules("tts", "TTS"),
    "error-then-audio": rule(
        "tts.error-then-audio",
        "error",
        "The TTS server sent an error event and then audio in the same answer.",
        "HA 2026.11 fails the request at the error, so the audio that follows is never played (HA 2026.2 "
        "ignored the error and played it). Send an error only when no audio follows.",
        ref="HA 2026.11 tts.py: an error event fails the request (docs/ha-fidelity.md)",
    ),
}

STT_EMPTY_TRANSCRIPT = rule(
    "stt.empty-transcript",
    "error",
    "The transcript of a spoken utterance is empty.",
    "HA reports 'no text recognised'; the round trip cannot continue.",
    ref="HA stt.py: empty transcript text means 'no text recognised'",
)
STT_HALLUCINATION = rule(
    "stt.hallucination",
    "warning",
    "The STT server returned words for a clip with no speech (silence or noise).",
    'HA acts on invented text ("You", "Thank you for watching!"): a wrong intent, or a reply to nobody.',
    ref="Assist pipeline: the transcript is acted on as a command",
)

BACK_TRANSCRIPTION_FAILED = rule(
    "back.failed",
    "warning",
    "The validator's own back transcription of the TTS audio failed (it is not a request HA makes).",
    "Only the back WER of that utterance is missing; its own STT and TTS requests are judged on their own.",
    ref="wyoming-rt back WER: the TTS audio transcribed by the STT server",
)
ANALYSIS_DEADLINE = rule(
    "analysis.deadline",
    "warning",
    "The per-utterance analysis (audio checks, WER/CER) did not finish within its deadline.",
    "The utterances it names were sent and timed but not analysed: their audio and scores are missing "
    "(a slow machine makes this likelier; the deadline is `ValidateOptions.analysis_deadline_s`).",
    ref="wyoming-rt budgets (docs/checks.md)",
)
SCORE_CAPPED = rule(
    "score.capped",
    "warning",
    "A transcript (or the back transcript) is longer than the validator scores: WER/CER cover its first 5,000 characters.",
    "A spoken command has a short transcript; thousands of characters are invented text, and aligning them whole "
    "would take minutes.",
    ref="wyoming-rt scoring budget (docs/checks.md)",
)
WARM_UP_SLOW = rule(
    "warmup.slow",
    "warning",
    "A warm-up request (the first requests after the server started, not measured) did not finish within the watchdog.",
    "After a restart HA users wait this long for their first answer. On a busy or slow machine this can be the "
    "machine rather than the server.",
    ref="wyoming-rt warm-up phase: the first requests are not measured",
)

PROBE_UNKNOWN_EVENT = rule(
    "probe.unknown-event",
    "error",
    "After an event type it does not know, the server closed the connection or stopped answering.",
    "The protocol grows (select-program, transcript-chunk, ...): servers must ignore unknown types, or newer HA breaks them.",
    ref="Protocol growth: servers ignore unknown event types (select-program, wyoming 1.10)",
)
PROBE_EMPTY_AUDIO = rule(
    "stt.empty-audio-unanswered",
    "error",
    "audio-start then audio-stop with no audio got no transcript.",
    "HA sends that when the user says nothing; without a transcript HA stays 'listening' (wyoming_openai issue 18).",
    ref="HA stt.py: transcribe, audio-start, audio-stop, read until transcript",
)
PROBE_EMPTY_TEXT = rule(
    "tts.empty-text-unanswered",
    "error",
    "A synthesize of empty text got no final event (audio-stop / synthesize-stopped).",
    "HA waits for the end of the answer without a timeout: the request hangs.",
    ref="HA tts.py: read until audio-stop / synthesize-stopped",
)
INFO_SLOW_WHILE_BUSY = rule(
    "info.slow-while-busy",
    "warning",
    "describe was not answered within HA's describe timeout (5 s; 1 s in 2026.2 mode) while the server was busy "
    "with a long request.",
    "HA describes on setup, on reload and (2026.11) every 30 s with that timeout; a server that blocks its event "
    "loop while working goes unavailable whenever another client is being served.",
    ref="HA data.py load_wyoming_info: 5 s per attempt in 2026.11 (1 s in 2026.2), 4 attempts, 2 s apart",
)
INFO_VOICE_UNUSABLE = rule(
    "info.voice-unusable",
    "error",
    "A voice the info advertises as installed returns no audio when HA asks for it.",
    "HA offers every installed voice in its voice picker; a user who picks a broken one gets silence or an error "
    "(wyoming-piper issue 34, HA core issue 178560).",
    ref="HA tts.py: every installed voice is offered; synthesize.voice.name",
)
STT_NO_ENDPOINTING = rule(
    "stt.no-endpointing",
    "error",
    "The STT server says requires_external_vad: false, but sent no transcript on trailing silence before audio-stop.",
    "HA 2026.11 runs no voice detector for such a server: it waits for the server to end the utterance, so the "
    "user keeps being listened to until some other timeout ends the stream.",
    ref="wyoming info.py AsrProgram.requires_external_vad (1.10); HA 2026.11 assist pipeline (docs/ha-fidelity.md)",
)
STT_EARLY_STOP_UNANSWERED = rule(
    "stt.early-stop-unanswered",
    "error",
    "An STT server with its own voice detection got no transcript out when the client sent audio-stop early.",
    "The user or the satellite can end the stream before the server's endpointer does (a button, a timeout): "
    "HA then waits for a transcript that never comes.",
    ref="wyoming info.py AsrProgram.requires_external_vad (1.10); HA stt.py: read until transcript",
)
_PROBE_RULES = {
    "unknown-event": PROBE_UNKNOWN_EVENT, "empty-audio": PROBE_EMPTY_AUDIO, "empty-text": PROBE_EMPTY_TEXT,
    "own-endpointing": STT_NO_ENDPOINTING, "early-stop": STT_EARLY_STOP_UNANSWERED,
}  # fmt: skip


def check_probes(outcomes: Sequence[Any], stt_caps: SttCapabilities | None = None) -> list[Finding]:
    """Findings for the probes (`wyoming_rt.run.probes.ProbeOutcome`): failed tolerance probes,
    trace rules over every probe trace, unusable voices, describe while busy."""
    findings = [
        finding(_PROBE_RULES[o.name], f"{o.role.upper()} server: {o.detail}")
        for o in outcomes
        if not o.ok and o.name in _PROBE_RULES
    ]
    for outcome in outcomes:
        for trace in outcome.traces:
            findings.extend(check_stt_trace(trace, stt_caps) if outcome.role == "stt" else check_tts_trace(trace))
        if outcome.name == "describe-while-busy" and not outcome.ok:
            findings.append(finding(INFO_SLOW_WHILE_BUSY, f"{outcome.role.upper()} server: {outcome.detail}"))
        if outcome.name == "tts-linger" and outcome.measures.get("plain_s") and outcome.measures.get("streaming_s"):
            findings.extend(check_compat_answered(outcome.measures["plain_s"], outcome.measures["streaming_s"]))
    hung = [o.detail for o in outcomes if o.name.startswith("voice:") and o.measures.get("error_kind") == "error-then-hang"]
    if hung:  # a fault of its own, whichever voice showed it (old wyoming-piper on a voice it lacks)
        findings.append(finding(TTS_FAILURE_RULES["error-then-hang"], f"asked for an advertised voice: {hung[0]}"))
    unusable = [o.detail for o in outcomes if o.name.startswith("voice:") and not o.ok]
    # Judge voices only when the server speaks at all without one: otherwise it is the round trips' finding.
    speaks = any(o.name == "tts-linger" and o.measures.get("plain_s") for o in outcomes)
    if unusable and speaks:
        tried = sum(1 for o in outcomes if o.name.startswith("voice:"))
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
        return finding(FRAMING_RULES[error.reason], f"{stage.upper()}: {error}", utterance)
    rules = STT_FAILURE_RULES if stage == "stt" else TTS_FAILURE_RULES
    rule_ = rules.get(error.kind) or rules.get("protocol") or rules["closed"]  # TTS has no invalid-event case
    return finding(rule_, str(error), utterance)


def check_stt_info(info_data: dict[str, Any], parse_error: str | None) -> list[Finding]:
    """Rules for the info an STT server advertises."""
    if parse_error:
        return [finding(INFO_UNPARSEABLE, f"STT info: {parse_error}")]
    if not any(installed(p, "models") for p in installed(info_data, "asr")):
        return [finding(INFO_NO_ASR, "STT info has no installed asr program with an installed model")]
    return []


def check_tts_info(info_data: dict[str, Any], parse_error: str | None) -> list[Finding]:
    """Rules for the info a TTS server advertises."""
    if parse_error:
        return [finding(INFO_UNPARSEABLE, f"TTS info: {parse_error}")]
    if not any(installed(p, "voices") for p in installed(info_data, "tts")):
        return [finding(INFO_NO_TTS, "TTS info has no installed tts program with an installed voice")]
    return []


def check_describe_attempts(role: str, attempts: int, failures: list[str]) -> list[Finding]:
    if attempts <= 1:
        return []
    return [finding(INFO_SLOW, f"{role} server answered describe on attempt {attempts}: {failures[0]}")]

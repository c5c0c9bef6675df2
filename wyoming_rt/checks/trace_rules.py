"""Conformance rules over the recorded event trace of one STT or TTS operation.

Each check reads a `Trace` (what was sent and received, in order, with times) and returns
findings; it never talks to a server. Rules about events *after* the final one only fire on
traces recorded with ``linger_s > 0`` (the conformance probes), since HA closes at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wyoming_rt.checks.scoring import MAX_SCORED_CHARS, normalize
from wyoming_rt.records.findings import Finding, finding
from wyoming_rt.records.info import entries
from wyoming_rt.records.rules import (
    STT_MULTIPLE_TRANSCRIPTS,
    STT_STREAM_DISAGREES,
    STT_STREAM_ORDER,
    STT_STREAM_UNADVERTISED,
    STT_TRANSCRIPT_BEFORE_AUDIO_STOP,
    TTS_COMPAT_ANSWERED_TWICE,
    TTS_NO_STOPPED,
    TTS_SEGMENTS_UNBALANCED,
    TTS_STOPPED_NOT_LAST,
)
from wyoming_rt.records.trace import Trace, TraceEntry

TWICE_DURATION_RATIO = 1.6
"""Streaming audio this many times longer than the plain answer to the same text means the text was spoken twice."""


@dataclass(frozen=True)
class SttCapabilities:
    """What the STT server's info promises, as far as trace rules care."""

    requires_external_vad: bool = True
    supports_transcript_streaming: bool = False

    @classmethod
    def from_info(cls, info_data: dict[str, Any] | None) -> SttCapabilities:
        programs = entries(info_data, "asr")
        if not programs:
            return cls()
        first = programs[0]  # HA uses asr[0]
        return cls(
            requires_external_vad=first.get("requires_external_vad", True) is not False,
            supports_transcript_streaming=bool(first.get("supports_transcript_streaming")),
        )


def check_stt_trace(trace: Trace, capabilities: SttCapabilities | None = None, utterance: str | None = None) -> list[Finding]:
    """Trace rules for one STT request."""
    caps = capabilities or SttCapabilities()
    findings: list[Finding] = []
    transcripts = trace.received("transcript")
    if len(transcripts) > 1:
        findings.append(finding(STT_MULTIPLE_TRANSCRIPTS, f"{len(transcripts)} transcript events for one request", utterance))
    if transcripts and caps.requires_external_vad:
        stops = trace.sent("audio-stop")
        first_transcript_ns = transcripts[0].time_ns
        if not stops or first_transcript_ns < stops[0].time_ns:
            sent_chunks = sum(1 for e in trace.sent("audio-chunk") if e.time_ns <= first_transcript_ns)
            findings.append(
                finding(
                    STT_TRANSCRIPT_BEFORE_AUDIO_STOP,
                    f"transcript after {sent_chunks * 10} ms of audio, before audio-stop (requires_external_vad is true)",
                    utterance,
                )
            )
    streamed = [e for e in trace.received() if e.type in ("transcript-start", "transcript-chunk", "transcript-stop")]
    if streamed and not caps.supports_transcript_streaming:
        findings.append(
            finding(STT_STREAM_UNADVERTISED, f"sent {streamed[0].type} without advertising transcript streaming", utterance)
        )
    if streamed:
        problem = _stream_order_problem([e for e in trace.received() if e.type.startswith("transcript")])
        if problem:
            findings.append(finding(STT_STREAM_ORDER, problem, utterance))
    chunks = trace.received("transcript-chunk")
    if chunks and transcripts:
        joined = "".join(str(e.data.get("text", "")) for e in chunks)
        final = str(transcripts[0].data.get("text", ""))
        if normalize(joined[:MAX_SCORED_CHARS]) != normalize(final[:MAX_SCORED_CHARS]):
            findings.append(
                finding(STT_STREAM_DISAGREES, f"chunks joined: {joined[:120]!r}; final transcript: {final[:120]!r}", utterance)
            )
    return findings


_STREAM_NEXT = {
    # state -> {event type -> next state}; an event type missing here is out of order
    "idle": {"transcript-start": "started", "transcript": "final"},
    "started": {"transcript-chunk": "started", "transcript": "final"},
    "final": {"transcript-stop": "stopped", "transcript": "final"},  # a second transcript has its own rule
    "stopped": {},
}
_WHERE = {
    "idle": "before transcript-start",
    "started": "before the final transcript",
    "final": "after the final transcript",
    "stopped": "after transcript-stop",
}


def _stream_order_problem(entries: list[TraceEntry]) -> str | None:
    """The first out-of-order streaming transcript event, or None."""
    state = "idle"
    for entry in entries:
        next_state = _STREAM_NEXT[state].get(entry.type)
        if next_state is None:
            return f"{entry.type} {_WHERE[state]}"
        state = next_state
    if state == "started":
        return "transcript-start and chunks, but no final transcript"
    return None


def check_tts_trace(trace: Trace, utterance: str | None = None) -> list[Finding]:
    """Trace rules for one TTS answer (plain or streaming)."""
    findings: list[Finding] = []
    streaming = trace.operation == "tts-streaming"
    if streaming and trace.ended == "closed":
        findings.append(finding(TTS_NO_STOPPED, "the server closed the stream without synthesize-stopped", utterance))
    problem = _segment_problem(trace.received(), streaming=streaming)
    if problem:
        findings.append(finding(TTS_SEGMENTS_UNBALANCED, problem, utterance))
    if streaming:
        received = trace.received()
        stopped_at = next((i for i, e in enumerate(received) if e.type == "synthesize-stopped"), None)
        if stopped_at is not None and stopped_at + 1 < len(received):
            after = [e.type for e in received[stopped_at + 1 :]]
            findings.append(
                finding(
                    TTS_STOPPED_NOT_LAST, f"{len(after)} event(s) after synthesize-stopped: {', '.join(after[:4])}", utterance
                )
            )
    return findings


def _segment_problem(received: list[TraceEntry], *, streaming: bool) -> str | None:
    """The first audio-start/audio-stop imbalance in a TTS answer, or None."""
    open_segment = False
    starts = 0
    for entry in received:
        if entry.type == "audio-start":
            if open_segment:
                return f"audio-start #{starts + 1} while segment #{starts} is still open (no audio-stop)"
            open_segment = True
            starts += 1
        elif entry.type == "audio-stop":
            if not open_segment and (streaming or starts > 0):
                return "audio-stop with no audio segment open" if starts == 0 else f"a second audio-stop for segment #{starts}"
            open_segment = False
        elif entry.type == "synthesize-stopped" and open_segment:
            return f"synthesize-stopped while segment #{starts} is still open (no audio-stop)"
    if open_segment and streaming and any(e.type == "synthesize-stopped" for e in received):
        return f"segment #{starts} never closed"
    return None


def check_compat_answered(plain_duration_s: float, streaming_duration_s: float) -> list[Finding]:
    """The same text synthesised plain and streaming: much longer streaming audio means it was spoken twice."""
    if plain_duration_s <= 0 or streaming_duration_s <= TWICE_DURATION_RATIO * plain_duration_s:
        return []
    return [
        finding(
            TTS_COMPAT_ANSWERED_TWICE,
            f"streaming answer {streaming_duration_s:.2f} s vs {plain_duration_s:.2f} s plain for the same text "
            f"({streaming_duration_s / plain_duration_s:.1f}x)",
        )
    ]

"""Validity of the audio a TTS server returned, from the event trace and the assembled PCM."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wyoming_rt.checks.spoken_length import spoken_letters, weighting_note
from wyoming_rt.records.audio import AudioFormat
from wyoming_rt.records.findings import Finding, finding
from wyoming_rt.records.rules import (
    AUDIO_START_FIRST,
    EMPTY_AUDIO,
    FORMAT_CHANGED,
    FORMAT_INVALID,
    IMPLAUSIBLE_DURATION,
    PARTIAL_SAMPLES,
)
from wyoming_rt.records.trace import Trace

# Plausible speaking speed in characters of text per second of audio. Natural English is
# about 12-18; the bounds are wide on purpose and allow for leading/trailing silence.
MIN_CHARS_PER_S = 4.0
MAX_CHARS_PER_S = 35.0
SLACK_S = 1.5


@dataclass
class AudioValidation:
    """What the returned audio is, and what is wrong with it."""

    valid: bool
    duration_s: float | None
    rate: int | None
    width: int | None
    channels: int | None
    bytes: int
    chunks: int
    segments: int
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "duration_s": None if self.duration_s is None else round(self.duration_s, 3),
            "rate": self.rate,
            "width": self.width,
            "channels": self.channels,
            "bytes": self.bytes,
            "chunks": self.chunks,
            "segments": self.segments,
        }


def _format_of(data: dict[str, Any]) -> tuple[Any, Any, Any]:
    return data.get("rate"), data.get("width"), data.get("channels")


def validate_tts_audio(trace: Trace, text: str, utterance: str | None = None, judge_duration: bool = True) -> AudioValidation:
    """Check the audio events of one TTS answer against the rules above. ``judge_duration=False``:
    the length of the audio is not held against the text (the voice does not speak its language)."""
    findings: list[Finding] = []
    declared: tuple[Any, Any, Any] | None = None
    chunk_format: tuple[Any, Any, Any] | None = None
    total_bytes = chunks = segments = 0
    reported: set[str] = set()

    def report(rule_: Any, message: str) -> None:
        if rule_.id not in reported:  # one finding per rule per answer
            reported.add(rule_.id)
            findings.append(finding(rule_, message, utterance))

    for entry in trace.received():
        if entry.type == "audio-start":
            segments += 1
            fmt = _format_of(entry.data)
            if AudioFormat.playable(*fmt) is None:
                report(FORMAT_INVALID, f"audio-start declares rate/width/channels {fmt}")
            if declared is not None and fmt != declared:
                report(FORMAT_CHANGED, f"audio-start format changed from {declared} to {fmt}")
            declared = declared or fmt
        elif entry.type == "audio-chunk":
            chunks += 1
            total_bytes += entry.payload_length
            fmt = _format_of(entry.data)
            if declared is None:
                report(AUDIO_START_FIRST, f"audio-chunk #{chunks} arrived before any audio-start")
            playable = AudioFormat.playable(*fmt)
            if playable is None:
                report(FORMAT_INVALID, f"audio-chunk #{chunks} declares rate/width/channels {fmt}")
                continue
            reference = chunk_format or declared
            if reference is not None and fmt != reference:
                report(FORMAT_CHANGED, f"audio-chunk #{chunks} format {fmt} differs from {reference}")
            chunk_format = chunk_format or fmt
            frame_bytes = playable.frame_bytes
            if entry.payload_length % frame_bytes:
                report(
                    PARTIAL_SAMPLES,
                    f"audio-chunk #{chunks} has {entry.payload_length} bytes, not a multiple of {frame_bytes}",
                )

    final_format = AudioFormat.playable(*declared) if declared is not None else None
    if final_format is None and chunk_format is not None:  # the chunks' format is kept only when playable
        final_format = AudioFormat.playable(*chunk_format)
    rate = width = channels = None
    duration_s: float | None = None
    if final_format is not None:
        rate, width, channels = final_format.rate_hz, final_format.width_bytes, final_format.channels
        duration_s = total_bytes / final_format.bytes_per_s

    if total_bytes == 0 and text.strip():
        report(EMPTY_AUDIO, f"no audio returned for {len(text)} characters of text")
    elif duration_s is not None and text.strip():
        letters = spoken_letters(text)
        shortest_s = letters / MAX_CHARS_PER_S
        longest_s = letters / MIN_CHARS_PER_S + SLACK_S
        if judge_duration and not shortest_s <= duration_s <= longest_s:
            report(
                IMPLAUSIBLE_DURATION,
                f"{duration_s:.2f} s of audio for {len(text.strip())} characters "
                f"(plausible: {shortest_s:.2f}-{longest_s:.2f} s at {rate} Hz as declared){weighting_note(text)}",
            )

    return AudioValidation(
        valid=not any(f.severity == "error" for f in findings),
        duration_s=duration_s,
        rate=rate,
        width=width,
        channels=channels,
        bytes=total_bytes,
        chunks=chunks,
        segments=segments,
        findings=findings,
    )

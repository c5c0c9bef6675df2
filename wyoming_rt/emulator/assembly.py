"""TTS audio assembled as Home Assistant assembles it, within the emulator's audio budget."""

from __future__ import annotations

from typing import Any

from wyoming_rt.emulator.config import EmulatorConfig
from wyoming_rt.records.audio import AudioFormat
from wyoming_rt.records.results import TtsResult
from wyoming_rt.records.trace import Trace
from wyoming_rt.wire import ReceivedEvent


class AudioCollector:
    """Builds the PCM HA would play: format from the first chunk (plain) or audio-start (streaming)."""

    def __init__(self, started_ns: int, config: EmulatorConfig) -> None:
        self.started_ns = started_ns
        self.parts: list[bytes] = []
        self.first_chunk_ns: int | None = None
        self.rate_hz: int | None = None
        self.width_bytes: int | None = None
        self.channels: int | None = None
        self.max_audio_s = config.max_answer_audio_s
        self.max_audio_bytes = config.max_answer_audio_bytes
        self.kept_bytes = 0
        self.dropped_bytes = 0

    @property
    def budget_bytes(self) -> int:
        """The bytes budget: the seconds budget at the declared format (when playable), at most the bytes budget."""
        declared = AudioFormat.playable(self.rate_hz, self.width_bytes, self.channels)
        if declared is not None:
            return min(self.max_audio_bytes, int(self.max_audio_s * declared.bytes_per_s))
        return self.max_audio_bytes

    def set_format(self, data: dict[str, Any]) -> None:
        self.rate_hz, self.width_bytes, self.channels = data.get("rate"), data.get("width"), data.get("channels")

    def add_chunk(self, received: ReceivedEvent, *, format_from_chunk: bool) -> None:
        if self.first_chunk_ns is None:
            self.first_chunk_ns = received.arrival_ns
            if format_from_chunk or self.rate_hz is None:
                self.set_format(received.event.data)
        payload = received.event.payload
        if not payload:
            return
        if self.dropped_bytes or self.kept_bytes + len(payload) > self.budget_bytes:
            self.dropped_bytes += len(payload)  # read and dropped: memory stays within the budget
            return
        self.parts.append(payload)
        self.kept_bytes += len(payload)

    def result(self, end_ns: int, *, streaming: bool, trace: Trace) -> TtsResult:
        ttfb = None if self.first_chunk_ns is None else (self.first_chunk_ns - self.started_ns) / 1e9
        return TtsResult(
            pcm=b"".join(self.parts),
            rate_hz=_int_or_none(self.rate_hz),
            width_bytes=_int_or_none(self.width_bytes),
            channels=_int_or_none(self.channels),
            streaming=streaming,
            ttfb_s=ttfb,
            total_s=(end_ns - self.started_ns) / 1e9,
            trace=trace,
        )


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None

"""Listening to an STT upload while it arrives: HA's own voice detector on the incoming stream.

`Listener` turns the client's audio into 10 ms chunks of 16 kHz mono, scores each with
`pymicro-vad` (the detector Home Assistant runs, about 0.1 ms of CPU per chunk) and keeps what
the session decides on: how much it has heard, where the last speech ended, and, when the server
does its own endpointing, where HA's `VoiceCommandSegmenter` would end the command.
"""

from __future__ import annotations

from wyoming_rt.endpointing import CHUNK_S, VoiceCommandSegmenter
from wyoming_rt.pcm import to_ha_format
from wyoming_rt.records.audio import HA_CHUNK_BYTES, HA_FORMAT, AudioFormat, PcmAudio

SPEECH_THRESHOLD = 0.5
"""A chunk above this speech probability is speech (HA's threshold within a command)."""


class Listener:
    """pymicro-vad over one upload; ``feed`` each audio payload in the client's format."""

    def __init__(self, fmt: AudioFormat, *, endpointing: bool = False) -> None:
        from pymicro_vad import MicroVad

        self._vad = MicroVad()
        self._format = fmt
        self._pending = b""
        """The client's bytes that do not yet make a whole frame."""
        self._ha = b""
        """Converted audio that does not yet make a whole 10 ms chunk."""
        self.chunks = 0
        """10 ms chunks heard so far."""
        self.speech_chunks = 0
        self.last_speech = 0
        """Chunks heard when the last speech chunk ended (0: no speech yet)."""
        self.segmenter = VoiceCommandSegmenter() if endpointing else None
        self.ended = False
        """The segmenter ended the command (server endpointing only): what HA's pipeline would do."""

    def feed(self, payload: bytes) -> None:
        """Hear ``payload`` (any length, in the format the listener was made for)."""
        if self._format == HA_FORMAT:
            self._ha += payload
        else:
            data = self._pending + payload
            whole = len(data) - len(data) % self._format.frame_bytes
            self._pending = data[whole:]
            if whole:
                fmt = self._format
                self._ha += to_ha_format(PcmAudio(data[:whole], fmt.rate_hz, fmt.width_bytes, fmt.channels)).pcm
        usable = len(self._ha) - len(self._ha) % HA_CHUNK_BYTES
        for start in range(0, usable, HA_CHUNK_BYTES):
            self._hear(self._ha[start : start + HA_CHUNK_BYTES])
        self._ha = self._ha[usable:]

    def _hear(self, chunk: bytes) -> None:
        value = float(self._vad.process_10ms(chunk))
        probability = value if value >= 0 else None  # negative while the detector warms up: silence, as HA counts it
        self.chunks += 1
        if probability is not None and probability > SPEECH_THRESHOLD:
            self.speech_chunks += 1
            self.last_speech = self.chunks
        if self.segmenter is not None and not self.ended:
            self.ended = not self.segmenter.process(CHUNK_S, probability)

    @property
    def heard_speech(self) -> bool:
        return self.last_speech > 0

    @property
    def silence_chunks(self) -> int:
        """Chunks since the last speech ended (0 before any speech)."""
        return self.chunks - self.last_speech if self.last_speech else 0

    def speech_after(self, chunk: int) -> bool:
        """Whether speech was heard after the first ``chunk`` chunks."""
        return self.last_speech > chunk


__all__ = ["SPEECH_THRESHOLD", "Listener"]

"""What one request, round trip or probe produced: plain records the checks and reports read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

from wyoming.info import Info

from wyoming_rt.records.audio import PcmAudio
from wyoming_rt.records.corpus import Utterance
from wyoming_rt.records.errors import WyomingRTError
from wyoming_rt.records.trace import Trace

CHUNK_S = 0.010
"""One chunk of Home Assistant's upload: 10 ms."""


@dataclass
class DescribeResult:
    """The server's info, raw and (when it parses) as a `wyoming.info.Info`."""

    info_data: dict[str, Any]
    info: Info | None
    parse_error: str | None
    attempts: int
    latency_s: float
    """describe written -> info read, on the successful attempt."""
    trace: Trace
    failures: list[str] = field(default_factory=list)
    """One line per failed attempt before the successful one."""


@dataclass(frozen=True)
class EndOfSpeech:
    """Where HA ends the upload of one utterance."""

    chunks: int
    """Full 10 ms chunks sent before ``audio-stop``."""
    speech_end_chunk: int | None
    """Chunks up to and including the last one with speech (in-command threshold) before the end;
    None when the detector heard no command."""
    ended_by: Literal["silence", "timeout", "clip-end"]

    @property
    def speech_end_s(self) -> float | None:
        return None if self.speech_end_chunk is None else self.speech_end_chunk * CHUNK_S

    def to_dict(self) -> dict[str, object]:
        return {"chunks": self.chunks, "speech_end_chunk": self.speech_end_chunk, "ended_by": self.ended_by}


@dataclass
class NegativeResult:
    """What the STT server made of a clip with no speech."""

    utterance: Utterance
    stt: SttResult | None = None
    stt_error: WyomingRTError | None = None


class ProbeName:
    """The probes' names (`ProbeOutcome.name`): the probes in `wyoming_rt.run` give them, the
    checks judge each outcome by them."""

    UNKNOWN_EVENT: Final = "unknown-event"
    EMPTY_AUDIO: Final = "empty-audio"
    EMPTY_TEXT: Final = "empty-text"
    STT_LINGER: Final = "stt-linger"
    TTS_LINGER: Final = "tts-linger"
    DESCRIBE_WHILE_BUSY: Final = "describe-while-busy"
    OWN_ENDPOINTING: Final = "own-endpointing"
    EARLY_STOP: Final = "early-stop"
    LONG_TEXT: Final = "long-text"
    LLM_STREAM: Final = "llm-stream"
    VOICE_PREFIX: Final = "voice:"
    """One probe per advertised voice: this prefix, then the voice's name."""

    @staticmethod
    def voice(voice: str) -> str:
        """The name of the probe of one advertised voice."""
        return ProbeName.VOICE_PREFIX + voice

    @staticmethod
    def is_voice(name: str) -> bool:
        """Whether ``name`` is the name of a voice probe."""
        return name.startswith(ProbeName.VOICE_PREFIX)


@dataclass(frozen=True)
class ProbeOutcome:
    """One probe: whether the server answered as the protocol asks, why not, and the traces
    (and measures) that trace rules judge."""

    name: str
    role: str
    ok: bool
    detail: str = ""
    traces: tuple[Trace, ...] = ()
    measures: dict[str, Any] = field(default_factory=dict)


@dataclass
class RoundTripResult:
    """What happened to one utterance. Exactly one of each ``*_result``/``*_error`` pair is set
    once that stage ran; TTS does not run when STT failed or recognised nothing."""

    utterance: Utterance
    stt: SttResult | None = None
    stt_error: WyomingRTError | None = None
    tts: TtsResult | None = None
    tts_error: WyomingRTError | None = None
    round_trip_s: float | None = None
    """From the start of STT to the end of TTS, when both succeeded."""
    back_stt: SttResult | None = None
    """The TTS audio transcribed back by the STT server (closed loop), when asked for."""
    back_stt_error: WyomingRTError | None = None

    @property
    def transcript(self) -> str | None:
        return self.stt.text if self.stt else None

    @property
    def failure(self) -> str | None:
        """Why the round trip failed, in a few words (the stage and the error's kind: "STT timeout"),
        or ``None`` when it got a transcript and audio back. Findings of the later analysis (audio,
        WER gates) are not known yet."""
        if self.stt_error is not None:
            return f"STT {self.stt_error.kind}"
        if self.tts_error is not None:
            return f"TTS {self.tts_error.kind}"
        return "empty transcript" if self.round_trip_s is None else None


@dataclass
class SttResult:
    """A transcript and how long it took."""

    text: str
    transcript_data: dict[str, Any]
    latency_s: float
    """``audio-stop`` written -> ``transcript`` read (0 when the transcript came first)."""
    upload_s: float
    audio_duration_s: float
    transcript_before_audio_stop: bool
    trace: Trace
    end_of_speech: EndOfSpeech | None = None
    """Where HA's voice detector ended the upload, when it did (see `EmulatorConfig.endpointing`)."""
    from_speech_end_s: float | None = None
    """Last chunk holding speech written -> ``transcript`` read: what a user waits after speaking
    (with ``--pace realtime``; in a burst the whole upload leaves at once)."""


@dataclass
class TtsResult:
    """Synthesised audio as HA would assemble it, with timings."""

    pcm: bytes
    rate_hz: int | None
    width_bytes: int | None
    channels: int | None
    streaming: bool
    ttfb_s: float | None
    """Request written -> first ``audio-chunk`` read."""
    total_s: float
    """Request written -> end of the answer (``audio-stop`` or ``synthesize-stopped``)."""
    trace: Trace

    @property
    def audio(self) -> PcmAudio | None:
        if self.rate_hz is None or self.width_bytes is None or self.channels is None:
            return None
        return PcmAudio(self.pcm, self.rate_hz, self.width_bytes, self.channels)

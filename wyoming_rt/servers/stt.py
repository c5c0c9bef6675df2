"""The reference speech-to-text server, on faster-whisper.

The model is loaded once per process and shared by every connection. Transcription runs in
worker threads bounded by a limiter, so ``describe`` and other connections are answered
while a transcription is running. Defaults are chosen for latency on a CPU at equal accuracy:
int8 weights, beam search 3, no timestamps, no conditioning on earlier text.
"""

from __future__ import annotations

import os
from dataclasses import astuple, dataclass
from typing import Any

import anyio
import numpy as np
from wyoming.asr import Transcript
from wyoming.info import AsrModel, AsrProgram, Attribution, Info

from wyoming_rt.pcm import to_ha_format
from wyoming_rt.records.audio import AudioFormat, PcmAudio
from wyoming_rt.records.version import __version__
from wyoming_rt.servers.base import MAX_CONNECTIONS, ClientError, Connection
from wyoming_rt.servers.models import require_module, resolve_whisper_model
from wyoming_rt.wire import ReceivedEvent

MAX_AUDIO_S = 300.0
"""Longest utterance accepted; more is refused rather than buffered without bound."""
MAX_STREAM_BYTES = 24 << 20
"""Audio one connection may buffer, whatever its declared format (300 s of HA's 16 kHz mono
16-bit is 9.6 MB): a wide declared format cannot turn 300 s into gigabytes."""
MAX_BUFFERED_BYTES = 192 << 20
"""Audio all connections together may buffer; past it a new chunk is refused as ``busy``."""


@dataclass(frozen=True)
class SttSettings:
    model: str | None = None
    """Packaged model name (``tiny.en``) or a local CTranslate2 model directory."""
    beam_size: int = 3
    compute_type: str = "int8"
    cpu_threads: int = 0
    """0: one per core."""
    workers: int = 1
    """Transcriptions that may run at once."""


class SttEngine:
    """A loaded Whisper model and the limiter that shares it."""

    def __init__(self, settings: SttSettings) -> None:
        self.settings = settings
        self.name, self.path = resolve_whisper_model(settings.model)
        require_module("faster_whisper")
        from faster_whisper import WhisperModel

        self.model = WhisperModel(
            str(self.path),
            device="cpu",
            compute_type=settings.compute_type,
            cpu_threads=settings.cpu_threads or (os.cpu_count() or 1),
            num_workers=settings.workers,
        )
        multilingual = bool(getattr(self.model, "model", None) and self.model.model.is_multilingual)
        self.languages: list[str] = list(self.model.supported_languages) if multilingual else ["en"]
        self.limiter = anyio.CapacityLimiter(settings.workers)
        self.buffered_bytes = 0
        """Audio buffered by every connection together (see `MAX_BUFFERED_BYTES`)."""
        self.transcribe_sync(np.zeros(16_000, dtype=np.float32), "en")  # warm-up: the first call is slow

    def transcribe_sync(self, samples: np.ndarray, language: str | None) -> str:
        if samples.size == 0:
            return ""
        segments, _ = self.model.transcribe(
            samples,
            language=language or self.languages[0],
            beam_size=self.settings.beam_size,
            without_timestamps=True,
            condition_on_previous_text=False,
            vad_filter=False,
        )
        return "".join(segment.text for segment in segments).strip()

    async def transcribe(self, samples: np.ndarray, language: str | None) -> str:
        return await anyio.to_thread.run_sync(self.transcribe_sync, samples, language, limiter=self.limiter)

    def info(self) -> Info:
        attribution = Attribution(name="wyoming-rt", url="https://pypi.org/project/wyoming-rt/")
        model = AsrModel(
            name=self.name,
            attribution=Attribution(name="OpenAI Whisper via faster-whisper", url="https://github.com/SYSTRAN/faster-whisper"),
            installed=True,
            description=f"faster-whisper {self.name} ({self.settings.compute_type}, beam {self.settings.beam_size})",
            version=None,
            languages=self.languages,
        )
        program = AsrProgram(
            name="wyoming-rt-stt",
            attribution=attribution,
            installed=True,
            description="wyoming-rt reference speech-to-text (faster-whisper)",
            version=__version__,
            models=[model],
            supports_transcript_streaming=False,
        )
        return Info(asr=[program])


class SttSession:
    """One connection's state: ``transcribe`` -> ``audio-start`` -> chunks -> ``audio-stop`` -> ``transcript``."""

    def __init__(self, engine: SttEngine, conn: Connection) -> None:
        self.engine = engine
        self.conn = conn
        self.language: str | None = None
        self.format: AudioFormat | None = None
        self.parts: list[bytes] = []
        self.buffered = 0

    def _reset_audio(self) -> None:
        self.engine.buffered_bytes -= self.buffered  # given back to the server-wide budget
        self.format, self.parts, self.buffered = None, [], 0

    def _take_format(self, data: dict[str, object]) -> AudioFormat:
        values = (data.get("rate"), data.get("width"), data.get("channels"))
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
            raise ClientError(f"audio format needs positive integer rate/width/channels, got {values}", "bad-audio-format")
        fmt = AudioFormat.playable(*values)
        if fmt is None:
            rate, width, channels = values
            raise ClientError(f"unsupported audio format rate={rate} width={width} channels={channels}", "bad-audio-format")
        return fmt

    async def handle(self, received: ReceivedEvent) -> None:
        event = received.event
        if event.type == "transcribe":
            language = event.data.get("language")
            if language is not None and (not isinstance(language, str) or language not in self.engine.languages):
                raise ClientError(
                    f"language {language!r} is not supported (supported: {', '.join(self.engine.languages[:10])})",
                    "unsupported-language",
                )
            self.language = language
            self._reset_audio()
        elif event.type == "audio-start":
            self._reset_audio()
            self.format = self._take_format(event.data)
        elif event.type == "audio-chunk":
            fmt = self._take_format(event.data)
            if self.format is None:
                self.format = fmt  # lenient: chunks carry their own format
            elif fmt != self.format:
                raise ClientError(
                    f"audio-chunk format {astuple(fmt)} differs from audio-start {astuple(self.format)}", "bad-audio-format"
                )
            payload = event.payload or b""
            if self.buffered + len(payload) > min(MAX_STREAM_BYTES, MAX_AUDIO_S * self.format.bytes_per_s):
                self._reset_audio()
                raise ClientError(f"audio longer than {MAX_AUDIO_S:g} s or {MAX_STREAM_BYTES >> 20} MiB", "audio-too-long")
            if self.engine.buffered_bytes + len(payload) > MAX_BUFFERED_BYTES:
                self._reset_audio()
                raise ClientError("server busy: too much audio buffered by all connections together", "busy")
            self.buffered += len(payload)
            self.engine.buffered_bytes += len(payload)
            self.parts.append(payload)
        elif event.type == "audio-stop":
            text = await self.engine.transcribe(self._samples(), self.language)
            self._reset_audio()
            await self.conn.send(Transcript(text=text, language=self.language).event())
        # Any other event type is ignored, as the protocol asks.

    def _samples(self) -> np.ndarray:
        if self.format is None or not self.parts:
            return np.zeros(0, dtype=np.float32)
        fmt = self.format
        pcm = b"".join(self.parts)
        pcm = pcm[: len(pcm) - len(pcm) % fmt.frame_bytes]
        if not pcm:
            return np.zeros(0, dtype=np.float32)
        audio = to_ha_format(PcmAudio(pcm, fmt.rate_hz, fmt.width_bytes, fmt.channels))
        return np.ascontiguousarray(audio.samples()[:, 0], dtype=np.float32)

    async def close(self) -> None:
        self._reset_audio()


async def serve_stt(
    endpoint: Any, settings: SttSettings, *, on_ready: Any = None, max_connections: int = MAX_CONNECTIONS
) -> None:
    """Load the model, then serve STT on ``endpoint`` until cancelled."""
    from wyoming_rt.servers.base import serve

    engine = await anyio.to_thread.run_sync(SttEngine, settings)
    await serve(endpoint, engine.info, lambda conn: SttSession(engine, conn), on_ready=on_ready, max_connections=max_connections)

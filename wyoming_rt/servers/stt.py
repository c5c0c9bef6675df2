"""The reference speech-to-text server, on faster-whisper.

The model is loaded once per process and shared by every connection. Transcription runs in
worker threads bounded by a limiter, so ``describe`` and other connections are answered
while a transcription is running. Defaults are chosen for latency on a CPU at equal accuracy:
int8 weights, beam search 3, no timestamps, no conditioning on earlier text. Each connection
listens while its audio arrives (`wyoming_rt.servers.stt_session`): the transcript is usually
ready when ``audio-stop`` comes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Literal

import anyio
import numpy as np
from wyoming.info import AsrModel, AsrProgram, Attribution, Info

from wyoming_rt.records.version import __version__
from wyoming_rt.servers.base import MAX_CONNECTIONS
from wyoming_rt.servers.models import require_module, resolve_whisper_model
from wyoming_rt.servers.stt_session import MAX_AUDIO_S, MAX_BUFFERED_BYTES, MAX_STREAM_BYTES, SttSession

Endpointing = Literal["ha", "server"]


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
    endpointing: Endpointing = "ha"
    """``ha``: the client ends the upload (``requires_external_vad``); ``server``: the server ends
    the command itself, as HA's voice detector would, and answers before ``audio-stop``."""
    speculation: bool = True
    """Decode as soon as the speech stops, so that the answer is ready at ``audio-stop``."""
    speculate_after_s: float = 0.1
    """Silence after speech (as the voice detector hears it) that starts a speculative decode."""
    streaming_transcripts: bool = False
    """Send ``transcript-chunk``s of the words two decodes agree on while the user speaks."""
    partial_every_s: float = 1.0
    """Speech heard between two partial decodes (streaming transcripts)."""


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
        self.multilingual = bool(getattr(self.model, "model", None) and self.model.model.is_multilingual)
        self.languages: list[str] = list(self.model.supported_languages) if self.multilingual else ["en"]
        self.limiter = anyio.CapacityLimiter(settings.workers)
        self.buffered_bytes = 0
        """Audio buffered by every connection together (see `MAX_BUFFERED_BYTES`)."""
        self.transcribe_sync(np.zeros(16_000, dtype=np.float32), "en")  # warm-up: the first call is slow

    def transcribe_sync(self, samples: np.ndarray, language: str | None) -> str:
        if samples.size == 0:
            return ""
        segments, _ = self.model.transcribe(
            samples,
            language=language or (None if self.multilingual else "en"),  # None: Whisper tells the language
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
            supports_transcript_streaming=self.settings.streaming_transcripts,
            requires_external_vad=self.settings.endpointing == "ha",
        )
        return Info(asr=[program])


async def serve_stt(
    endpoint: Any, settings: SttSettings, *, on_ready: Any = None, max_connections: int = MAX_CONNECTIONS
) -> None:
    """Load the model, then serve STT on ``endpoint`` until cancelled."""
    from wyoming_rt.servers.base import serve

    engine = await anyio.to_thread.run_sync(SttEngine, settings)
    async with anyio.create_task_group() as jobs:  # the sessions' background decodes
        await serve(
            endpoint, engine.info, lambda conn: SttSession(engine, conn, jobs), on_ready=on_ready, max_connections=max_connections
        )


__all__ = ["MAX_AUDIO_S", "MAX_BUFFERED_BYTES", "MAX_STREAM_BYTES", "Endpointing", "SttEngine", "SttSettings", "serve_stt"]

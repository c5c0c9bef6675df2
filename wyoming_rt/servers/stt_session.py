"""One STT connection: ``transcribe`` -> ``audio-start`` -> chunks -> ``audio-stop`` -> ``transcript``,
listening while the audio arrives.

While the upload runs, a `Listener` hears it. When the speech has stopped for a moment, the
audio so far is decoded at once (speculation): if nothing but silence follows until
``audio-stop``, that transcript is the answer, sent the moment ``audio-stop`` arrives; if speech
resumes, it is dropped and the full audio is decoded as before. With server endpointing the
server ends the command itself (HA's segmenter) and answers before ``audio-stop``; with
streaming transcripts it sends the words two decodes agree on while the user speaks.

Bounded work: one background decode (speculative or partial) per session at a time, started only
when one of the engine's workers is free (so the worker limit holds, and the answers other
sessions wait for go first); a decode whose audio turned out to continue is finished and ignored.
"""

from __future__ import annotations

import logging
from dataclasses import astuple, dataclass, field
from typing import TYPE_CHECKING, Literal

import anyio
import numpy as np
from anyio.abc import TaskGroup
from wyoming.asr import Transcript, TranscriptChunk, TranscriptStart, TranscriptStop

from wyoming_rt.endpointing import CHUNK_S, VoiceCommandSegmenter
from wyoming_rt.pcm import to_ha_format
from wyoming_rt.records.audio import AudioFormat, PcmAudio
from wyoming_rt.servers.base import ClientError, Connection
from wyoming_rt.servers.stt_listen import Listener
from wyoming_rt.servers.stt_partials import LocalAgreement
from wyoming_rt.wire import ReceivedEvent

if TYPE_CHECKING:
    from wyoming_rt.servers.stt import SttEngine, SttSettings

_LOGGER = logging.getLogger(__name__)

MAX_AUDIO_S = 300.0
"""Longest utterance accepted; more is refused rather than buffered without bound."""
MAX_STREAM_BYTES = 24 << 20
"""Audio one connection may buffer, whatever its declared format (300 s of HA's 16 kHz mono
16-bit is 9.6 MB): a wide declared format cannot turn 300 s into gigabytes."""
MAX_BUFFERED_BYTES = 192 << 20
"""Audio all connections together may buffer; past it a new chunk is refused as ``busy``."""
HA_SILENCE_CHUNKS = round(VoiceCommandSegmenter().silence_seconds / CHUNK_S) - 1
"""Chunks of silence after the speech that HA's pipeline sends before ``audio-stop`` (it does not
pass on the chunk that ends the command)."""
PARTIALS_MAX_S = 30.0
"""No partial decodes past this much audio (Whisper's window): each would cost one more window."""
LISTEN_INLINE_BYTES = 64 << 10
"""A chunk larger than this is heard in a worker thread, not on the event loop (2 s of HA audio)."""


@dataclass
class Decode:
    """A background decode of the audio up to ``cut_bytes`` (``cut_chunk`` 10 ms chunks heard)."""

    kind: Literal["speculative", "partial"]
    request: int
    cut_bytes: int
    cut_chunk: int
    done: anyio.Event = field(default_factory=anyio.Event)
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    text: str | None = None
    """None until done, and when the decode failed."""


class SttSession:
    """One connection's state; background decodes run in ``jobs``, the server's task group."""

    def __init__(self, engine: SttEngine, conn: Connection, jobs: TaskGroup) -> None:
        self.engine = engine
        self.conn = conn
        self.jobs = jobs
        self.language: str | None = None
        self.format: AudioFormat | None = None
        self.parts: list[bytes] = []
        self.buffered = 0
        self.request = 0
        """Counts the requests of this connection: a decode started for an earlier one is ignored."""
        self.listener: Listener | None = None
        self.job: Decode | None = None
        """The background decode in flight (or finished, not yet looked at)."""
        self.speculation: Decode | None = None
        """The speculative decode of this request that no speech has followed yet."""
        self.agreement: LocalAgreement | None = None
        self.stream_started = False
        self.partial_mark = 0
        """Speech chunks heard when the last partial decode started."""
        self.answered = False
        """The transcript of this request was sent (server endpointing): the rest is ignored."""

    @property
    def settings(self) -> SttSettings:
        return self.engine.settings

    def _release_audio(self) -> None:
        self.engine.buffered_bytes -= self.buffered  # given back to the server-wide budget
        self.parts, self.buffered = [], 0

    def _reset_audio(self) -> None:
        self._release_audio()
        self.format = None
        self.request += 1
        self.listener, self.speculation, self.agreement = None, None, None
        self.stream_started, self.partial_mark, self.answered = False, 0, False

    def _take_format(self, data: dict[str, object]) -> AudioFormat:
        values = (data.get("rate"), data.get("width"), data.get("channels"))
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
            raise ClientError(f"audio format needs positive integer rate/width/channels, got {values}", "bad-audio-format")
        fmt = AudioFormat.playable(*values)
        if fmt is None:
            rate, width, channels = values
            raise ClientError(f"unsupported audio format rate={rate} width={width} channels={channels}", "bad-audio-format")
        return fmt

    def _start_listening(self, fmt: AudioFormat) -> None:
        self.format = fmt
        s = self.settings
        if s.speculation or s.endpointing == "server" or s.streaming_transcripts:
            self.listener = Listener(fmt, endpointing=s.endpointing == "server")
        if s.streaming_transcripts:
            self.agreement = LocalAgreement()

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
            self._start_listening(self._take_format(event.data))
        elif event.type == "audio-chunk":
            await self._chunk(event.data, event.payload or b"")
        elif event.type == "audio-stop":
            if not self.answered:
                await self._answer()
            self._reset_audio()
        # Any other event type is ignored, as the protocol asks.

    async def _chunk(self, data: dict[str, object], payload: bytes) -> None:
        fmt = self._take_format(data)
        if self.format is None:
            self._start_listening(fmt)  # lenient: chunks carry their own format
        elif fmt != self.format:
            raise ClientError(
                f"audio-chunk format {astuple(fmt)} differs from audio-start {astuple(self.format)}", "bad-audio-format"
            )
        assert self.format is not None
        if self.answered:
            return  # the server ended this command already: the rest of the upload is not needed
        if self.buffered + len(payload) > min(MAX_STREAM_BYTES, MAX_AUDIO_S * self.format.bytes_per_s):
            self._reset_audio()
            raise ClientError(f"audio longer than {MAX_AUDIO_S:g} s or {MAX_STREAM_BYTES >> 20} MiB", "audio-too-long")
        if self.engine.buffered_bytes + len(payload) > MAX_BUFFERED_BYTES:
            self._reset_audio()
            raise ClientError("server busy: too much audio buffered by all connections together", "busy")
        self.buffered += len(payload)
        self.engine.buffered_bytes += len(payload)
        self.parts.append(payload)
        if self.listener is not None:
            if len(payload) > LISTEN_INLINE_BYTES:
                await anyio.to_thread.run_sync(self.listener.feed, payload)
            else:
                self.listener.feed(payload)
            await self._after_listening(self.listener)

    async def _after_listening(self, listener: Listener) -> None:
        """Act on what was heard: finished decodes, resumed speech, the end of the command, new decodes."""
        if self.job is not None and self.job.done.is_set():
            job, self.job = self.job, None
            if job.request == self.request and job.text is not None and self.agreement is not None:
                await self._send_partial(self.agreement.update(job.text))
        if self.speculation is not None and listener.speech_after(self.speculation.cut_chunk):
            self.speculation = None  # speech resumed: that transcript would miss it
        if listener.ended:
            await self._answer()
            self.answered = True
            self._release_audio()
            return
        if self.job is not None or not self._worker_free():
            return
        s = self.settings
        if (
            s.speculation
            and self.speculation is None
            and listener.heard_speech
            and listener.silence_chunks >= round(s.speculate_after_s / CHUNK_S)
        ):
            self.speculation = self._start("speculative", listener)
        elif (
            self.agreement is not None
            and listener.speech_chunks - self.partial_mark >= round(s.partial_every_s / CHUNK_S)
            and listener.chunks * CHUNK_S <= PARTIALS_MAX_S
        ):
            self.partial_mark = listener.speech_chunks
            self._start("partial", listener)

    def _worker_free(self) -> bool:
        limiter = self.engine.limiter
        return limiter.available_tokens >= 1 and limiter.statistics().tasks_waiting == 0

    def _start(self, kind: Literal["speculative", "partial"], listener: Listener) -> Decode:
        job = Decode(kind, self.request, self.buffered, listener.chunks)
        self.job = job
        samples = self._samples()
        if kind == "speculative":
            samples = with_silence_to_come(samples, listener.silence_chunks)
        self.jobs.start_soon(self._run, job, samples, self.language)
        return job

    async def _run(self, job: Decode, samples: np.ndarray, language: str | None) -> None:
        with job.scope:
            try:
                job.text = await self.engine.transcribe(samples, language)
            except Exception:  # a failed guess is no answer: the full audio is decoded at audio-stop
                _LOGGER.exception("%s decode failed", job.kind)
        job.done.set()

    async def _answer(self) -> None:
        """Send the transcript: the speculative one if no speech followed it, else a decode of everything."""
        text: str | None = None
        spec = self.speculation
        if spec is not None and self.listener is not None and not self.listener.speech_after(spec.cut_chunk):
            await spec.done.wait()
            text = spec.text
        if text is None:
            text = await self.engine.transcribe(self._samples(), self.language)
        if self.agreement is not None:
            if not self.agreement.agrees_with(text):
                _LOGGER.debug("streamed words %r do not start the transcript %r", self.agreement.sent, text)
            await self._send_partial(self.agreement.remainder(text))
            if not self.stream_started:
                await self._send_partial("")
        await self.conn.send(Transcript(text=text, language=self.language).event())
        if self.agreement is not None:
            await self.conn.send(TranscriptStop().event())

    async def _send_partial(self, delta: str | None) -> None:
        """``transcript-start`` before the first chunk, then the chunk (``""``: only the start)."""
        if delta is None:
            return
        if not self.stream_started:
            self.stream_started = True
            await self.conn.send(TranscriptStart(language=self.language).event())
        if delta:
            await self.conn.send(TranscriptChunk(text=delta).event())

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
        if self.job is not None:
            self.job.scope.cancel()  # its thread finishes (holding its worker), and its result is dropped
        self._reset_audio()


def with_silence_to_come(samples: np.ndarray, silence_chunks: int) -> np.ndarray:
    """``samples`` (16 kHz) that end in ``silence_chunks`` chunks of silence, followed by as much
    more of it (the same silence, repeated) as HA's pipeline sends before ``audio-stop``: Whisper
    hears the length of the audio (its features are padded to 30 s with zeros, not with silence),
    and with the silence still to come its transcript is the one the full audio gets."""
    per_chunk = round(16000 * CHUNK_S)
    missing = (HA_SILENCE_CHUNKS - silence_chunks) * per_chunk
    if missing <= 0 or silence_chunks <= 0 or samples.size < silence_chunks * per_chunk:
        return samples
    tail = samples[-silence_chunks * per_chunk :]
    return np.concatenate([samples, np.tile(tail, -(-missing // tail.size))[:missing]])


__all__ = ["MAX_AUDIO_S", "MAX_BUFFERED_BYTES", "MAX_STREAM_BYTES", "Decode", "SttSession"]

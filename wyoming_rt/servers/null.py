"""A null Wyoming server for measuring the harness itself: instant STT and TTS replies.

It does no speech work, so what a run against it costs is the harness's own cost. Answers
are tied to their requests so that mixed-up sessions show: the transcript names a digest of
the audio received (`null_transcript`), and the TTS audio starts with the text's bytes
(`null_speech_marker`). Events are read by the wire layer's `EventReader`, bounded by
`WireLimits` as every server's are; the answers are encoded once, so that the server costs
little next to the client in the same process.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from anyio.abc import ByteStream
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event
from wyoming.info import AsrModel, AsrProgram, Attribution, Info, TtsProgram, TtsVoice

from wyoming_rt.endpoint import Endpoint
from wyoming_rt.records.errors import FramingError
from wyoming_rt.servers.base import open_listener
from wyoming_rt.wire import EventReader, WireLimits, encode_event

TTS_RATE_HZ = 22050
_SAMPLES_PER_CHUNK = 1024
_ATTRIBUTION = Attribution(name="wyoming-rt", url="https://pypi.org/project/wyoming-rt/")


def null_transcript(pcm: bytes) -> str:
    """What the null server answers for this audio: a digest, so each session's answer is its own."""
    return "null " + hashlib.blake2b(pcm, digest_size=8).hexdigest()


def null_speech_marker(text: str) -> bytes:
    """The bytes the null server's TTS audio starts with for ``text`` (whole 16-bit samples)."""
    raw = text.encode("utf-8")
    return raw + b"\0" * (len(raw) % 2)


def is_own_null_answer(reference: str, transcript: str, tts_pcm: bytes) -> bool:
    """True when a round trip through the null server got back its own answers: the transcript
    of its own audio (``reference`` = `null_transcript` of it) and audio spoken for that transcript."""
    return transcript == reference and tts_pcm.startswith(null_speech_marker(transcript))


def null_info() -> Info:
    model = AsrModel("null", _ATTRIBUTION, True, "instant empty-work STT", "1", languages=["en"])
    voice = TtsVoice("null", _ATTRIBUTION, True, "instant empty-work TTS", "1", languages=["en"])
    return Info(
        asr=[AsrProgram("wyoming-rt-null", _ATTRIBUTION, True, "null STT", "1", models=[model])],
        tts=[TtsProgram("wyoming-rt-null", _ATTRIBUTION, True, "null TTS", "1", voices=[voice])],
    )


class _Reply:
    """The pre-encoded TTS answer: audio-start, ``seconds`` of silence in 1024-sample chunks, audio-stop."""

    def __init__(self, seconds: float) -> None:
        total = int(seconds * TTS_RATE_HZ) * 2
        self.chunk_bytes = _SAMPLES_PER_CHUNK * 2
        self.start = encode_event(AudioStart(TTS_RATE_HZ, 2, 1).event())
        first = min(self.chunk_bytes, total)
        rest = b"".join(
            encode_event(AudioChunk(TTS_RATE_HZ, 2, 1, bytes(min(self.chunk_bytes, total - offset))).event())
            for offset in range(first, total, self.chunk_bytes)
        )
        self.first_len = first
        self.rest_and_stop = rest + encode_event(AudioStop().event())

    def frames(self, text: str) -> bytes:
        marker = null_speech_marker(text)[: self.first_len]
        first = marker + bytes(self.first_len - len(marker))
        return self.start + encode_event(AudioChunk(TTS_RATE_HZ, 2, 1, first).event()) + self.rest_and_stop


async def _handle(stream: ByteStream, reply: _Reply, info_frame: bytes, limits: WireLimits) -> None:
    reader = EventReader(stream, limits)
    digest = hashlib.blake2b(digest_size=8)
    async with stream:
        while True:
            try:
                received = await reader.read()
            except FramingError:
                return  # the stream cannot be resynchronised: close it
            if received is None:
                return
            kind, event = received.type, received.event
            if kind == "audio-chunk":
                digest.update(event.payload or b"")
            elif kind == "audio-start":
                digest = hashlib.blake2b(digest_size=8)
            elif kind == "audio-stop":
                await stream.send(encode_event(Event("transcript", {"text": "null " + digest.hexdigest()})))
            elif kind == "synthesize":
                await stream.send(reply.frames(str(event.data.get("text", ""))))
            elif kind == "describe":
                await stream.send(info_frame)


@asynccontextmanager
async def run_null_server(endpoint: Endpoint | None = None, *, reply_seconds: float = 3.0) -> AsyncIterator[Endpoint]:
    """Serve the null server in the current event loop until the block exits."""
    listener = await open_listener(endpoint or Endpoint("127.0.0.1", 0))
    if endpoint is None or endpoint.port == 0:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        endpoint = Endpoint("127.0.0.1", port)
    reply = _Reply(reply_seconds)
    info_frame = encode_event(null_info().event())
    limits = WireLimits()
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, lambda stream: _handle(stream, reply, info_frame, limits))
        try:
            yield endpoint
        finally:
            tg.cancel_scope.cancel()

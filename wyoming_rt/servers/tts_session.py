"""One TTS connection: plain ``synthesize``, or a stream of text deltas spoken as they arrive.

A stream (``synthesize-start`` ... ``synthesize-stop``) is read here, not event by event by the
server loop, so that three things go on at once under one task group: reading the deltas and
cutting them into pieces (`tts_segments.ClauseSegmenter`), rendering one piece at a time, and
sending the audio of the piece rendered before. The first audio thus starts at the first clause
boundary, long before an LLM's answer is complete; each connection has at most one piece in
the engine at a time, and the engine's limiter bounds them all.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.ping import Pong
from wyoming.tts import SynthesizeStopped

from wyoming_rt.records.errors import FramingError
from wyoming_rt.records.text import first_unencodable
from wyoming_rt.servers.base import ClientError, Connection
from wyoming_rt.servers.tts_segments import ClauseSegmenter
from wyoming_rt.wire import ReceivedEvent

if TYPE_CHECKING:
    from wyoming_rt.servers.tts import TtsEngine

MAX_TEXT_CHARS = 20_000
_GONE = (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream, ConnectionError)


class TtsSession:
    """The protocol state of one connection."""

    def __init__(self, engine: TtsEngine, conn: Connection) -> None:
        self.engine = engine
        self.conn = conn

    async def handle(self, received: ReceivedEvent) -> None:
        event = received.event
        kind = event.type
        if kind == "synthesize":
            text = _checked_text(event.data.get("text"))
            if len(text) > MAX_TEXT_CHARS:
                raise ClientError(f"text longer than {MAX_TEXT_CHARS} characters", "text-too-long")
            voice = Voice(self.engine, self.conn, self.engine.speaker_id(event.data.get("voice")))
            segmenter = self._segmenter()
            await voice.speak_all([*segmenter.add(text), *segmenter.finish()])
            await voice.start()  # an empty text still gets a well-formed (empty) answer
            await self.conn.send(AudioStop().event())
            await self.engine.release_memory()
        elif kind == "synthesize-start":
            await self._stream(self.engine.speaker_id(event.data.get("voice")))
        elif kind == "synthesize-chunk":
            raise ClientError("synthesize-chunk outside a synthesize-start ... synthesize-stop stream", "unexpected-event")
        elif kind == "synthesize-stop":
            raise ClientError("synthesize-stop without synthesize-start", "unexpected-event")
        # Any other event type is ignored, as the protocol asks.

    async def close(self) -> None:
        return None

    def _segmenter(self) -> ClauseSegmenter:
        return ClauseSegmenter(self.engine.settings.piece_limits)

    async def _stream(self, speaker_id: int | None) -> None:
        """Speak a stream's text while it arrives; answer ``synthesize-stopped`` after the last audio."""
        voice = Voice(self.engine, self.conn, speaker_id)
        send, receive = anyio.create_memory_object_stream[str](math.inf)  # bounded: MAX_TEXT_CHARS in all
        failure: BaseException | None = None
        stopped = False
        async with anyio.create_task_group() as tg:
            tg.start_soon(voice.speak, receive, tg.cancel_scope)
            with send:
                try:
                    stopped = await self._read_stream(send)
                except (ClientError, *_GONE) as exc:
                    failure = exc
            if failure is not None or not stopped:
                tg.cancel_scope.cancel()  # refused, or the client has gone: nothing more to say
        if failure is not None:
            raise failure
        if voice.gone is not None:
            raise voice.gone
        if not stopped:
            return  # closed mid-stream; the server loop sees the close next
        if voice.started:
            await self.conn.send(AudioStop().event())
        await self.conn.send(SynthesizeStopped().event())
        await self.engine.release_memory()

    async def _read_stream(self, pieces: MemoryObjectSendStream[str]) -> bool:
        """Read the stream's events, cutting its text into ``pieces``, up to ``synthesize-stop``
        (True) or the close (False). ``describe`` and ``ping`` are answered on the way."""
        segmenter = self._segmenter()
        chars = 0
        while True:
            try:
                received = await self.conn.reader.read()
            except FramingError as exc:
                raise ClientError(f"bad frame: {exc}", "framing") from exc
            if received is None:
                return False
            kind = received.type
            if kind == "synthesize-chunk":
                delta = _checked_text(received.event.data.get("text"))
                chars += len(delta)
                if chars > MAX_TEXT_CHARS:
                    raise ClientError(f"text longer than {MAX_TEXT_CHARS} characters", "text-too-long")
                for piece in segmenter.add(delta):
                    pieces.send_nowait(piece)
            elif kind == "synthesize-stop":
                for piece in segmenter.finish():
                    pieces.send_nowait(piece)
                return True
            elif kind == "describe":
                await self.conn.send(self.engine.info().event())
            elif kind == "ping":
                text = str(received.event.data.get("text", ""))
                await self.conn.send(Pong(text=text.encode("utf-8", "replace").decode("utf-8")).event())
            # the compatibility ``synthesize`` (never answered twice) and anything else: ignored


class Voice:
    """Speaks pieces of one request in order: renders the next piece while the audio of the one
    before is sent, one piece in the engine at a time, all in one ``audio-start`` segment."""

    def __init__(self, engine: TtsEngine, conn: Connection, speaker_id: int | None) -> None:
        self.engine = engine
        self.conn = conn
        self.speaker_id = speaker_id
        self.started = False
        self.gone: BaseException | None = None
        """The connection error that ended the audio early (the client went away)."""

    async def speak_all(self, pieces: list[str]) -> None:
        """Speak a whole text's pieces."""
        send, receive = anyio.create_memory_object_stream[str](len(pieces) or 1)
        with send:
            for piece in pieces:
                send.send_nowait(piece)
        with anyio.CancelScope() as scope:
            await self.speak(receive, scope)
        if self.gone is not None:
            raise self.gone

    async def speak(self, pieces: MemoryObjectReceiveStream[str], on_gone: anyio.CancelScope) -> None:
        """Render and send ``pieces`` until the stream ends; if the client goes away, record it
        in `gone` and cancel ``on_gone``."""
        rendered, to_send = anyio.create_memory_object_stream[bytes](0)
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._send_audio, to_send, tg.cancel_scope)
            with rendered, pieces:
                async for piece in pieces:
                    queue = pieces.statistics()
                    last = queue.current_buffer_used == 0 and queue.open_send_streams == 0  # the request's last piece
                    pcm = await self.engine.render_text(piece, self.speaker_id, last=last)
                    if pcm:
                        await rendered.send(pcm)  # waits until the audio before it is sent
        if self.gone is not None:
            on_gone.cancel()

    async def _send_audio(self, rendered: MemoryObjectReceiveStream[bytes], pipeline: anyio.CancelScope) -> None:
        with rendered:
            try:
                async for pcm in rendered:
                    await self.start()
                    rate = self.engine.sample_rate
                    for piece in _chunks(pcm, self.engine.settings.samples_per_chunk * 2):
                        await self.conn.send(AudioChunk(rate=rate, width=2, channels=1, audio=piece).event())
            except _GONE as exc:
                self.gone = exc
                pipeline.cancel()

    async def start(self) -> None:
        """``audio-start``, once per request."""
        if not self.started:
            self.started = True
            await self.conn.send(AudioStart(rate=self.engine.sample_rate, width=2, channels=1).event())


def _chunks(pcm: bytes, size: int) -> Iterator[bytes]:
    for offset in range(0, len(pcm), size):
        yield pcm[offset : offset + size]


def _checked_text(value: Any) -> str:
    """A text to speak: a string of valid Unicode without NUL, else a named ``bad-text`` error."""
    if not isinstance(value, str):
        raise ClientError("text must be a string", "bad-text")
    surrogate = first_unencodable(value)
    if surrogate is not None:
        raise ClientError(f"text is not valid Unicode (a lone surrogate at {surrogate})", "bad-text")
    if "\0" in value:
        raise ClientError("text contains a NUL character", "bad-text")
    return value

"""One traced connection of the emulator: events written and read, each recorded in the trace,
and the STT upload framed as Home Assistant frames it (10 ms chunks, batched writes)."""

from __future__ import annotations

import time
from typing import Any

import anyio
from anyio.abc import ByteStream
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event

from wyoming_rt.emulator.config import EmulatorConfig
from wyoming_rt.records.audio import HA_CHUNK_BYTES, PcmAudio
from wyoming_rt.records.errors import FramingError
from wyoming_rt.records.trace import Trace, TraceEntry
from wyoming_rt.wire import EventReader, ReceivedEvent, encode_event

_UPLOAD_BATCH_BYTES = 64 * 1024
_CHUNK_S = 0.010


class Connection:
    """One traced connection: writes and reads events, recording each in the trace."""

    def __init__(self, stream: ByteStream, trace: Trace, config: EmulatorConfig) -> None:
        self.stream = stream
        self.trace = trace
        self.version = config.version
        self.pace = config.pace
        self.drop_partial_chunk = config.drop_partial_chunk
        self.reader = EventReader(stream, config.limits)
        self.audio_stop_ns: int | None = None
        self.speech_end_ns: int | None = None
        self.max_trace_events = config.max_trace_events
        self.received_events = 0
        self.dropped_events = 0

    async def send(self, event: Event) -> int:
        await self.stream.send(encode_event(event, self.version))
        now = time.perf_counter_ns()
        self.trace.entries.append(TraceEntry("sent", event.type, event.data, len(event.payload or b""), now))
        return now

    async def receive(self) -> ReceivedEvent | None:
        try:
            received = await self.reader.read()
        except FramingError as exc:
            self.trace.ended = "framing"
            exc.trace = self.trace
            raise
        if received is None:
            return None
        event = received.event
        self.received_events += 1
        if self.received_events > self.max_trace_events:
            self.dropped_events += 1  # counted, not kept: the answer fails as over budget at its end
            return received
        self.trace.entries.append(
            TraceEntry(
                "received",
                event.type,
                event.data,
                len(event.payload or b""),
                received.arrival_ns,
                raw_header=received.raw_header,
            )
        )
        return received

    async def linger(self, seconds: float) -> None:
        """Record whatever the server still sends within ``seconds`` after the final event."""
        if seconds <= 0:
            return
        ended = self.trace.ended
        with anyio.move_on_after(seconds):
            try:
                while await self.receive() is not None:
                    pass
            except FramingError:
                pass
        self.trace.ended = ended

    async def send_audio(self, audio: PcmAudio, chunks: int | None = None, speech_end_chunk: int | None = None) -> int:
        """Upload audio as HA does: ``audio-start``, 10 ms chunks, ``audio-stop``. A partial
        tail shorter than 10 ms is dropped, as HA's assist pipeline does, unless configured not to.

        ``chunks``: send only that many full chunks (where HA's voice detector ends the upload);
        the time chunk number ``speech_end_chunk`` is written goes to ``speech_end_ns``.
        Frames go out in batches of up to 64 KiB; the bytes on the wire are the same as
        one write per event. Returns the time ``audio-stop`` was written.
        """
        fmt = {"rate": audio.rate_hz, "width": audio.width_bytes, "channels": audio.channels}
        await self.send(AudioStart(**fmt).event())
        chunk_data = AudioChunk(audio=b"", **fmt).event().data
        full_prefix = _chunk_prefix(chunk_data, HA_CHUNK_BYTES, self.version)
        pcm = memoryview(audio.pcm)
        whole = len(pcm) // HA_CHUNK_BYTES
        full_chunks = whole if chunks is None else min(chunks, whole)
        cut = full_chunks < whole
        if self.pace == "realtime":
            started = anyio.current_time()
            for index in range(full_chunks):
                # Chunk i leaves at start + i * 10 ms: a schedule, so delays never accumulate.
                await anyio.sleep(max(0.0, started + index * _CHUNK_S - anyio.current_time()))
                piece = pcm[index * HA_CHUNK_BYTES : (index + 1) * HA_CHUNK_BYTES]
                await self._flush_chunks([full_prefix, piece], 1, HA_CHUNK_BYTES, chunk_data)
                if index + 1 == speech_end_chunk:
                    self.speech_end_ns = self.trace.entries[-1].time_ns
        else:
            per_batch = max(1, _UPLOAD_BATCH_BYTES // (len(full_prefix) + HA_CHUNK_BYTES))
            for first in range(0, full_chunks, per_batch):
                count = min(per_batch, full_chunks - first)
                frames: list[bytes | memoryview] = [full_prefix] * (2 * count)
                frames[1::2] = [pcm[i * HA_CHUNK_BYTES : (i + 1) * HA_CHUNK_BYTES] for i in range(first, first + count)]
                await self._flush_chunks(frames, count, HA_CHUNK_BYTES, chunk_data)
                if speech_end_chunk is not None and first < speech_end_chunk <= first + count:
                    self.speech_end_ns = self.trace.entries[-1].time_ns
        tail = pcm[full_chunks * HA_CHUNK_BYTES :]
        if len(tail) and not self.drop_partial_chunk and not cut:
            if self.pace == "realtime":
                await anyio.sleep(max(0.0, started + full_chunks * _CHUNK_S - anyio.current_time()))
            await self._flush_chunks([_chunk_prefix(chunk_data, len(tail), self.version), tail], 1, len(tail), chunk_data)
        return await self.send(AudioStop().event())

    async def _flush_chunks(self, frames: list[bytes | memoryview], count: int, length: int, data: dict[str, Any]) -> None:
        """Write ``count`` chunk frames of ``length`` payload bytes each in one send, and trace them."""
        await self.stream.send(b"".join(frames))
        now = time.perf_counter_ns()
        self.trace.entries.extend([TraceEntry("sent", "audio-chunk", data, length, now) for _ in range(count)])


def _chunk_prefix(data: dict[str, Any], payload_length: int, version: str) -> bytes:
    frame = encode_event(Event("audio-chunk", data, b"\0" * payload_length), version)
    return frame[: len(frame) - payload_length]

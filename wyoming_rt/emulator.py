"""`HAEmulator`: a Wyoming client that behaves like Home Assistant's wyoming integration.

It reproduces HA's sequences (describe with retries, STT upload in 10 ms chunks, TTS plain
or streaming) over a fresh connection per operation, and returns what happened: the result,
its timings and the full event trace. It judges nothing; `checks` does.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import anyio
from anyio.abc import ByteStream
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe, Info
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop, SynthesizeVoice

from wyoming_rt.endpoint import Endpoint, connect
from wyoming_rt.endpointing import end_of_speech_cached
from wyoming_rt.llm_stream import TimedChunk
from wyoming_rt.pcm import to_ha_format
from wyoming_rt.records.audio import HA_CHUNK_BYTES, PcmAudio, is_playable_format
from wyoming_rt.records.emulator_options import EmulatorOptions
from wyoming_rt.records.emulator_options import Endpointing as Endpointing
from wyoming_rt.records.emulator_options import Pace as Pace
from wyoming_rt.records.errors import (
    ErrorThenAudioError,
    ErrorThenHangError,
    ErrorThenHangTimeout,
    FramingError,
    OverBudgetError,
    ProtocolError,
    ServerClosedError,
    ServerErrorEvent,
    WatchdogTimeout,
    WyomingRTError,
)
from wyoming_rt.records.ha_release import HaMode, HaRelease, ha_release
from wyoming_rt.records.results import DescribeResult, EndOfSpeech, SttResult, TtsResult
from wyoming_rt.records.trace import Trace, TraceEntry
from wyoming_rt.wire import EventReader, ReceivedEvent, WireLimits, encode_event

_UPLOAD_BATCH_BYTES = 64 * 1024
_FINAL_EVENTS = frozenset({"transcript", "audio-stop", "synthesize-stopped"})
_CHUNK_S = 0.010


@dataclass(frozen=True)
class EmulatorConfig(EmulatorOptions):
    """How the emulator talks; the defaults are Home Assistant's. The user options (timeout,
    language, voice, HA release, pace, endpointing) are declared on `EmulatorOptions`."""

    connect_timeout_s: float = 5.0
    describe_timeout_s: float = 0.0
    """describe -> info per attempt (the TCP connect is not covered); 0: the HA release's (5 s in
    2026.11, 1 s in 2026.2)."""
    describe_attempts: int = 4
    describe_retry_sleep_s: float = 2.0
    version: str = ""
    """The ``version`` written in every header; empty: the HA release's wyoming version."""
    limits: WireLimits = field(default_factory=WireLimits)
    drop_partial_chunk: bool = True
    """Never send a chunk shorter than 10 ms: HA's assist pipeline drops the partial tail."""
    requires_external_vad: bool = True
    """What the STT server's info says (wyoming's default: true); HA 2026.11 runs its voice
    detector only for servers that require it, 2026.2 for every server."""
    error_grace_s: float = 2.0
    """When an ``error`` event fails a request, keep reading this long (or until the server closes
    or ends the answer) to see what the server does next: audio after an error, or a hang."""
    linger_s: float = 0.0
    """After the final event, keep reading this long (or until the server closes) to record
    events a server sends too many. HA closes at once (0); the conformance probes linger."""
    max_answer_audio_s: float = 600.0
    max_answer_audio_bytes: int = 128 << 20
    """Budget for the audio of one TTS answer (seconds at its declared format, and bytes): past
    it the rest is read and dropped and the answer fails as over budget."""
    max_trace_events: int = 30_000
    """Received events kept in one connection's trace; past it they are counted, not kept, and
    the answer fails as over budget (what the emulator sends is bounded by the corpus budgets)."""

    def __post_init__(self) -> None:
        release = ha_release(self.ha_mode)
        if not self.version:
            object.__setattr__(self, "version", release.wyoming_version)
        if self.describe_timeout_s <= 0:
            object.__setattr__(self, "describe_timeout_s", release.describe_timeout_s)

    @property
    def release(self) -> HaRelease:
        return ha_release(self.ha_mode)


class _Connection:
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


class HAEmulator:
    """Talks to Wyoming servers exactly as Home Assistant does. One connection per call."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.request_written: anyio.Event | None = None
        """When set to an event, it is set once a request's last event is written (``audio-stop``,
        ``synthesize``, ``synthesize-stop``): the server has it all and is working from then on."""

    def _written(self) -> None:
        if self.request_written is not None:
            self.request_written.set()

    async def __aenter__(self) -> HAEmulator:  # noqa: PYI034 (typing.Self needs Python 3.11)
        """``async with HAEmulator() as emulator:``; connections are per call, so nothing stays open."""
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    @asynccontextmanager
    async def _open(self, endpoint: Endpoint, operation: str) -> AsyncIterator[_Connection]:
        trace = Trace(operation, str(endpoint))
        try:
            stream = await connect(endpoint, self.config.connect_timeout_s)
        except WyomingRTError as exc:
            trace.ended = exc.kind
            exc.trace = trace
            raise
        async with stream:
            yield _Connection(stream, trace, self.config)

    # ------------------------------------------------------------------ describe

    async def describe(self, endpoint: Endpoint) -> DescribeResult:
        """``describe`` -> ``info`` with HA's 1 s timeout, 4 attempts and 2 s pauses."""
        failures: list[str] = []
        last_error: WyomingRTError | None = None
        for attempt in range(1, self.config.describe_attempts + 1):
            try:
                return await self._describe_once(endpoint, attempt, failures)
            except WyomingRTError as exc:
                failures.append(str(exc))
                last_error = exc
            if attempt < self.config.describe_attempts:
                await anyio.sleep(self.config.describe_retry_sleep_s)
        assert last_error is not None
        if len(failures) > 1:
            last_error.args = (f"{last_error} (after {len(failures)} attempts)",)
        raise last_error

    async def _describe_once(self, endpoint: Endpoint, attempt: int, failures: list[str]) -> DescribeResult:
        async with self._open(endpoint, "describe") as conn:
            try:
                with anyio.fail_after(self.config.describe_timeout_s):
                    sent_ns = await conn.send(Describe().event())
                    while True:
                        received = await conn.receive()
                        if received is None:
                            conn.trace.ended = "closed"
                            raise ServerClosedError(
                                f"{endpoint} closed the connection before answering describe", trace=conn.trace
                            )
                        if received.type == "info":
                            break
            except TimeoutError as exc:
                conn.trace.ended = "timeout"
                raise WatchdogTimeout(
                    f"{endpoint} did not answer describe within {self.config.describe_timeout_s:g} s",
                    trace=conn.trace,
                ) from exc
            conn.trace.ended = "complete"
            data = received.event.data
            info: Info | None = None
            parse_error: str | None = None
            try:
                info = Info.from_event(received.event)
            except (TypeError, KeyError, ValueError, AttributeError) as exc:
                parse_error = f"{type(exc).__name__}: {exc}"
            return DescribeResult(
                info_data=data,
                info=info,
                parse_error=parse_error,
                attempts=attempt,
                latency_s=(received.arrival_ns - sent_ns) / 1e9,
                trace=conn.trace,
                failures=list(failures),
            )

    # ------------------------------------------------------------------ speech to text

    async def transcribe(
        self,
        endpoint: Endpoint,
        audio: PcmAudio,
        language: str | None = None,
        *,
        endpointing: bool | None = None,
    ) -> SttResult:
        """HA's STT: ``transcribe{language}``, ``audio-start``, 10 ms chunks, ``audio-stop``, read ``transcript``.

        In 2026.11 mode (the default) it reads while uploading, as current HA does: a
        transcript that arrives before ``audio-stop`` ends the upload; an ``error`` event is a
        failure. In ``2026.2`` mode it uploads everything, then reads, ignoring ``error``.
        With endpointing (`EmulatorConfig.endpointing`, or ``endpointing``), the upload ends
        where HA's voice detector hears the end of speech; 2026.11 skips it for a server whose
        info says ``requires_external_vad: false`` (`EmulatorConfig.requires_external_vad`).
        """
        audio = to_ha_format(audio)
        language = language if language is not None else self.config.language
        release = self.config.release
        use_vad = (self.config.endpointing == "vad") if endpointing is None else endpointing
        if release.vad_only_when_required and not self.config.requires_external_vad:
            use_vad = False
        plan = await anyio.to_thread.run_sync(end_of_speech_cached, audio.pcm) if use_vad and audio.pcm else None
        async with self._open(endpoint, "stt") as conn:
            with self._watchdog(conn.trace, f"STT on {endpoint}"):
                started_ns = await conn.send(Transcribe(language=language).event())
                outcome: ReceivedEvent | WyomingRTError
                if not release.stt_reads_while_uploading:
                    try:
                        conn.audio_stop_ns = await conn.send_audio(audio, *_cut(plan))
                        self._written()
                    except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                        pass  # the server closed; the reader reports it
                    outcome = await self._read_transcript(conn, endpoint, errors_fail=release.stt_error_fails)
                else:
                    outcome = await self._upload_while_reading(conn, endpoint, audio, plan)
                upload_done_ns = conn.audio_stop_ns

            if isinstance(outcome, WyomingRTError):
                raise outcome
            assert outcome is not None
            transcript = Transcript.from_event(outcome.event) if "text" in outcome.event.data else None
            if transcript is None or not isinstance(transcript.text, str):
                conn.trace.ended = "invalid"
                raise ProtocolError(f"{endpoint} sent a transcript without a text field", trace=conn.trace)
            if not _is_unicode(transcript.text):
                conn.trace.ended = "invalid"
                raise ProtocolError(
                    f"{endpoint} sent a transcript whose text is not valid Unicode (a lone surrogate such as \\ud800): "
                    "HA cannot encode it to pass it on",
                    trace=conn.trace,
                )
            _check_budget(conn, endpoint)
            conn.trace.ended = "complete"
            await conn.linger(self.config.linger_s)
            early = upload_done_ns is None or outcome.arrival_ns < upload_done_ns
            latency_ns = 0 if early else outcome.arrival_ns - (upload_done_ns or outcome.arrival_ns)
            upload_ns = (upload_done_ns or outcome.arrival_ns) - started_ns
            from_speech_end = None if conn.speech_end_ns is None else max(0, outcome.arrival_ns - conn.speech_end_ns) / 1e9
            return SttResult(
                text=transcript.text,
                transcript_data=outcome.event.data,
                latency_s=latency_ns / 1e9,
                upload_s=upload_ns / 1e9,
                audio_duration_s=audio.duration_s,
                transcript_before_audio_stop=early,
                trace=conn.trace,
                end_of_speech=plan,
                from_speech_end_s=from_speech_end,
            )

    async def _upload_while_reading(
        self, conn: _Connection, endpoint: Endpoint, audio: PcmAudio, plan: EndOfSpeech | None
    ) -> ReceivedEvent | WyomingRTError:
        """Upload in a child task while this task reads; a transcript ends the upload."""
        async with anyio.create_task_group() as tg:

            async def upload() -> None:
                try:
                    conn.audio_stop_ns = await conn.send_audio(audio, *_cut(plan))
                    self._written()
                except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                    pass  # the server closed; the reader reports it

            tg.start_soon(upload)
            outcome = await self._read_transcript(conn, endpoint, errors_fail=self.config.release.stt_error_fails)
            tg.cancel_scope.cancel()
        return outcome

    async def _read_transcript(
        self, conn: _Connection, endpoint: Endpoint, *, errors_fail: bool
    ) -> ReceivedEvent | WyomingRTError:
        ignored_error: ReceivedEvent | None = None
        while True:
            try:
                received = await conn.receive()
            except FramingError as exc:
                return exc
            if received is None:
                conn.trace.ended = "closed"
                after = f" (after an error event, which HA 2026.2 ignores: {_error_text(ignored_error)})" if ignored_error else ""
                return ServerClosedError(f"{endpoint} closed the connection before sending a transcript{after}", trace=conn.trace)
            if received.type == "transcript":
                return received
            if received.type == "error":
                if not errors_fail:
                    ignored_error = received
                    continue
                return await self._after_error(conn, f"{endpoint} answered STT", received)

    # ------------------------------------------------------------------ text to speech

    async def synthesize(
        self, endpoint: Endpoint, text: str, *, streaming: bool = False, chunks: Sequence[TimedChunk] | None = None
    ) -> TtsResult:
        """HA's TTS. ``streaming`` selects the sequence HA uses for servers that advertise
        ``supports_synthesize_streaming``: one ``synthesize-chunk`` with the whole text, or
        ``chunks`` written on their schedule (an LLM's answer, `wyoming_rt.llm_stream`), read
        while they are written."""
        voice = None
        if self.config.voice is not None:
            voice = SynthesizeVoice(name=self.config.voice, speaker=self.config.speaker)
        async with self._open(endpoint, "tts-streaming" if streaming else "tts") as conn:
            with self._watchdog(conn.trace, f"TTS on {endpoint}"):
                if streaming:
                    schedule = list(chunks) if chunks else [TimedChunk(0.0, text)]
                    return await self._synthesize_streaming(conn, endpoint, text, voice, schedule)
                return await self._synthesize_plain(conn, endpoint, text, voice)

    async def _synthesize_plain(
        self, conn: _Connection, endpoint: Endpoint, text: str, voice: SynthesizeVoice | None
    ) -> TtsResult:
        started_ns = await conn.send(Synthesize(text=text, voice=voice).event())
        self._written()
        audio = _AudioCollector(started_ns, self.config)
        saw_error: ReceivedEvent | None = None
        while True:
            received = await conn.receive()
            if received is None:
                conn.trace.ended = "closed"
                if saw_error is not None:
                    raise ServerErrorEvent(f"{endpoint} answered TTS with an error: {_error_text(saw_error)}", trace=conn.trace)
                raise ServerClosedError(f"{endpoint} closed the connection before audio-stop", trace=conn.trace)
            if received.type == "audio-stop":
                break
            if received.type == "audio-chunk":
                audio.add_chunk(received, format_from_chunk=True)
            elif received.type == "error":
                if self.config.release.tts_error_fails:
                    raise await self._after_error(conn, f"{endpoint} answered TTS", received)
                saw_error = received  # HA 2026.2 ignores it and keeps reading
        conn.trace.ended = "complete"
        await conn.linger(self.config.linger_s)
        _check_budget(conn, endpoint, audio)
        return audio.result(received.arrival_ns, streaming=False, trace=conn.trace)

    async def _synthesize_streaming(
        self, conn: _Connection, endpoint: Endpoint, text: str, voice: SynthesizeVoice | None, schedule: list[TimedChunk]
    ) -> TtsResult:
        started_ns = await conn.send(SynthesizeStart(voice=voice).event())
        started = anyio.current_time()
        audio = _AudioCollector(started_ns, self.config)

        async def write() -> None:
            try:
                for chunk in schedule:
                    await anyio.sleep(max(0.0, started + chunk.at_s - anyio.current_time()))
                    await conn.send(SynthesizeChunk(text=chunk.text).event())
                await conn.send(Synthesize(text=text, voice=voice).event())
                await conn.send(SynthesizeStop().event())
                self._written()
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                pass  # the server closed; the reader reports it

        async with anyio.create_task_group() as writer:
            writer.start_soon(write)
            try:
                end: int | WyomingRTError = await self._read_stream(conn, endpoint, audio)
            except WyomingRTError as exc:
                end = exc  # raised outside the task group, so that it is not wrapped in a group
            writer.cancel_scope.cancel()
        if isinstance(end, WyomingRTError):
            raise end
        end_ns = end
        _check_budget(conn, endpoint, audio)
        return audio.result(end_ns, streaming=True, trace=conn.trace)

    async def _read_stream(self, conn: _Connection, endpoint: Endpoint, audio: _AudioCollector) -> int:
        """Read a streaming answer as HA does, until ``synthesize-stopped`` or EOF; returns its end time."""
        while True:
            received = await conn.receive()
            if received is None:
                conn.trace.ended = "closed"  # HA accepts EOF as the end of a stream
                return time.perf_counter_ns()
            if received.type == "synthesize-stopped":
                conn.trace.ended = "complete"
                await conn.linger(self.config.linger_s)
                return received.arrival_ns
            if received.type == "audio-start" and audio.rate_hz is None:
                audio.set_format(received.event.data)
            elif received.type == "audio-chunk" and audio.rate_hz is not None:
                audio.add_chunk(received, format_from_chunk=False)  # before any audio-start HA drops it
            elif received.type == "error" and self.config.release.tts_error_fails:
                raise await self._after_error(conn, f"{endpoint} answered TTS", received)

    # ------------------------------------------------------------------ helpers

    async def _after_error(self, conn: _Connection, what: str, error: ReceivedEvent) -> ServerErrorEvent:
        """The failure for an ``error`` event that fails the request, as HA does. Before giving
        up, read on for `EmulatorConfig.error_grace_s` to see what the server does next: audio
        after the error (HA 2026.11 never plays it), or neither a close nor an end (HA 2026.2,
        which ignores the error, would wait for ever)."""
        message = f"{what} with an error: {_error_text(error)}"
        audio_after = 0
        ended = False
        with anyio.move_on_after(self.config.error_grace_s):
            try:
                while (received := await conn.receive()) is not None:
                    if received.type == "audio-chunk":
                        audio_after += 1
                    if received.type in _FINAL_EVENTS:
                        break
            except FramingError:
                pass
            ended = True
        conn.trace.ended = "error-event"
        if audio_after:
            return ErrorThenAudioError(f"{message}; {audio_after} audio chunks followed the error", trace=conn.trace)
        if not ended:
            return ErrorThenHangError(
                f"{message}; then neither a close nor an end of the answer within {self.config.error_grace_s:g} s "
                "(HA 2026.2, which ignores the error, would wait for ever)",
                trace=conn.trace,
            )
        return ServerErrorEvent(message, trace=conn.trace)

    def _watchdog(self, trace: Trace, what: str) -> _Watchdog:
        return _Watchdog(self.config.timeout_s, trace, what)


class _Watchdog:
    """``fail_after`` that turns a timeout into `WatchdogTimeout` carrying the trace."""

    def __init__(self, timeout_s: float, trace: Trace, what: str) -> None:
        self._scope = anyio.fail_after(timeout_s)
        self._timeout_s = timeout_s
        self._trace = trace
        self._what = what

    def __enter__(self) -> None:
        self._scope.__enter__()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            self._scope.__exit__(exc_type, exc, tb)
        except TimeoutError as timeout:
            self._trace.ended = "timeout"
            last = self._trace.entries[-1].type if self._trace.entries else "nothing"
            if any(e.type == "error" for e in self._trace.received()):
                raise ErrorThenHangTimeout(
                    f"{self._what}: an error event, then neither a close nor an end of the answer within the "
                    f"{self._timeout_s:g} s watchdog (last event: {last}); Home Assistant 2026.2 waits for ever",
                    trace=self._trace,
                ) from timeout
            raise WatchdogTimeout(
                f"{self._what} timed out after {self._timeout_s:g} s (last event: {last})", trace=self._trace
            ) from timeout
        if isinstance(exc, (anyio.BrokenResourceError, anyio.ClosedResourceError, ConnectionError)):
            self._trace.ended = "closed"
            raise ServerClosedError(
                f"{self._what}: connection lost while sending ({type(exc).__name__})", trace=self._trace
            ) from exc


class _AudioCollector:
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
        if is_playable_format(self.rate_hz, self.width_bytes, self.channels):
            per_s = self.rate_hz * self.width_bytes * self.channels  # type: ignore[operator]
            return min(self.max_audio_bytes, int(self.max_audio_s * per_s))
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


def _cut(plan: EndOfSpeech | None) -> tuple[int | None, int | None]:
    """`_Connection.send_audio`'s ``chunks`` and ``speech_end_chunk`` for an endpointing plan."""
    return (None, None) if plan is None else (plan.chunks, plan.speech_end_chunk)


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_budget(conn: _Connection, endpoint: Endpoint, audio: _AudioCollector | None = None) -> None:
    """Fail the answer as over budget when events or audio were dropped (read, not kept)."""
    if conn.dropped_events:
        conn.trace.ended = "over-budget"
        raise OverBudgetError(
            f"{endpoint} sent more than {conn.max_trace_events} events in one answer ({conn.dropped_events} more were read and dropped)",
            trace=conn.trace,
        )
    if audio is not None and audio.dropped_bytes:
        conn.trace.ended = "over-budget"
        raise OverBudgetError(
            f"{endpoint} sent more audio than the budget of {audio.budget_bytes} bytes in one answer "
            f"({audio.dropped_bytes} more bytes were read and dropped)",
            trace=conn.trace,
        )


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _error_text(received: ReceivedEvent) -> str:
    try:
        error = Error.from_event(received.event)
        return f"{error.text} ({error.code})" if error.code else error.text
    except (KeyError, TypeError):
        return str(received.event.data)[:200]


__all__ = ["DescribeResult", "EmulatorConfig", "HAEmulator", "HaMode", "Pace", "SttResult", "TtsResult"]

"""`HAEmulator`: Home Assistant's sequences (describe with retries, STT upload, TTS plain or
streaming), one connection per operation, and what an ``error`` event does to each."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager

import anyio
from wyoming.asr import Transcribe, Transcript
from wyoming.error import Error
from wyoming.info import Describe, Info
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop, SynthesizeVoice

from wyoming_rt.emulator.assembly import AudioCollector
from wyoming_rt.emulator.config import EmulatorConfig
from wyoming_rt.emulator.connection import Connection
from wyoming_rt.emulator.watchdog import Watchdog
from wyoming_rt.endpoint import Endpoint, connect
from wyoming_rt.endpointing import PlanStats, end_of_speech_cached, plan_all
from wyoming_rt.llm_stream import TimedChunk
from wyoming_rt.pcm import to_ha_format
from wyoming_rt.records.audio import PcmAudio
from wyoming_rt.records.errors import (
    ErrorThenAudioError,
    ErrorThenHangError,
    FramingError,
    HostNotFoundError,
    OverBudgetError,
    ProtocolError,
    ServerClosedError,
    ServerErrorEvent,
    WatchdogTimeout,
    WyomingRTError,
)
from wyoming_rt.records.results import DescribeResult, EndOfSpeech, SttResult, TtsResult
from wyoming_rt.records.text import is_encodable
from wyoming_rt.records.trace import Trace
from wyoming_rt.wire import ReceivedEvent

_FINAL_EVENTS = frozenset({"transcript", "audio-stop", "synthesize-stopped"})


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
    async def _open(self, endpoint: Endpoint, operation: str) -> AsyncIterator[Connection]:
        trace = Trace(operation, str(endpoint))
        try:
            stream = await connect(endpoint, self.config.connect_timeout_s)
        except WyomingRTError as exc:
            trace.ended = exc.kind
            exc.trace = trace
            raise
        async with stream:
            yield Connection(stream, trace, self.config)

    # ------------------------------------------------------------------ describe

    async def describe(self, endpoint: Endpoint) -> DescribeResult:
        """``describe`` -> ``info`` with HA's 1 s timeout, 4 attempts and 2 s pauses (one for a host name that
        does not resolve)."""
        failures: list[str] = []
        last_error: WyomingRTError | None = None
        for attempt in range(1, self.config.describe_attempts + 1):
            try:
                return await self._describe_once(endpoint, attempt, failures)
            except HostNotFoundError:
                raise  # a name that does not resolve is not transient: retrying only delays the message
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

    def uses_voice_detector(self, endpointing: bool | None = None) -> bool:
        """Whether HA would end an upload with its voice detector (see `transcribe`)."""
        use_vad = (self.config.endpointing == "vad") if endpointing is None else endpointing
        return use_vad and not (self.config.release.vad_only_when_required and not self.config.requires_external_vad)

    async def plan_uploads(self, audios: Iterable[PcmAudio]) -> PlanStats | None:
        """Run HA's voice detector over every clip now (or take its plan from the cache), so that
        no upload of a measured request waits for it; None when this configuration does not use it."""
        if not self.uses_voice_detector():
            return None
        pcms = [pcm for audio in audios if (pcm := to_ha_format(audio).pcm)]
        return await anyio.to_thread.run_sync(plan_all, pcms, abandon_on_cancel=True)

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
        use_vad = self.uses_voice_detector(endpointing)
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
            if not is_encodable(transcript.text):
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
        self, conn: Connection, endpoint: Endpoint, audio: PcmAudio, plan: EndOfSpeech | None
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
        self, conn: Connection, endpoint: Endpoint, *, errors_fail: bool
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
        self, conn: Connection, endpoint: Endpoint, text: str, voice: SynthesizeVoice | None
    ) -> TtsResult:
        started_ns = await conn.send(Synthesize(text=text, voice=voice).event())
        self._written()
        audio = AudioCollector(started_ns, self.config)
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
        self, conn: Connection, endpoint: Endpoint, text: str, voice: SynthesizeVoice | None, schedule: list[TimedChunk]
    ) -> TtsResult:
        started_ns = await conn.send(SynthesizeStart(voice=voice).event())
        started = anyio.current_time()
        audio = AudioCollector(started_ns, self.config)

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

    async def _read_stream(self, conn: Connection, endpoint: Endpoint, audio: AudioCollector) -> int:
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

    async def _after_error(self, conn: Connection, what: str, error: ReceivedEvent) -> ServerErrorEvent:
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

    def _watchdog(self, trace: Trace, what: str) -> Watchdog:
        return Watchdog(self.config.timeout_s, trace, what)


def _cut(plan: EndOfSpeech | None) -> tuple[int | None, int | None]:
    """`Connection.send_audio`'s ``chunks`` and ``speech_end_chunk`` for an endpointing plan."""
    return (None, None) if plan is None else (plan.chunks, plan.speech_end_chunk)


def _check_budget(conn: Connection, endpoint: Endpoint, audio: AudioCollector | None = None) -> None:
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


def _error_text(received: ReceivedEvent) -> str:
    try:
        error = Error.from_event(received.event)
        return f"{error.text} ({error.code})" if error.code else error.text
    except (KeyError, TypeError):
        return str(received.event.data)[:200]

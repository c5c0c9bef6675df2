"""Servers that lie or never stop: each is a named finding within budget and time, and the
report stays whole and valid."""

from __future__ import annotations

import json
from dataclasses import replace

import anyio
import pytest
from anyio.abc import SocketStream
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event

from tests.fake_servers import SPEECH, TEXT, FakeStt, FakeTts, fake_pair, send_transcript, speech_corpus
from tests.fakes import scripted_server
from wyoming_rt.checks.protocol import failure_finding
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.records.errors import OverBudgetError
from wyoming_rt.run.gates import Gates
from wyoming_rt.run.validate import ValidateOptions, validate
from wyoming_rt.wire import encode_event

pytestmark = pytest.mark.anyio
OPTIONS = ValidateOptions(timeout_s=10, concurrency=0, negatives=False, probes=False, gates=Gates(max_wer=None))


def raw_event(event_type: str, data_json: bytes) -> bytes:
    """An event whose data block is written by hand (JSON escapes a normal writer cannot produce)."""
    header = json.dumps({"type": event_type, "data_length": len(data_json)}).encode()
    return header + b"\n" + data_json


async def run(stt: FakeStt | None = None, tts: FakeTts | None = None, options: ValidateOptions = OPTIONS):  # type: ignore[no-untyped-def]
    async with fake_pair(stt, tts) as (stt_endpoint, tts_endpoint):
        with anyio.fail_after(120):  # nothing may hang
            report = await validate(stt_endpoint, tts_endpoint, speech_corpus(), options)
    json.loads(report.to_json())  # the report is whole and valid whatever the server sent
    return report


async def test_a_transcript_with_a_lone_surrogate_is_an_invalid_event() -> None:
    async def surrogate(stream: SocketStream, audio: bytes) -> None:
        await stream.send(raw_event("transcript", rb'{"text": "\ud800 turn on the lights"}'))

    report = await run(FakeStt(after_audio_stop=surrogate))
    messages = [f.message for f in report.findings if f.rule == "stt.invalid-event"]
    assert len(messages) == 2 and "not valid Unicode" in messages[0]


def plain_reply(*events: Event) -> object:
    async def reply(stream: SocketStream, request: Event) -> None:
        await stream.send(b"".join(encode_event(e) for e in events))

    return reply


@pytest.mark.parametrize("rate", [10**15, 1, 0])
async def test_an_absurd_declared_rate_is_a_format_finding_not_a_hang(rate: int) -> None:
    tts = FakeTts(
        plain=plain_reply(AudioStart(rate, 2, 1).event(), AudioChunk(rate, 2, 1, SPEECH.pcm).event(), AudioStop().event())
    )  # type: ignore[arg-type]
    report = await run(tts=tts, options=replace(OPTIONS, back_transcribe=True))
    assert {f.rule for f in report.findings if f.utterance} >= {"tts.format-invalid"}
    assert all(u.back_transcript is None for u in report.utterances)  # never converted, never sent back


async def test_a_megabyte_transcript_is_scored_over_its_beginning_only() -> None:
    long_text = " ".join([TEXT] * 30_000)[: 1 << 20]

    async def verbose(stream: SocketStream, audio: bytes) -> None:
        await send_transcript(stream, long_text if audio else "")

    started = anyio.current_time()
    report = await run(FakeStt(after_audio_stop=verbose), options=replace(OPTIONS, back_transcribe=True))
    assert "score.capped" in {f.rule for f in report.findings}
    assert report.utterances[0].score is not None and report.utterances[0].score.wer is not None
    assert anyio.current_time() - started < 60  # seconds, not the minutes of a whole alignment


async def test_audio_over_the_budget_is_read_and_dropped_and_named() -> None:
    chunk = AudioChunk(16000, 2, 1, bytes(64_000)).event()

    async def flood(stream: SocketStream) -> None:
        await stream.receive()
        await stream.send(
            encode_event(AudioStart(16000, 2, 1).event()) + encode_event(chunk) * 40 + encode_event(AudioStop().event())
        )

    async with scripted_server(flood) as endpoint:
        emulator = HAEmulator(EmulatorConfig(timeout_s=10, max_answer_audio_bytes=1 << 20))
        with pytest.raises(OverBudgetError, match="budget of 1048576 bytes") as caught:
            await emulator.synthesize(endpoint, TEXT)
    assert caught.value.trace is not None and caught.value.trace.ended == "over-budget"
    assert failure_finding("tts", caught.value).rule == "tts.over-budget"


async def test_too_many_events_in_one_answer_are_counted_not_kept() -> None:
    chunk = encode_event(AudioChunk(16000, 2, 1, bytes(2)).event())

    async def drip(stream: SocketStream) -> None:
        await stream.receive()
        await stream.send(encode_event(AudioStart(16000, 2, 1).event()) + chunk * 500 + encode_event(AudioStop().event()))

    async with scripted_server(drip) as endpoint:
        emulator = HAEmulator(EmulatorConfig(timeout_s=10, max_trace_events=100))
        with pytest.raises(OverBudgetError, match="more than 100 events") as caught:
            await emulator.synthesize(endpoint, TEXT)
    assert caught.value.trace is not None and len(caught.value.trace.received()) == 100


async def test_a_transcript_after_too_many_events_is_over_budget() -> None:
    async def chatty(stream: SocketStream, audio: bytes) -> None:
        await stream.send(encode_event(Event("transcript-chunk", {"text": "x"})) * 300)
        await send_transcript(stream, TEXT)

    async with fake_pair(FakeStt(after_audio_stop=chatty)) as (stt, _):
        with pytest.raises(OverBudgetError) as caught:
            await HAEmulator(EmulatorConfig(timeout_s=10, max_trace_events=100)).transcribe(stt, SPEECH)
    assert failure_finding("stt", caught.value).rule == "stt.over-budget"


async def test_a_stream_without_end_is_a_timeout_within_the_budget() -> None:
    async def endless(stream: SocketStream, request: Event) -> None:
        await stream.send(encode_event(AudioStart(16000, 2, 1).event()))
        while True:
            await stream.send(encode_event(AudioChunk(16000, 2, 1, bytes(32_000)).event()))

    report = await run(tts=FakeTts(plain=endless), options=replace(OPTIONS, timeout_s=3))
    assert {f.rule for f in report.findings if f.utterance} <= {"tts.timeout", "tts.not-sent"}
    assert "tts.timeout" in {f.rule for f in report.findings}

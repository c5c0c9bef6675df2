"""The two HA STT clients (--ha-mode) and microphone pacing (--pace), against scripted servers
that show the behaviours no real server shows on demand."""

from __future__ import annotations

import anyio
import numpy as np
import pytest
from anyio.abc import SocketStream
from wyoming.event import Event

from tests.fakes import scripted_server
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.pcm import from_float
from wyoming_rt.records.errors import ServerErrorEvent
from wyoming_rt.wire import EventReader, encode_event

pytestmark = pytest.mark.anyio

ONE_SECOND = from_float(np.zeros(16000, dtype=np.float32), 16000)
TRANSCRIPT = encode_event(Event("transcript", {"text": "turn on the lights"}))


async def read_until_type(reader: EventReader, kind: str) -> None:
    while (received := await reader.read()) is not None and received.type != kind:
        pass


async def error_first_then_transcript(stream: SocketStream) -> None:
    reader = EventReader(stream)
    await read_until_type(reader, "transcribe")
    await stream.send(encode_event(Event("error", {"text": "busy, but carrying on", "code": "warn"})))
    await read_until_type(reader, "audio-stop")
    await stream.send(TRANSCRIPT)


async def transcript_after_audio_start(stream: SocketStream) -> None:
    reader = EventReader(stream)
    await read_until_type(reader, "audio-start")
    await stream.send(TRANSCRIPT)  # endpointing on the server: answer before audio-stop
    await read_until_type(reader, "audio-stop")


async def test_latest_ha_fails_on_an_error_event() -> None:
    async with scripted_server(error_first_then_transcript) as endpoint:
        with anyio.fail_after(10), pytest.raises(ServerErrorEvent, match="busy, but carrying on"):
            await HAEmulator(EmulatorConfig(ha_mode="latest")).transcribe(endpoint, ONE_SECOND)


async def test_ha_2026_2_ignores_the_error_event_and_reads_on() -> None:
    async with scripted_server(error_first_then_transcript) as endpoint:
        with anyio.fail_after(10):
            result = await HAEmulator(EmulatorConfig(ha_mode="2026.2")).transcribe(endpoint, ONE_SECOND)
    assert result.text == "turn on the lights"
    assert [e.type for e in result.trace.received()] == ["error", "transcript"]


async def test_latest_ha_takes_an_early_transcript_and_stops_uploading() -> None:
    async with scripted_server(transcript_after_audio_start) as endpoint:
        with anyio.fail_after(10):
            result = await HAEmulator(EmulatorConfig(ha_mode="latest", pace="realtime")).transcribe(endpoint, ONE_SECOND)
    sent = [e.type for e in result.trace.sent()]
    assert result.transcript_before_audio_stop and result.latency_s == 0
    assert "audio-stop" not in sent and sent.count("audio-chunk") < 50


async def test_ha_2026_2_uploads_everything_before_reading() -> None:
    async with scripted_server(transcript_after_audio_start) as endpoint:
        with anyio.fail_after(10):
            result = await HAEmulator(EmulatorConfig(ha_mode="2026.2")).transcribe(endpoint, ONE_SECOND)
    sent = [e.type for e in result.trace.sent()]
    assert sent[-1] == "audio-stop" and sent.count("audio-chunk") == 100
    assert not result.transcript_before_audio_stop


async def test_realtime_pace_sends_10_ms_every_10_ms() -> None:
    async def answer_at_audio_stop(stream: SocketStream) -> None:
        await read_until_type(EventReader(stream), "audio-stop")
        await stream.send(TRANSCRIPT)

    half_second = from_float(np.zeros(8000, dtype=np.float32), 16000)
    async with scripted_server(answer_at_audio_stop) as endpoint:
        with anyio.fail_after(10):
            result = await HAEmulator(EmulatorConfig(pace="realtime")).transcribe(endpoint, half_second)
    times = [e.time_ns / 1e9 for e in result.trace.sent("audio-chunk")]
    assert len(times) == 50
    assert times[-1] - times[0] >= 0.49 * 0.9  # a schedule of 49 steps of 10 ms, never faster
    assert result.upload_s >= 0.45

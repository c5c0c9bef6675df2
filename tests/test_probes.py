"""Tolerance probes against scripted servers that break exactly one expectation each."""

from __future__ import annotations

import anyio
import pytest
from anyio.abc import SocketStream
from wyoming.event import Event

from tests.fakes import reader_for, scripted_server
from tests.test_faults import STT_INFO, TTS_INFO, audio_reply, good_stt
from wyoming_rt.checks.protocol import check_probes
from wyoming_rt.emulator import EmulatorConfig
from wyoming_rt.run.probes import run_probes
from wyoming_rt.wire import encode_event

pytestmark = pytest.mark.anyio
CONFIG = EmulatorConfig(timeout_s=1.0)


def server(info: Event, *, close_on_unknown: bool = False, on_request=None):  # type: ignore[no-untyped-def]
    async def handler(stream: SocketStream) -> None:
        reader = reader_for(stream)
        while (received := await reader.read()) is not None:
            if received.type == "describe":
                await stream.send(encode_event(info))
            elif received.type in ("transcribe", "synthesize", "synthesize-start"):
                await on_request(stream, received.event)
                return
            elif received.type not in ("audio-start", "audio-chunk", "audio-stop") and close_on_unknown:
                return

    return scripted_server(handler)


async def good_tts(stream: SocketStream, request: Event) -> None:
    reader = reader_for(stream)
    if request.type == "synthesize-start":
        while (received := await reader.read()) is not None and received.type != "synthesize-stop":
            pass
        await stream.send(encode_event(Event("synthesize-stopped")))
    else:
        await stream.send(b"".join(audio_reply()))


async def hang(stream: SocketStream, request: Event) -> None:
    await anyio.sleep_forever()


async def rules_for(stt_kwargs: dict, tts_kwargs: dict, streaming: bool = False) -> list[str]:  # type: ignore[type-arg]
    async with (
        server(STT_INFO, **{"on_request": good_stt, **stt_kwargs}) as stt,
        server(TTS_INFO, **{"on_request": good_tts, **tts_kwargs}) as tts,
    ):
        with anyio.fail_after(10):
            outcomes = await run_probes(stt, tts, CONFIG, tts_streaming=streaming)
    return [f.rule for f in check_probes(outcomes)]


@pytest.mark.parametrize("streaming", [False, True])
async def test_well_behaved_servers_pass_every_probe(streaming: bool) -> None:
    assert await rules_for({}, {}, streaming) == []


async def test_closing_on_an_unknown_event_type() -> None:
    assert await rules_for({"close_on_unknown": True}, {}) == ["probe.unknown-event"]
    assert await rules_for({}, {"close_on_unknown": True}) == ["probe.unknown-event"]


async def test_no_transcript_for_empty_audio() -> None:
    assert await rules_for({"on_request": hang}, {}) == ["stt.empty-audio-unanswered"]


@pytest.mark.parametrize("streaming", [False, True])
async def test_no_end_for_empty_text(streaming: bool) -> None:
    assert await rules_for({}, {"on_request": hang}, streaming) == ["tts.empty-text-unanswered"]

"""The null server reads events with the wire layer's bounded reader: a frame past `WireLimits`
closes that connection, and the server goes on answering the others."""

from __future__ import annotations

import anyio
import pytest
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.tts import Synthesize

from tests.servers.test_connection_budget import describe, describe_once
from wyoming_rt.endpoint import connect
from wyoming_rt.servers.null import null_speech_marker, null_transcript, run_null_server
from wyoming_rt.wire import EventReader, WireLimits, encode_event

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "frame",
    [
        b"x" * (WireLimits().max_header_bytes + 1),  # a header line with no end
        b'{"type": "audio-chunk", "payload_length": %d}\n' % (WireLimits().max_payload_bytes + 1),
        b'{"type": "audio-chunk", "data_length": -1}\n',
        b"not json\n",
        b'{"no": "type"}\n',
    ],
)
async def test_a_frame_it_cannot_read_closes_that_connection_only(frame: bytes) -> None:
    async with run_null_server() as endpoint:
        with anyio.fail_after(10):
            async with await connect(endpoint, 5.0) as stream:
                await stream.send(frame)
                assert await EventReader(stream).read() is None  # closed, nothing sent
            assert [e.type for e in await describe_once(endpoint)] == ["info"]


async def test_it_answers_with_a_digest_of_the_audio_and_the_text_marker() -> None:
    pcm = bytes(range(256)) * 10
    async with run_null_server(reply_seconds=0.1) as endpoint:
        with anyio.fail_after(10):
            async with await connect(endpoint, 5.0) as stream:
                assert [e.type for e in await describe(stream)] == ["info"]
                reader = EventReader(stream)
                events = [AudioStart(16000, 2, 1).event(), AudioChunk(16000, 2, 1, pcm).event(), AudioStop().event()]
                await stream.send(b"".join(encode_event(e) for e in events))
                transcript = await reader.read()
                assert transcript is not None and transcript.event.data["text"] == null_transcript(pcm)
                await stream.send(encode_event(Synthesize(text="hello").event()))
                answer = [await reader.read() for _ in range(3)]
    assert [r.type for r in answer if r is not None] == ["audio-start", "audio-chunk", "audio-chunk"]
    first = answer[1]
    assert first is not None and (first.event.payload or b"").startswith(null_speech_marker("hello"))

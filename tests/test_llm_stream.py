"""An LLM's answer as HA streams it into TTS: token-sized deltas, the first chunk held until the
answer passes 60 characters, one synthesize-chunk per delta after it, written on schedule."""

from __future__ import annotations

import itertools
import json

import anyio
import pytest
from anyio.abc import SocketStream
from hypothesis import given
from hypothesis import strategies as st
from wyoming.audio import AudioChunk, AudioStart
from wyoming.event import Event

from tests.fakes import read_until, scripted_server
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.llm_stream import STREAM_RESPONSE_CHARS, ha_tts_chunks, token_deltas
from wyoming_rt.wire import encode_event

ANSWER = "The living room is at twenty one degrees, and the heating switches to the evening schedule at six."


@given(st.text())
def test_deltas_join_back_to_the_text(text: str) -> None:
    assert "".join(token_deltas(text)) == text


def test_deltas_are_token_sized() -> None:
    deltas = token_deltas(ANSWER)
    assert max(len(d) for d in deltas) <= 5 and len(deltas) > len(ANSWER.split())


def test_the_first_chunk_waits_for_60_characters_then_one_chunk_per_delta() -> None:
    chunks = ha_tts_chunks(ANSWER, tokens_per_s=20)
    assert len(chunks[0].text) > STREAM_RESPONSE_CHARS and "".join(c.text for c in chunks) == ANSWER
    assert all(len(c.text) <= 5 for c in chunks[1:])
    steps = [round(b.at_s - a.at_s, 6) for a, b in itertools.pairwise(chunks[1:])]
    assert set(steps) == {0.05}  # 20 tokens a second


def test_a_short_answer_is_one_chunk_when_the_llm_is_done() -> None:
    (chunk,) = ha_tts_chunks("Done.", tokens_per_s=20)
    assert chunk.text == "Done." and chunk.at_s > 0


@pytest.mark.anyio
async def test_llm_deltas_golden_bytes_and_schedule() -> None:
    chunks = ha_tts_chunks(ANSWER, tokens_per_s=100)
    captured = bytearray()

    async def handler(stream: SocketStream) -> None:
        captured.extend(await read_until(stream, b'"synthesize-stop"'))
        fmt = (16000, 2, 1)
        await stream.send(
            encode_event(AudioStart(*fmt).event()) + encode_event(AudioChunk(*fmt, bytes(3200)).event())
            + encode_event(Event("synthesize-stopped"))
        )  # fmt: skip

    async with scripted_server(handler) as endpoint:
        with anyio.fail_after(60):
            result = await HAEmulator(EmulatorConfig(timeout_s=30)).synthesize(endpoint, ANSWER, streaming=True, chunks=chunks)

    def frame(event_type: str, data: dict[str, object] | None = None) -> bytes:
        if data is None:
            return b'{"type": "%s", "version": "1.10.2"}\n' % event_type.encode()
        body = json.dumps(data, ensure_ascii=False).encode()
        return b'{"type": "%s", "version": "1.10.2", "data_length": %d}\n%s' % (event_type.encode(), len(body), body)

    expected = (
        frame("synthesize-start")
        + b"".join(frame("synthesize-chunk", {"text": c.text}) for c in chunks)
        + frame("synthesize", {"text": ANSWER})
        + frame("synthesize-stop")
    )
    assert bytes(captured) == expected
    sent = result.trace.sent("synthesize-chunk")
    elapsed = (sent[-1].time_ns - sent[0].time_ns) / 1e9
    assert elapsed >= 0.9 * (chunks[-1].at_s - chunks[0].at_s)  # written on the LLM's schedule, never faster
    assert len(result.pcm) == 3200

"""Our TTS server fed by an LLM: it speaks the answer while it arrives, in pieces cut at clause
boundaries, and the pieces join into natural speech. A real server on the real Piper voice, in
this process on a free loopback port (its engine records the pieces it renders); the audio is
transcribed back with faster-whisper tiny.en."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import numpy as np
import pytest
from wyoming.info import Describe
from wyoming.ping import Ping
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop

from tests.integration.wire_client import exchange
from wyoming_rt.checks.audio_quality import FRAME_S, analyse, frame_rms_dbfs
from wyoming_rt.checks.scoring import normalize
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.endpoint import Endpoint, connect, free_tcp_port
from wyoming_rt.llm_stream import ha_tts_chunks
from wyoming_rt.pcm import to_ha_format
from wyoming_rt.records.audio import PcmAudio
from wyoming_rt.servers.base import serve
from wyoming_rt.servers.tts import TtsEngine, TtsSettings
from wyoming_rt.servers.tts_session import TtsSession
from wyoming_rt.wire import EventReader, encode_event

pytestmark = pytest.mark.anyio

WATCHDOG_S = 120.0
"""Generous: a busy 2-core machine may render slowly; nothing here asserts on time."""
ANSWER = (
    "The front door is locked, the garage door is closed and all of the downstairs lights are off now. "
    "Upstairs, the bedroom lamp is still on; shall I turn it off as well?"
)
LONG_SENTENCE = (
    "While you were away, the kitchen stayed at twenty degrees, the washing machine finished its cycle, "
    "the robot vacuum cleaned the living room and the hallway, and the porch light came on at sunset."
)


class RecordingEngine(TtsEngine):
    """The real engine, remembering each piece of text it rendered."""

    def __init__(self) -> None:
        super().__init__(TtsSettings())
        self.pieces: list[str] = []

    def render_text_sync(self, text: str, speaker_id: int | None, *, last: bool) -> bytes:
        self.pieces.append(text)
        return super().render_text_sync(text, speaker_id, last=last)


@pytest.fixture(scope="module")
def engine() -> RecordingEngine:
    pytest.importorskip("piper")
    return RecordingEngine()


@pytest.fixture(scope="module")
def whisper() -> Any:
    faster_whisper = pytest.importorskip("faster_whisper")
    from wyoming_rt.servers.models import packaged_whisper_model

    return faster_whisper.WhisperModel(str(packaged_whisper_model()), device="cpu", compute_type="int8", cpu_threads=2)


def transcribe(whisper: Any, audio: PcmAudio) -> str:
    samples = to_ha_format(audio).samples()[:, 0]
    segments, _ = whisper.transcribe(samples, language="en", beam_size=3, condition_on_previous_text=False)
    return " ".join(s.text for s in segments)


@asynccontextmanager
async def serving(engine: TtsEngine) -> AsyncIterator[Endpoint]:
    endpoint = Endpoint("127.0.0.1", free_tcp_port())
    async with anyio.create_task_group() as tg:
        ready = anyio.Event()
        tg.start_soon(functools.partial(serve, endpoint, engine.info, lambda conn: TtsSession(engine, conn), on_ready=ready.set))
        await ready.wait()
        yield endpoint
        tg.cancel_scope.cancel()


def pauses_s(audio: PcmAudio) -> list[float]:
    """Silent stretches between the first and the last sound, in seconds."""
    levels = frame_rms_dbfs(audio.samples()[:, 0], audio.rate_hz)
    loud = np.flatnonzero(levels > -40.0)
    gaps = np.diff(loud) - 1
    return [float(g) * FRAME_S for g in gaps if g > 0]


def words_of(text: str) -> list[str]:
    return normalize(text).split()


async def test_the_first_audio_comes_while_the_first_sentence_is_still_arriving(engine: RecordingEngine, whisper: Any) -> None:
    """The answer goes out as HA writes an LLM's answer (llm_stream, 20 tokens/s); the chunk that
    completes the first sentence is held back until the first audio arrives (or a long wait
    passes): the audio must come before it, so before the last chunk as well."""
    chunks = ha_tts_chunks(ANSWER)
    first_sentence = ANSWER.index(". ") + 1
    sent: list[str] = []
    received: list[tuple[str, int]] = []  # event type, chunks sent when it arrived
    pcm = bytearray()
    first_audio = anyio.Event()
    engine.pieces.clear()
    with anyio.fail_after(WATCHDOG_S):
        async with serving(engine) as endpoint, await connect(endpoint, 5.0) as stream, anyio.create_task_group() as tg:

            async def read() -> None:
                reader = EventReader(stream)
                while (event := await reader.read()) is not None:
                    received.append((event.type, len(sent)))
                    if event.type == "audio-chunk":
                        pcm.extend(event.event.payload or b"")
                        first_audio.set()
                    if event.type == "synthesize-stopped":
                        return

            tg.start_soon(read)
            await stream.send(encode_event(SynthesizeStart().event()))
            started = anyio.current_time()
            for chunk in chunks:
                await anyio.sleep_until(started + chunk.at_s)  # the LLM's pace, not an assertion
                if len("".join(sent) + chunk.text) >= first_sentence:
                    with anyio.move_on_after(30.0):
                        await first_audio.wait()
                await stream.send(encode_event(SynthesizeChunk(text=chunk.text).event()))
                sent.append(chunk.text)
            await stream.send(encode_event(Synthesize(text=ANSWER).event()) + encode_event(SynthesizeStop().event()))

    first_chunk = next(count for kind, count in received if kind == "audio-chunk")
    text_then = "".join(sent[:first_chunk])
    assert len(text_then) < first_sentence, f"the first audio came only after {text_then!r}"
    assert first_chunk < len(chunks)  # before the last synthesize-chunk was sent
    kinds = [kind for kind, _ in received if kind != "audio-chunk"]
    assert kinds == ["audio-start", "audio-stop", "synthesize-stopped"]
    assert engine.pieces[0] == "The front door is locked,"
    assert len(engine.pieces) >= 4 and " ".join(engine.pieces) == ANSWER  # every sentence in pieces, nothing lost
    back = words_of(transcribe(whisper, PcmAudio(bytes(pcm), engine.sample_rate, 2, 1)))
    missing = [w for w in words_of(ANSWER) if w not in back]
    assert len(missing) <= 2, (missing, back)


async def test_a_long_sentence_is_spoken_in_clauses_that_join_without_extra_pauses(engine: RecordingEngine, whisper: Any) -> None:
    engine.pieces.clear()
    config = EmulatorConfig(timeout_s=WATCHDOG_S)
    with anyio.fail_after(2 * WATCHDOG_S):
        async with serving(engine) as endpoint:
            result = await HAEmulator(config).synthesize(
                endpoint, LONG_SENTENCE, streaming=True, chunks=ha_tts_chunks(LONG_SENTENCE)
            )
    streamed = result.audio
    assert streamed is not None
    pieces = list(engine.pieces)
    assert len(pieces) >= 4 and " ".join(pieces) == LONG_SENTENCE, pieces
    assert all(p.endswith((",", ".")) for p in pieces)  # at its clause marks

    whole = PcmAudio(engine.render_text_sync(LONG_SENTENCE, None, last=True), engine.sample_rate, 2, 1)
    # Each seam is a clause pause, as Piper makes at a comma inside one sentence: no longer than
    # the longest pause of the sentence rendered whole, plus a little.
    assert max(pauses_s(streamed)) <= max(pauses_s(whole)) + 0.15, (pauses_s(streamed), pauses_s(whole))
    assert 0.85 < streamed.duration_s / whole.duration_s < 1.2
    quality = analyse(streamed, LONG_SENTENCE)
    assert quality.findings == []
    back = words_of(transcribe(whisper, streamed))
    missing = [w for w in words_of(LONG_SENTENCE) if w not in back]
    assert len(missing) <= 2, (missing, back)


async def test_during_a_stream_describe_and_ping_are_answered_and_too_much_text_is_refused(engine: RecordingEngine) -> None:
    async with serving(engine) as endpoint:
        events, closed = await exchange(
            endpoint,
            [
                SynthesizeStart().event(),
                SynthesizeChunk(text="Hello there, the lights are on, ").event(),
                Describe().event(),
                Ping(text="x").event(),
                SynthesizeChunk(text="y" * 20_000).event(),
            ],
            timeout_s=WATCHDOG_S,
        )
        kinds = [(e.type, e.data.get("code")) for e in events if not e.type.startswith("audio-")]
        assert closed and kinds == [("info", None), ("pong", None), ("error", "text-too-long")]
        # a client that goes away mid-stream leaves the server serving the next one
        async with await connect(endpoint, 5.0) as stream:
            await stream.send(encode_event(SynthesizeStart().event()) + encode_event(SynthesizeChunk(text=ANSWER).event()))
        result = await HAEmulator(EmulatorConfig(timeout_s=WATCHDOG_S)).synthesize(endpoint, "Still here.", streaming=True)
        assert result.audio is not None and result.audio.duration_s > 0.3

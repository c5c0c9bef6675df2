"""End of speech as HA's assist pipeline finds it (pymicro-vad + HA's VoiceCommandSegmenter), and
the emulator ending its upload there: fewer chunks, then audio-stop, latency from end of speech."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from anyio.abc import SocketStream
from wyoming.event import Event

from tests.fakes import reader_for, scripted_server
from wyoming_rt.corpus import load_corpus
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.endpointing import CHUNK_S, VoiceCommandSegmenter, end_of_speech
from wyoming_rt.records.audio import PcmAudio
from wyoming_rt.wire import encode_event

CORPUS = Path(__file__).parent.parent / "corpus"
TWO_SECONDS_OF_SILENCE = bytes(64000)


def spoken(trailing_silence: bytes = TWO_SECONDS_OF_SILENCE) -> PcmAudio:
    speech = next(iter(load_corpus(CORPUS))).audio
    return PcmAudio(speech.pcm + trailing_silence, 16000, 2, 1)


def test_the_upload_ends_about_0_7_s_after_the_speech() -> None:
    audio = spoken()
    plan = end_of_speech(audio)
    total = len(audio.pcm) // 320
    assert plan.ended_by == "silence" and plan.speech_end_chunk is not None
    assert 60 <= plan.chunks - plan.speech_end_chunk <= 75  # HA's 0.7 s of silence, in 10 ms chunks
    # Real HA 2026.11, 2 s of silence after the speech: 399 of 481 chunks sent, 82 not (ha-wyoming-facts §7)
    assert 70 <= total - plan.chunks <= 95


def test_speech_to_the_last_sample_is_sent_whole() -> None:
    audio = spoken(trailing_silence=b"")
    plan = end_of_speech(audio)
    assert plan.ended_by == "clip-end" and plan.chunks == len(audio.pcm) // 320


def test_the_segmenter_gives_up_after_15_s_without_a_command() -> None:
    plan = end_of_speech(PcmAudio(bytes(32000 * 20), 16000, 2, 1))
    assert plan.ended_by == "timeout" and plan.speech_end_chunk is None
    assert abs(plan.chunks - round(15 / CHUNK_S)) <= 1  # HA counts down in floats, as this port does


def test_the_segmenter_needs_a_whole_command_before_silence_ends_it() -> None:
    segmenter = VoiceCommandSegmenter()
    steps = [segmenter.process(CHUNK_S, 1.0) for _ in range(40)]  # 0.4 s of speech: in command
    assert all(steps) and segmenter.in_command
    silence = [segmenter.process(CHUNK_S, 0.0) for _ in range(100)]
    # 0.7 s of silence is not enough while the 1 s command minimum has not passed
    assert silence.index(False) + 1 == 70


async def count_chunks_then_answer(stream: SocketStream, seen: list[str]) -> None:
    reader = reader_for(stream)
    while (received := await reader.read()) is not None:
        seen.append(received.type)
        if received.type == "audio-stop":
            await stream.send(encode_event(Event("transcript", {"text": "what is the weather"})))
            return


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("config", "cut"),
    [
        (EmulatorConfig(timeout_s=30), True),
        (EmulatorConfig(timeout_s=30, endpointing="none"), False),
        (EmulatorConfig(timeout_s=30, requires_external_vad=False), False),  # 2026.11 trusts the server's own VAD
        (EmulatorConfig(timeout_s=30, requires_external_vad=False, ha_mode="2026.2"), True),  # 2026.2 did not ask
    ],
)
async def test_the_emulator_ends_its_upload_where_ha_would(config: EmulatorConfig, cut: bool) -> None:
    audio = spoken()
    seen: list[str] = []
    async with scripted_server(lambda s: count_chunks_then_answer(s, seen)) as endpoint:
        with anyio.fail_after(60):
            result = await HAEmulator(config).transcribe(endpoint, audio)
    chunks = seen.count("audio-chunk")
    assert seen[-1] == "audio-stop"
    if cut:
        assert result.end_of_speech is not None and chunks == result.end_of_speech.chunks < len(audio.pcm) // 320
        assert result.from_speech_end_s is not None and result.from_speech_end_s >= result.latency_s
    else:
        assert chunks == len(audio.pcm) // 320 and result.end_of_speech is None and result.from_speech_end_s is None


@pytest.mark.anyio
async def test_at_realtime_pace_the_wait_from_end_of_speech_includes_the_silence_ha_waits_for() -> None:
    seen: list[str] = []
    async with scripted_server(lambda s: count_chunks_then_answer(s, seen)) as endpoint:
        with anyio.fail_after(60):
            result = await HAEmulator(EmulatorConfig(timeout_s=30, pace="realtime")).transcribe(endpoint, spoken())
    assert result.from_speech_end_s is not None
    assert result.from_speech_end_s - result.latency_s >= 0.6  # the 0.7 s of silence went out at 10 ms per 10 ms

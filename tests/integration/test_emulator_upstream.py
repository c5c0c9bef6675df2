"""HAEmulator against the real wyoming-faster-whisper and wyoming-piper."""

from __future__ import annotations

import math

import pytest

from wyoming_rt.checks.audio import validate_tts_audio
from wyoming_rt.checks.scoring import normalize
from wyoming_rt.corpus import load_bundled_corpus
from wyoming_rt.emulator import HAEmulator
from wyoming_rt.endpoint import Endpoint

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def test_describe_returns_parsed_info(
    wyoming_upstream_stt_endpoint: Endpoint, wyoming_upstream_tts_endpoint: Endpoint
) -> None:
    emulator = HAEmulator()
    stt = await emulator.describe(wyoming_upstream_stt_endpoint)
    tts = await emulator.describe(wyoming_upstream_tts_endpoint)
    assert stt.parse_error is None and stt.info is not None
    assert stt.info.asr[0].installed and stt.info.asr[0].models[0].installed
    assert tts.info is not None and tts.info.tts[0].voices
    assert stt.attempts == 1 and tts.attempts == 1
    assert [e.type for e in stt.trace.entries] == ["describe", "info"]


async def test_transcribes_a_bundled_utterance_the_ha_way(wyoming_upstream_stt_endpoint: Endpoint) -> None:
    utterance = next(u for u in load_bundled_corpus() if "kansas" in u.reference.lower())
    result = await HAEmulator().transcribe(wyoming_upstream_stt_endpoint, utterance.audio)

    words = normalize(result.text).split()
    assert "weather" in words and "kansas" in words
    sent = [e.type for e in result.trace.sent()]
    chunks = math.ceil(len(utterance.audio.pcm) / 320)
    assert sent == ["transcribe", "audio-start"] + ["audio-chunk"] * chunks + ["audio-stop"]
    assert result.trace.sent("transcribe")[0].data == {"language": "en"}
    assert result.trace.sent("audio-start")[0].data == {"rate": 16000, "width": 2, "channels": 1, "timestamp": None}
    assert all(e.payload_length == 320 for e in result.trace.sent("audio-chunk")[:-1])
    assert [e.type for e in result.trace.received()] == ["transcript"]
    assert not result.transcript_before_audio_stop
    assert result.latency_s > 0


@pytest.mark.parametrize("streaming", [False, True], ids=["plain", "streaming"])
async def test_synthesizes_valid_audio(wyoming_upstream_tts_endpoint: Endpoint, streaming: bool) -> None:
    text = "Turn off the living room lights. The garage door is open."
    result = await HAEmulator().synthesize(wyoming_upstream_tts_endpoint, text, streaming=streaming)

    assert (result.rate_hz, result.width_bytes, result.channels) == (22050, 2, 1)
    validation = validate_tts_audio(result.trace, text)
    assert validation.valid, validation.findings
    assert validation.duration_s is not None and 2.0 < validation.duration_s < 8.0
    assert len(result.pcm) == validation.bytes
    assert result.ttfb_s is not None and 0 < result.ttfb_s <= result.total_s
    received = [e.type for e in result.trace.received()]
    if streaming:
        assert [e.type for e in result.trace.sent()] == ["synthesize-start", "synthesize-chunk", "synthesize", "synthesize-stop"]
        assert received[-1] == "synthesize-stopped"
        assert received.count("audio-start") == 2  # wyoming-piper sends one segment per sentence
    else:
        assert [e.type for e in result.trace.sent()] == ["synthesize"]
        assert received[0] == "audio-start" and received[-1] == "audio-stop"

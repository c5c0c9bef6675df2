"""wyoming-rt's own reference servers, as child processes, on the packaged models."""

from __future__ import annotations

import anyio
import pytest
from wyoming.asr import Transcribe
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event
from wyoming.info import Describe
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop, SynthesizeVoice

from tests.integration.wire_client import exchange
from wyoming_rt.checks.audio import validate_tts_audio
from wyoming_rt.checks.scoring import score
from wyoming_rt.corpus import load_bundled_corpus
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.endpoint import Endpoint

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

LONG_TEXT = " ".join(
    f"Sentence number {i} says that the {room} lights are off and the temperature is {18 + i % 6} degrees."
    for i, room in enumerate(["kitchen", "bedroom", "hallway", "garage", "office", "porch"] * 8)
)


def is_type(*kinds: str):  # type: ignore[no-untyped-def]
    return lambda event: event.type in kinds


async def test_info_describes_one_model_and_one_streaming_voice(
    wyoming_stt_endpoint: Endpoint, wyoming_tts_endpoint: Endpoint
) -> None:
    emulator = HAEmulator()
    stt = await emulator.describe(wyoming_stt_endpoint)
    tts = await emulator.describe(wyoming_tts_endpoint)
    assert stt.parse_error is None and tts.parse_error is None
    assert stt.info is not None and tts.info is not None
    (asr,) = stt.info.asr
    assert asr.installed and [(m.name, m.languages, m.installed) for m in asr.models] == [("tiny.en", ["en"], True)]
    assert stt.info.tts == []
    (program,) = tts.info.tts
    assert program.supports_synthesize_streaming
    assert [(v.name, v.languages, v.installed) for v in program.voices] == [("en_US-joe-medium", ["en_US"], True)]
    assert tts.info.asr == []


async def test_transcribes_the_corpus_the_ha_way(wyoming_stt_endpoint: Endpoint) -> None:
    utterances = list(load_bundled_corpus())[:6]
    emulator = HAEmulator()
    for utterance in utterances:
        result = await emulator.transcribe(wyoming_stt_endpoint, utterance.audio)
        assert score(utterance.reference, result.text).wer == 0.0, (utterance.reference, result.text)
        assert result.text == result.text.strip()


@pytest.mark.parametrize("streaming", [False, True], ids=["plain", "streaming"])
async def test_synthesizes_valid_audio_in_one_segment(wyoming_tts_endpoint: Endpoint, streaming: bool) -> None:
    text = "The front door is locked, and the alarm is armed. The living room lights are off."
    result = await HAEmulator().synthesize(wyoming_tts_endpoint, text, streaming=streaming)
    validation = validate_tts_audio(result.trace, text)
    assert validation.valid, validation.findings
    assert (validation.rate, validation.segments) == (22050, 1)
    assert validation.duration_s is not None and 3.0 < validation.duration_s < 9.0
    received = [e.type for e in result.trace.received()]
    assert received.count("audio-stop") == 1
    assert received[-1] == ("synthesize-stopped" if streaming else "audio-stop")
    assert result.ttfb_s is not None and result.ttfb_s < result.total_s


async def test_the_compatibility_synthesize_is_not_answered_twice(wyoming_tts_endpoint: Endpoint) -> None:
    text = "Good morning. It is sunny."
    events, closed = await exchange(
        wyoming_tts_endpoint,
        [
            SynthesizeStart().event(),
            SynthesizeChunk(text=text).event(),
            Synthesize(text=text).event(),
            SynthesizeStop().event(),
            Describe().event(),
        ],
        until=is_type("info"),
    )
    kinds = [e.type for e in events]
    assert not closed
    assert kinds[0] == "audio-start" and kinds[-3:] == ["audio-stop", "synthesize-stopped", "info"]
    assert kinds.count("audio-start") == 1 and kinds.count("audio-stop") == 1


async def test_text_arriving_in_pieces_is_spoken_once_in_order(wyoming_tts_endpoint: Endpoint) -> None:
    deltas = ["Turn on the kit", "chen lights. Then lock", " the front door", ". Goodnight."]
    events, _ = await exchange(
        wyoming_tts_endpoint,
        [SynthesizeStart().event(), *(SynthesizeChunk(text=d).event() for d in deltas), SynthesizeStop().event()],
        until=is_type("synthesize-stopped"),
    )
    pcm = sum(len(e.payload or b"") for e in events if e.type == "audio-chunk")
    assert 3.0 < pcm / 2 / 22050 < 9.0
    assert [e.type for e in events if e.type != "audio-chunk"] == ["audio-start", "audio-stop", "synthesize-stopped"]


async def test_describe_is_answered_while_a_long_synthesis_runs(wyoming_tts_endpoint: Endpoint) -> None:
    emulator = HAEmulator(EmulatorConfig(timeout_s=600))  # a minute of speech takes long on a busy machine
    finished: dict[str, float] = {}

    async def long_synthesis() -> None:
        result = await emulator.synthesize(wyoming_tts_endpoint, LONG_TEXT)
        finished["synthesis"] = anyio.current_time()
        assert len(result.pcm) > 22050 * 2 * 60  # more than a minute of speech

    async with anyio.create_task_group() as tg:
        tg.start_soon(long_synthesis)
        await anyio.sleep(0.3)  # the synthesis is under way
        described = await emulator.describe(wyoming_tts_endpoint)
        finished["describe"] = anyio.current_time()
    assert described.attempts == 1
    assert finished["describe"] < finished["synthesis"], "describe waited for the synthesis"


async def test_concurrent_sessions_get_their_own_results(wyoming_stt_endpoint: Endpoint) -> None:
    utterances = list(load_bundled_corpus())[:8]
    transcripts: dict[str, str] = {}
    emulator = HAEmulator()

    async def one(index: int) -> None:
        result = await emulator.transcribe(wyoming_stt_endpoint, utterances[index].audio)
        transcripts[utterances[index].id] = result.text

    async with anyio.create_task_group() as tg:
        for i in range(len(utterances)):
            tg.start_soon(one, i)
    for utterance in utterances:
        assert score(utterance.reference, transcripts[utterance.id]).wer == 0.0, (utterance.reference, transcripts[utterance.id])


# --- bad input: each gets its documented answer, and the server keeps serving ------------

FMT = {"rate": 16000, "width": 2, "channels": 1}
WIDE = {"rate": 192_000, "width": 4, "channels": 8}


@pytest.mark.parametrize(
    ("role", "send", "expected_code"),
    [
        ("stt", [b"this is not json\n"], "framing"),
        ("stt", [b'{"type": "audio-chunk", "data_length": 999999999}\n'], "framing"),
        ("stt", [Transcribe(language="xx").event()], "unsupported-language"),
        (
            "stt",
            [Transcribe(language="en").event(), Event("audio-start", {"rate": "fast", "width": 2, "channels": 1})],
            "bad-audio-format",
        ),
        (
            "stt",
            [AudioStart(**FMT).event(), AudioChunk(rate=8000, width=2, channels=1, audio=b"\0\0").event()],
            "bad-audio-format",
        ),
        ("stt", [AudioStart(rate=384_000, width=4, channels=16).event()], "bad-audio-format"),
        # 300 s of the widest playable format would be 1.8 GB: the per-connection byte budget refuses it first
        ("stt", [AudioStart(**WIDE).event(), *[AudioChunk(**WIDE, audio=bytes(13 << 20)).event()] * 2], "audio-too-long"),
        ("tts", [b"\xff\xfe garbage\n"], "framing"),
        ("tts", [Synthesize(text="hi", voice=SynthesizeVoice(name="../../etc/passwd")).event()], "voice-not-found"),
        (
            "tts",
            [Synthesize(text="hi", voice=SynthesizeVoice(name="en_US-joe-medium", speaker="nobody")).event()],
            "speaker-not-found",
        ),
        ("tts", [Event("synthesize", {"text": 42})], "bad-text"),
        ("tts", [SynthesizeChunk(text="orphan").event()], "unexpected-event"),
        ("tts", [Synthesize(text="x" * 20_001).event()], "text-too-long"),
        ("tts", [b'{"type": "synthesize", "data_length": 21}\n{"text": "\\ud800 hi"}'], "bad-text"),
        ("tts", [Synthesize(text="lights\0off").event()], "bad-text"),
        (
            "tts",
            [Synthesize(text="hi", voice=SynthesizeVoice(name="en_US-joe-medium", speaker="\u00b2")).event()],
            "speaker-not-found",
        ),
    ],
    ids=[
        "stt-garbage",
        "stt-lying-length",
        "stt-language",
        "stt-format",
        "stt-format-change",
        "stt-format-too-wide",
        "stt-byte-budget",
        "tts-garbage",
        "tts-voice-path",
        "tts-speaker",
        "tts-text-type",
        "tts-orphan-chunk",
        "tts-too-long",
        "tts-surrogate",
        "tts-nul",
        "tts-superscript-speaker",
    ],
)
async def test_bad_input_gets_an_error_event_then_a_close(
    role: str, send: list, expected_code: str, wyoming_stt_endpoint: Endpoint, wyoming_tts_endpoint: Endpoint
) -> None:
    endpoint = wyoming_stt_endpoint if role == "stt" else wyoming_tts_endpoint
    events, closed = await exchange(endpoint, send)
    assert closed
    assert [(e.type, e.data.get("code")) for e in events] == [("error", expected_code)], events
    described = await HAEmulator().describe(endpoint)  # and the server keeps serving
    assert described.info is not None


async def test_unknown_event_types_are_ignored(wyoming_stt_endpoint: Endpoint, wyoming_tts_endpoint: Endpoint) -> None:
    for endpoint in (wyoming_stt_endpoint, wyoming_tts_endpoint):
        events, closed = await exchange(
            endpoint, [Event("run-satellite"), Event("x-custom", {"a": 1}), Describe().event()], until=is_type("info")
        )
        assert not closed and [e.type for e in events] == ["info"]


async def test_empty_audio_gets_an_empty_transcript(wyoming_stt_endpoint: Endpoint) -> None:
    events, _ = await exchange(
        wyoming_stt_endpoint,
        [Transcribe(language="en").event(), AudioStart(**FMT).event(), AudioStop().event()],
        until=is_type("transcript"),
    )
    assert [(e.type, e.data.get("text")) for e in events] == [("transcript", "")]


async def test_empty_text_gets_an_empty_well_formed_answer(wyoming_tts_endpoint: Endpoint) -> None:
    plain, _ = await exchange(wyoming_tts_endpoint, [Synthesize(text="  ").event()], until=is_type("audio-stop"))
    assert [e.type for e in plain] == ["audio-start", "audio-stop"]
    streamed, _ = await exchange(
        wyoming_tts_endpoint,
        [SynthesizeStart().event(), SynthesizeChunk(text="").event(), SynthesizeStop().event()],
        until=is_type("synthesize-stopped"),
    )
    assert [e.type for e in streamed] == ["synthesize-stopped"]


async def test_ping_gets_pong(wyoming_tts_endpoint: Endpoint) -> None:
    events, _ = await exchange(wyoming_tts_endpoint, [Event("ping", {"text": "x"})], until=is_type("pong"))
    assert [(e.type, e.data) for e in events] == [("pong", {"text": "x"})]


async def test_a_ping_with_a_lone_surrogate_still_gets_a_pong(
    wyoming_stt_endpoint: Endpoint, wyoming_tts_endpoint: Endpoint
) -> None:
    ping = b'{"type": "ping", "data_length": 20}\n{"text": "\\ud800 x"}'
    for endpoint in (wyoming_stt_endpoint, wyoming_tts_endpoint):
        events, closed = await exchange(endpoint, [ping], until=is_type("pong", "error"))
        assert not closed and [e.type for e in events] == ["pong"], events

"""The reference STT server listens while the audio arrives: speculation, server endpointing and
streaming transcripts, on the real tiny.en model and bundled clips followed by silence."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import numpy as np
import pytest
from anyio.from_thread import start_blocking_portal
from wyoming.asr import Transcribe
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event

from wyoming_rt.checks.scoring import score
from wyoming_rt.checks.trace_rules import SttCapabilities, check_stt_trace
from wyoming_rt.corpus import load_bundled_corpus, load_corpus
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.endpoint import Endpoint, free_tcp_port
from wyoming_rt.endpointing import end_of_speech
from wyoming_rt.pcm import to_ha_format, wav_bytes
from wyoming_rt.records.audio import HA_CHUNK_BYTES, PcmAudio
from wyoming_rt.run.gates import Gates
from wyoming_rt.run.validate import ValidateOptions, validate
from wyoming_rt.servers.null import run_null_server
from wyoming_rt.servers.process import RunningServer, python_module_argv, run_server
from wyoming_rt.servers.stt import SttEngine, SttSettings
from wyoming_rt.servers.stt_partials import LocalAgreement
from wyoming_rt.servers.stt_session import SttSession
from wyoming_rt.wire import ReceivedEvent

pytestmark = pytest.mark.anyio

WATCHDOG_S = 120.0
"""Generous: a busy 2-core CI machine."""


def silence(seconds: float) -> bytes:
    return bytes(int(seconds * 16000) * 2)


def speech(index: int) -> tuple[str, bytes]:
    utterance = list(load_bundled_corpus())[index]
    return utterance.reference, to_ha_format(utterance.audio).pcm


# ---------------------------------------------------------------- local agreement (no model)


def test_words_are_sent_once_two_decodes_agree_and_join_to_the_transcript() -> None:
    agreement = LocalAgreement()
    assert agreement.update("Turn on") is None  # nothing to agree with yet
    deltas = [
        agreement.update("Turn on the kit"),  # "the" is its last word: not yet
        agreement.update("Turn on the kitchen lights"),  # "kit" became "kitchen": only "the" agrees
        agreement.update("turn on the kitchen lights, please"),  # case and punctuation do not count
    ]
    assert deltas == ["Turn on", " the", " kitchen lights,"]
    final = "Turn on the kitchen lights, please."
    assert agreement.agrees_with(final)
    deltas.append(agreement.remainder(final))
    assert deltas[-1] == " please."
    assert "".join(d for d in deltas if d) == final
    assert agreement.remainder(final) is None  # all sent


def test_a_decode_that_changed_its_mind_sends_nothing_new() -> None:
    agreement = LocalAgreement()
    agreement.update("Set the timer to")
    assert agreement.update("Set the timer to ten") == "Set the timer to"
    assert agreement.update("Sit a timer for ten minutes") is None  # disagrees with what was sent
    assert not agreement.agrees_with("Sit a timer for ten minutes.")


# ---------------------------------------------------------------- one session, in process, real model


class Sent:
    """A `Connection` stand-in that keeps what the session sends."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    async def send(self, event: Event) -> None:
        self.events.append(event)


@pytest.fixture(scope="module")
def engine() -> SttEngine:
    return SttEngine(SttSettings(cpu_threads=2))


class Recording:
    """The engine's decodes in this test: how many samples each one had."""

    def __init__(self, engine: SttEngine, monkeypatch: pytest.MonkeyPatch, **settings: Any) -> None:
        self.samples: list[int] = []
        self.texts: list[str] = []
        original = engine.transcribe

        async def transcribe(samples: np.ndarray, language: str | None) -> str:
            self.samples.append(len(samples))
            self.texts.append(await original(samples, language))
            return self.texts[-1]

        monkeypatch.setattr(engine, "transcribe", transcribe)
        monkeypatch.setattr(engine, "settings", replace(engine.settings, **settings))


async def drive(engine: SttEngine, pcm: bytes) -> list[Event]:
    """One request through a session, 10 ms of audio every 10 ms, then ``audio-stop``."""
    sent = Sent()
    with anyio.fail_after(WATCHDOG_S):
        async with anyio.create_task_group() as jobs:
            session = SttSession(engine, sent, jobs)  # type: ignore[arg-type]
            start = anyio.current_time()
            events = [Transcribe(language="en").event(), AudioStart(rate=16000, width=2, channels=1).event()]
            for index in range(0, len(pcm), HA_CHUNK_BYTES):
                await anyio.sleep_until(start + index / HA_CHUNK_BYTES * 0.01)
                chunk = AudioChunk(rate=16000, width=2, channels=1, audio=pcm[index : index + HA_CHUNK_BYTES])
                events.append(chunk.event())
                for event in events:
                    await session.handle(ReceivedEvent(event, b"", {}, 0))
                events = []
            await session.handle(ReceivedEvent(AudioStop().event(), b"", {}, 0))
            await session.close()
    return sent.events


def ha_cut(pcm: bytes) -> bytes:
    """The audio HA's pipeline sends: up to where its voice detector ends the command."""
    plan = end_of_speech(PcmAudio(pcm, 16000, 2, 1))
    assert plan.ended_by == "silence"
    return pcm[: plan.chunks * HA_CHUNK_BYTES]


def samples_of(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


@pytest.mark.parametrize("index", [0, 2, 5])
async def test_the_speculative_transcript_is_the_answer_and_the_same_as_a_full_decode(
    engine: SttEngine, monkeypatch: pytest.MonkeyPatch, index: int
) -> None:
    reference, clip = speech(index)
    pcm = ha_cut(clip + silence(1.5))
    decodes = Recording(engine, monkeypatch)
    events = await drive(engine, pcm)
    assert [e.type for e in events] == ["transcript"]
    (decoded,) = decodes.samples  # one decode, before audio-stop: none was needed after it
    assert abs(decoded - len(pcm) // 2) <= 2 * 160  # what had come, and the silence still to come as HA sends it
    full = await anyio.to_thread.run_sync(engine.transcribe_sync, samples_of(pcm), "en")
    assert events[0].data["text"] == full  # what the server answered without speculation
    assert score(reference, full).wer == 0.0


async def test_speech_after_a_pause_is_not_lost(engine: SttEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    first_ref, first = speech(0)
    second_ref, second = speech(1)
    pcm = first + silence(1.2) + second + silence(1.0)
    decodes = Recording(engine, monkeypatch)
    events = await drive(engine, pcm)
    assert score(first_ref, decodes.texts[0]).wer == 0.0  # a speculation in the pause, then dropped
    (transcript,) = [e for e in events if e.type == "transcript"]
    assert score(f"{first_ref} {second_ref}", transcript.data["text"]).wer <= 0.1, transcript.data["text"]


def test_by_default_info_leaves_endpointing_to_ha_and_does_not_stream(engine: SttEngine) -> None:
    (program,) = engine.info().asr
    assert program.requires_external_vad is True and program.supports_transcript_streaming is False


async def test_without_speculation_the_only_decode_is_at_audio_stop(engine: SttEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    _, clip = speech(3)
    pcm = ha_cut(clip + silence(1.5))
    decodes = Recording(engine, monkeypatch, speculation=False)
    events = await drive(engine, pcm)
    assert decodes.samples == [len(pcm) // 2]
    assert [e.type for e in events] == ["transcript"]


async def test_server_endpointing_answers_once_before_audio_stop_with_a_stream(
    engine: SttEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference, clip = speech(2)
    Recording(engine, monkeypatch, endpointing="server", streaming_transcripts=True)
    events = await drive(engine, clip + silence(2.0))
    kinds = [e.type for e in events]
    assert kinds[0] == "transcript-start" and kinds[-2:] == ["transcript", "transcript-stop"], kinds
    assert set(kinds[1:-2]) == {"transcript-chunk"}
    joined = "".join(e.data["text"] for e in events if e.type == "transcript-chunk")
    final = events[-2].data["text"]
    assert joined.split() == final.split() and score(reference, final).wer == 0.0


# ---------------------------------------------------------------- the server as a process, through validate


@pytest.fixture(scope="module")
def own_endpointing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    port = free_tcp_port()
    argv = python_module_argv(
        "wyoming_rt", "serve", "stt", "--uri", f"tcp://127.0.0.1:{port}", "--endpointing", "server", "--streaming-transcripts"
    )
    context = run_server("stt", argv, Endpoint("127.0.0.1", port), log_dir=tmp_path_factory.mktemp("stt-log"))
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(context) as server:
        yield server


def padded_corpus(directory: Path, count: int, silence_s: float = 4.0) -> Path:
    """The first ``count`` bundled clips, each followed by ``silence_s`` of silence (a microphone
    keeps recording): time enough, even on a busy machine, for the server to decode at the end of
    the speech and answer before the audio stops (1.5 s was not, beside two CPU hogs)."""
    for utterance in list(load_bundled_corpus())[:count]:
        audio = to_ha_format(utterance.audio)
        (directory / f"{utterance.id}.wav").write_bytes(wav_bytes(PcmAudio(audio.pcm + silence(silence_s), 16000, 2, 1)))
        (directory / f"{utterance.id}.txt").write_text(utterance.reference)
    return directory


async def test_info_advertises_server_endpointing_and_streaming(own_endpointing_server: RunningServer) -> None:
    described = await HAEmulator().describe(own_endpointing_server.endpoint)
    assert described.info is not None
    (program,) = described.info.asr
    assert program.requires_external_vad is False and program.supports_transcript_streaming is True


async def test_validate_at_realtime_finds_nothing_and_the_stream_rules_see_the_events(
    own_endpointing_server: RunningServer, tmp_path: Path
) -> None:
    stt = own_endpointing_server.endpoint
    corpus = load_corpus(padded_corpus(tmp_path, 2), name="padded")
    options = ValidateOptions(
        pace="realtime", concurrency=0, back_transcribe=False, negatives=False, long_text=False, voice_probes=0,
        resources=False, gates=Gates(max_wer=0.0), timeout_s=WATCHDOG_S,
    )  # fmt: skip
    with anyio.fail_after(4 * WATCHDOG_S):
        async with run_null_server() as tts:  # TTS answers are not what this test is about
            report = await validate(stt, tts, corpus, options)
    assert [f for f in report.findings if f.rule.startswith("stt.")] == []
    assert all(u.transcript for u in report.utterances) and report.summary.score.wer == 0.0
    assert "probes" in [phase.name for phase in report.phases]  # own endpointing and early stop among them
    assert [u.latency_ms["stt"] for u in report.utterances] == [0, 0]  # each transcript came before audio-stop

    # HA's sequence against the same server: the streamed events are there, and the rules accept them ...
    audio = next(iter(corpus)).audio
    with anyio.fail_after(WATCHDOG_S):
        result = await HAEmulator(EmulatorConfig(pace="realtime", requires_external_vad=False)).transcribe(stt, audio)
    kinds = [e.type for e in result.trace.received()]
    assert result.transcript_before_audio_stop and kinds[0] == "transcript-start" and "transcript-chunk" in kinds
    assert check_stt_trace(result.trace, SttCapabilities(requires_external_vad=False, supports_transcript_streaming=True)) == []
    # ... and would not, were the info to say otherwise
    lying = {f.rule for f in check_stt_trace(result.trace, SttCapabilities())}
    assert lying == {"stt.transcript-before-audio-stop", "stt.transcript-stream-unadvertised"}

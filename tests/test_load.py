"""Load runs: sweep levels and the knee, the open model's due-time clock, errors and crosstalk."""

from __future__ import annotations

from dataclasses import replace

import anyio
import numpy as np
import pytest
from anyio.abc import SocketStream
from wyoming.event import Event

from tests.fake_servers import SPEECH, SPEECH_WITH_PAUSE, TEXT, FakeStt, fake_pair, send_transcript
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.endpoint import Endpoint, free_tcp_port
from wyoming_rt.pcm import from_float
from wyoming_rt.records.corpus import Utterance
from wyoming_rt.records.errors import ServerClosedError
from wyoming_rt.records.results import DescribeResult
from wyoming_rt.run import load
from wyoming_rt.run.preflight import ServerUnavailableError, describe_failure_finding, describe_servers
from wyoming_rt.run.validate import ValidateOptions
from wyoming_rt.servers.null import null_transcript, run_null_server

pytestmark = pytest.mark.anyio
OTHER_TEXT = "Turn on the lights in the kitchen."
TWO = [Utterance("u0", TEXT, SPEECH), Utterance("u1", OTHER_TEXT, SPEECH_WITH_PAUSE)]


def null_utterances(count: int) -> list[Utterance]:
    """Distinct noise clips whose reference is exactly what the null server answers for them."""
    clips = []
    for i in range(count):
        audio = from_float((0.1 * np.random.default_rng(i).standard_normal(8000)).astype(np.float32), 16000)
        clips.append(Utterance(f"n{i}", null_transcript(audio.pcm), audio))
    return clips


async def test_sweep_reports_each_level_and_the_knee() -> None:
    async with run_null_server() as endpoint:
        with anyio.fail_after(60):
            report = await load.load_validate(
                endpoint, endpoint, null_utterances(16), ValidateOptions(timeout_s=10), sweep=[1, 4, 16]
            )
    assert [level.concurrency for level in report.levels] == [1, 4, 16]
    for level in report.levels:
        assert level.round_trips == max(16, 2 * level.concurrency) and level.errors == 0 and level.mixed == 0
        assert level.throughput_per_s > 0
        rt = level.latency["round_trip"]
        assert rt is not None and rt.count == level.round_trips and rt.p50 <= rt.p95 <= rt.p99
    assert report.knee in {level.label for level in report.levels}
    assert report.passed and report.findings == []
    assert report.to_dict()["levels"][0]["latency_ms"]["round_trip"]["count"] == 16


async def test_open_model_counts_latency_from_the_due_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that takes 0.1 s per request, one at a time, offered 20/s: requests fall behind.
    The harness may send only one at a time too, so the wait happens on our side; latency from
    the due time must still show it, while the server's own STT time stays small."""
    monkeypatch.setattr(load, "MAX_IN_FLIGHT", 1)
    busy = anyio.Lock()

    async def slow(stream: SocketStream, audio: bytes) -> None:
        async with busy:
            await anyio.sleep(0.1)
        await send_transcript(stream, TEXT)

    async with fake_pair(FakeStt(after_audio_stop=slow)) as (stt, tts):
        with anyio.fail_after(60):
            level = await load.run_open(
                HAEmulator(EmulatorConfig(timeout_s=10)), TWO[:1], stt, tts, streaming=False, rate_per_s=20, duration_s=1.0
            )
    assert level.round_trips == 20 and level.errors == 0
    rt, stt_latency = level.latency["round_trip"], level.latency["stt"]
    assert rt is not None and stt_latency is not None
    # the 20th request is due at 0.95 s but can only finish after ~20 x 0.1 s of service
    assert rt.max > 900
    assert rt.p99 > 4 * stt_latency.p99


async def test_a_server_that_mixes_up_sessions_is_crosstalk() -> None:
    async def swapped(stream: SocketStream, audio: bytes) -> None:
        await send_transcript(stream, OTHER_TEXT if audio == SPEECH.pcm else TEXT)

    async with fake_pair(FakeStt(after_audio_stop=swapped)) as (stt, tts):
        with anyio.fail_after(60):
            report = await load.load_validate(stt, tts, TWO, ValidateOptions(timeout_s=10), sweep=[2])
    assert report.levels[0].mixed == report.levels[0].round_trips == 4
    assert [f.rule for f in report.findings] == ["load.crosstalk"]
    assert not report.passed


async def test_failures_under_load_are_counted_per_level() -> None:
    async def fail_u0(stream: SocketStream, audio: bytes) -> None:
        if audio != SPEECH.pcm:
            await send_transcript(stream, OTHER_TEXT)

    async with fake_pair(FakeStt(after_audio_stop=fail_u0)) as (stt, tts):
        with anyio.fail_after(60):
            report = await load.load_validate(stt, tts, TWO, ValidateOptions(timeout_s=10), sweep=[1, 2])
    for level in report.levels:
        assert level.errors == level.round_trips // 2 and level.error_kinds == {"closed": level.errors}
    assert [f.rule for f in report.findings] == ["load.errors", "load.errors"]
    assert "2 of 4 round trips failed (2 closed)" in report.findings[1].message


async def close_at_describe(stream: SocketStream, info: Event) -> None:
    """A server that is reached but closes instead of answering describe."""
    await stream.aclose()


async def test_a_server_that_cannot_be_reached_stops_the_run_as_validate_does() -> None:
    emulator = HAEmulator(EmulatorConfig(describe_attempts=1))
    async with fake_pair() as (stt, _tts):
        with anyio.fail_after(30), pytest.raises(ServerUnavailableError, match=r"^TTS server unavailable: cannot connect"):
            await describe_servers(emulator, stt, Endpoint("127.0.0.1", free_tcp_port()))


async def test_a_failed_describe_is_the_same_finding_in_a_load_run_and_the_run_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """validate and load share one describe: a server reached that fails it is a finding, not a stop."""
    monkeypatch.setattr(load, "HAEmulator", lambda config: HAEmulator(replace(config, describe_retry_sleep_s=0.0)))
    async with fake_pair(FakeStt(describe=close_at_describe)) as (stt, tts):
        with anyio.fail_after(60):
            described = await describe_servers(HAEmulator(EmulatorConfig(describe_attempts=1)), stt, tts)
            report = await load.load_validate(stt, tts, TWO[:1], ValidateOptions(timeout_s=10), sweep=[1])
    error = described["stt"]
    assert isinstance(error, ServerClosedError) and isinstance(described["tts"], DescribeResult)
    expected = describe_failure_finding("stt", error)
    assert report.findings[0].rule == expected.rule == "stt.closed"
    assert report.findings[0].message.startswith(f"{stt} closed the connection before answering describe")
    assert report.levels[0].round_trips == 2 and not report.passed

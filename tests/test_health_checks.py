"""HA 2026.11's health checks during a run: describe every server every 30 s (here: shorter),
one attempt, and once while each server is busy in the concurrency phase; a miss is
``info.unavailable``. HA 2026.2 made none."""

from __future__ import annotations

import json
from dataclasses import replace

import anyio
import pytest
from anyio.abc import SocketStream
from wyoming.event import Event

from tests.fake_servers import TEXT, FakeStt, FakeTts, fake_pair, send_transcript, speech_corpus
from tests.fakes import read_until, scripted_server
from tests.report_schema import assert_valid_report
from wyoming_rt.emulator import EmulatorConfig
from wyoming_rt.run.breaker import HangBreaker
from wyoming_rt.run.health import HealthMonitor
from wyoming_rt.run.validate import ValidateOptions, validate
from wyoming_rt.wire import encode_event

pytestmark = pytest.mark.anyio
OPTIONS = ValidateOptions(timeout_s=10, concurrency=2, probes=False, health_check_interval_s=0.2)


def answers_first_describe_only():  # type: ignore[no-untyped-def]
    """Answers HA's setup describe, then never again (a server whose event loop stalled)."""
    calls = 0

    async def describe(stream: SocketStream, info: Event) -> None:
        nonlocal calls
        calls += 1
        if calls > 1:
            await anyio.sleep_forever()
        await stream.send(encode_event(info))

    return describe


async def slow_transcript(stream: SocketStream, audio: bytes) -> None:
    """Answers after 0.5 s, so that the measured phases outlast several health-check intervals."""
    await anyio.sleep(0.5)
    await send_transcript(stream, TEXT if audio else "")


async def test_a_health_check_writes_exactly_one_describe_per_connection() -> None:
    written: list[bytes] = []

    async def handler(stream: SocketStream) -> None:
        written.append(await read_until(stream, b"\n"))
        await stream.send(encode_event(Event("info", {"asr": [], "tts": []})))

    async with scripted_server(handler) as endpoint:
        monitor = HealthMonitor(EmulatorConfig(), {"stt": endpoint}, {"stt": HangBreaker()}, interval_s=0.1)
        stop = anyio.Event()
        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                tg.start_soon(monitor.run_periodically, stop)
                while len(monitor.checks) < 2:
                    await anyio.sleep(0.05)
                stop.set()
    assert written[:2] == [b'{"type": "describe", "version": "1.10.2"}\n'] * 2
    assert all(c.answered and c.reason == "interval" for c in monitor.checks)


async def test_a_missed_health_check_is_info_unavailable() -> None:
    stt_server = FakeStt(describe=answers_first_describe_only(), after_audio_stop=slow_transcript)
    async with fake_pair(stt_server, FakeTts()) as (stt, tts):
        with anyio.fail_after(120):
            report = await validate(stt, tts, speech_corpus(), OPTIONS)
    (unavailable,) = [f for f in report.findings if f.rule == "info.unavailable"]
    assert unavailable.severity == "error" and unavailable.message.startswith("STT server missed")
    assert "did not answer describe within 5 s" in unavailable.message
    assert any(c.role == "stt" and not c.answered for c in report.health_checks)
    assert all(c.answered for c in report.health_checks if c.role == "tts")
    assert report.to_dict()["health_checks"]
    assert_valid_report(json.loads(report.to_json()))


async def test_each_server_is_checked_while_busy_in_the_concurrency_phase() -> None:
    async with fake_pair() as (stt, tts):
        with anyio.fail_after(120):
            report = await validate(stt, tts, speech_corpus(), replace(OPTIONS, health_check_interval_s=600))
    busy = {c.role: c for c in report.health_checks if c.reason == "busy"}
    assert set(busy) == {"stt", "tts"}
    assert all(c.phase == "concurrency" and c.in_flight >= 1 and c.answered for c in busy.values())
    assert "info.unavailable" not in {f.rule for f in report.findings}


async def test_ha_2026_2_makes_no_health_checks() -> None:
    async with fake_pair(FakeStt(describe=answers_first_describe_only()), FakeTts()) as (stt, tts):
        with anyio.fail_after(120):
            report = await validate(stt, tts, speech_corpus(), replace(OPTIONS, ha_mode="2026.2", health_check_interval_s=None))
    assert report.health_checks == [] and "info.unavailable" not in {f.rule for f in report.findings}


async def test_a_miss_only_under_the_runs_own_load_is_a_warning_of_its_own() -> None:
    from wyoming_rt.endpoint import Endpoint
    from wyoming_rt.run.health import HealthCheck

    monitor = HealthMonitor(EmulatorConfig(), {"tts": Endpoint("127.0.0.1", 1)}, {"tts": HangBreaker()}, interval_s=30)
    monitor.checks = [
        HealthCheck("tts", 1.0, "latency", "interval", 1, 3.0, None),
        HealthCheck("tts", 31.0, "concurrency", "busy", 3, None, "did not answer describe within 5 s"),
    ]
    (loaded,) = monitor.findings()
    assert (loaded.rule, loaded.severity) == ("info.unavailable-under-load", "warning")
    assert "with 3 of the run's requests in flight" in loaded.message
    monitor.checks.append(HealthCheck("tts", 61.0, "latency", "interval", 1, None, "did not answer describe within 5 s"))
    assert [f.rule for f in monitor.findings()] == ["info.unavailable"]

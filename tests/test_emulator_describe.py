"""describe as HA does it: 1 s per attempt, retries, any transport."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from anyio.abc import SocketStream
from wyoming.event import Event

from tests.fakes import scripted_server
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.endpoint import Endpoint
from wyoming_rt.records.errors import WatchdogTimeout
from wyoming_rt.wire import EventReader, encode_event

pytestmark = pytest.mark.anyio

INFO = Event("info", {"asr": [], "tts": []})
FAST_RETRIES = EmulatorConfig(describe_timeout_s=0.3, describe_retry_sleep_s=0.05)


async def answer_describe(stream: SocketStream) -> None:
    received = await EventReader(stream).read()
    assert received is not None and received.type == "describe"
    await stream.send(encode_event(Event("pong", {})) + encode_event(INFO))  # other events are skipped


async def test_skips_other_events_until_info() -> None:
    async with scripted_server(answer_describe) as endpoint:
        result = await HAEmulator().describe(endpoint)
    assert result.attempts == 1 and result.info is not None
    assert [e.type for e in result.trace.entries] == ["describe", "pong", "info"]


async def test_retries_a_silent_server_and_reports_the_attempts() -> None:
    attempts = 0

    async def silent_once(stream: SocketStream) -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            await anyio.sleep_forever()
        await answer_describe(stream)

    async with scripted_server(silent_once) as endpoint:
        result = await HAEmulator(FAST_RETRIES).describe(endpoint)
    assert result.attempts == 2
    assert result.failures == [f"{endpoint} did not answer describe within 0.3 s"]


async def test_gives_up_after_four_attempts() -> None:
    async def silent(stream: SocketStream) -> None:
        await anyio.sleep_forever()

    async with scripted_server(silent) as endpoint:
        with anyio.fail_after(5), pytest.raises(WatchdogTimeout, match=r"after 4 attempts"):
            await HAEmulator(FAST_RETRIES).describe(endpoint)


async def test_works_over_a_unix_socket(tmp_path: Path) -> None:
    path = tmp_path / "server.sock"
    listener = await anyio.create_unix_listener(path)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, answer_describe)
        result = await HAEmulator().describe(Endpoint(path=str(path)))
        tg.cancel_scope.cancel()
    assert result.info is not None and result.trace.endpoint == f"unix://{path}"

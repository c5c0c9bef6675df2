"""Past its connection budget a reference server answers ``busy`` and closes; the others go on."""

from __future__ import annotations

import anyio
import pytest
from anyio.abc import ByteStream
from wyoming.event import Event
from wyoming.info import Describe, Info

from tests.servers.test_accept_errors import NoSession
from wyoming_rt.endpoint import Endpoint, connect, free_tcp_port
from wyoming_rt.servers.base import serve
from wyoming_rt.wire import EventReader, encode_event

pytestmark = pytest.mark.anyio


async def describe(stream: ByteStream) -> list[Event]:
    """Send ``describe`` on ``stream``; the events read up to ``info`` or to the close."""
    await stream.send(encode_event(Describe().event()))
    reader, events = EventReader(stream), []
    while (received := await reader.read()) is not None:
        events.append(received.event)
        if received.type == "info":
            break
    return events


async def describe_once(endpoint: Endpoint) -> list[Event]:
    async with await connect(endpoint, 5.0) as stream:
        return await describe(stream)


async def check_connection_budget(endpoint: Endpoint, limit: int) -> None:
    """``limit`` connections are served; one more gets ``busy`` and a close; once one of the
    first closes, a new connection is served again."""
    streams = [await connect(endpoint, 5.0) for _ in range(limit)]
    try:
        for stream in streams:
            assert [e.type for e in await describe(stream)] == ["info"]
        refused = await describe_once(endpoint)  # read to the close: the server ended it
        assert [(e.type, e.data.get("code")) for e in refused] == [("error", "busy")]
        assert f"{limit} connections open" in refused[0].data["text"]
        for stream in streams:  # still served
            assert [e.type for e in await describe(stream)] == ["info"]
        await streams.pop().aclose()
        while [e.type for e in await describe_once(endpoint)] != ["info"]:
            await anyio.sleep(0.05)  # until the server has seen the close (the watchdog bounds it)
    finally:
        for stream in streams:
            await stream.aclose()


async def test_a_connection_past_the_budget_gets_busy_and_the_others_are_served() -> None:
    endpoint = Endpoint("127.0.0.1", free_tcp_port())
    with anyio.fail_after(120):
        async with anyio.create_task_group() as tg:
            started = anyio.Event()
            tg.start_soon(lambda: serve(endpoint, Info, lambda conn: NoSession(), on_ready=started.set, max_connections=3))
            await started.wait()
            await check_connection_budget(endpoint, 3)
            tg.cancel_scope.cancel()

"""A fault-injecting Wyoming proxy: forwards to a real server and rewrites what comes back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio
from anyio.abc import SocketStream
from wyoming.event import Event

from tests.fakes import scripted_server
from wyoming_rt.endpoint import Endpoint, connect
from wyoming_rt.wire import EventReader, encode_event

# Rewrites the server's events of one answer: gets every event, returns the events to forward.
Mutator = Callable[[Event], list[Event]]


@asynccontextmanager
async def fault_proxy(target: Endpoint, make_mutator: Callable[[], Mutator]) -> AsyncIterator[Endpoint]:
    """Listen on a free loopback port; each connection gets a fresh mutator."""

    async def handle(client: SocketStream) -> None:
        mutate = make_mutator()
        async with await connect(target, 5.0) as server:

            async def upstream() -> None:
                reader = EventReader(client)
                while (received := await reader.read()) is not None:
                    await server.send(encode_event(received.event))
                await server.send_eof()

            async def downstream() -> None:
                reader = EventReader(server)
                while (received := await reader.read()) is not None:
                    for event in mutate(received.event):
                        await client.send(encode_event(event))
                tg.cancel_scope.cancel()

            async with anyio.create_task_group() as tg:
                tg.start_soon(upstream)
                tg.start_soon(downstream)

    async with scripted_server(handle) as endpoint:
        yield endpoint

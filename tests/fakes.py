"""Tiny scripted Wyoming servers for faults that no real server shows, and for capturing bytes."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress

import anyio
from anyio.abc import SocketStream

from wyoming_rt.endpoint import Endpoint
from wyoming_rt.wire import EventReader

Handler = Callable[[SocketStream], Awaitable[None]]


@asynccontextmanager
async def scripted_server(handler: Handler) -> AsyncIterator[Endpoint]:
    """Serve ``handler`` for every connection on a free loopback port until the block exits."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)

    async def serve_one(stream: SocketStream) -> None:
        async with stream:
            with suppress(Exception):
                await handler(stream)

    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, serve_one)
        try:
            yield Endpoint("127.0.0.1", port)
        finally:
            tg.cancel_scope.cancel()


async def read_until(stream: SocketStream, marker: bytes, limit: int = 1 << 22) -> bytes:
    """Receive until ``marker`` has been seen (a crude frame-agnostic reader for fakes)."""
    data = b""
    while marker not in data and len(data) < limit:
        data += await stream.receive()
    return data


_READERS: weakref.WeakKeyDictionary[SocketStream, EventReader] = weakref.WeakKeyDictionary()


def reader_for(stream: SocketStream) -> EventReader:
    """The one `EventReader` of a connection: a handler and the behaviour it hands the
    connection to must share it, or bytes the first one buffered are lost to the second."""
    if stream not in _READERS:
        _READERS[stream] = EventReader(stream)
    return _READERS[stream]

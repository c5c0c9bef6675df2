"""A raw client for poking servers with exact events (for robustness tests)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import anyio
from wyoming.event import Event

from wyoming_rt.endpoint import Endpoint, connect
from wyoming_rt.wire import EventReader, encode_event


async def exchange(
    endpoint: Endpoint,
    send: Sequence[Event | bytes],
    until: Callable[[Event], bool] | None = None,
    timeout_s: float = 30.0,
) -> tuple[list[Event], bool]:
    """Send events (or raw bytes), then read until ``until`` matches or the server closes.

    Returns the events read and whether the server closed the connection.
    """
    received: list[Event] = []
    with anyio.fail_after(timeout_s):
        stream = await connect(endpoint, 5.0)
        async with stream:
            for item in send:
                await stream.send(item if isinstance(item, bytes) else encode_event(item))
            reader = EventReader(stream)
            while (got := await reader.read()) is not None:
                received.append(got.event)
                if until is not None and until(got.event):
                    return received, False
    return received, True

"""What the reference servers share: listening, per-connection event loops, error replies.

Built on the same wire layer as the client. One task per connection under a task group;
a handler that raises gets an ``error`` event sent and its connection closed, and the
server keeps serving everyone else. At most `MAX_CONNECTIONS` connections are served at once.
"""

from __future__ import annotations

import contextlib
import errno
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

import anyio
from anyio.abc import ByteStream, Listener
from wyoming import __version__ as WYOMING_VERSION
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Info
from wyoming.ping import Pong

from wyoming_rt.endpoint import Endpoint
from wyoming_rt.records.errors import FramingError
from wyoming_rt.records.server_limits import MAX_CONNECTIONS as MAX_CONNECTIONS
from wyoming_rt.wire import EventReader, ReceivedEvent, WireLimits, encode_event

_LOGGER = logging.getLogger(__name__)

# MAX_CONNECTIONS lives in records, where `serve --help` reads it without loading the servers; re-exported here


class Connection:
    """One client connection: read events, write events."""

    def __init__(self, stream: ByteStream, limits: WireLimits) -> None:
        self.stream = stream
        self.reader = EventReader(stream, limits)
        self._send_lock = anyio.Lock()

    async def send(self, event: Event) -> None:
        frame = encode_event(event, WYOMING_VERSION)
        async with self._send_lock:
            await self.stream.send(frame)

    async def send_error(self, text: str, code: str) -> None:
        await self.send(Error(text=text, code=code).event())


class Session(Protocol):
    """Per-connection protocol state of a server."""

    async def handle(self, received: ReceivedEvent) -> None: ...

    async def close(self) -> None: ...


class ClientError(Exception):
    """A request the server refuses: answered with an ``error`` event, then the connection closes.

    Closing matters: older Home Assistant ignores ``error`` and would otherwise wait forever
    for the ``transcript`` or ``audio-stop`` that is not coming; a close ends its wait.
    """

    def __init__(self, text: str, code: str) -> None:
        super().__init__(text)
        self.code = code


SessionFactory = Callable[[Connection], Session]


async def run_connection(stream: ByteStream, info: Callable[[], Info], new_session: SessionFactory, limits: WireLimits) -> None:
    """Serve one connection until the client closes it or sends bytes that cannot be framed."""
    conn = Connection(stream, limits)
    session = new_session(conn)
    async with stream:
        try:
            while True:
                try:
                    received = await conn.reader.read()
                except FramingError as exc:
                    # The stream cannot be resynchronised: say why, then close.
                    await conn.send_error(f"bad frame: {exc}", "framing")
                    return
                if received is None:
                    return
                if received.type == "describe":
                    await conn.send(info().event())
                elif received.type == "ping":
                    text = str(received.event.data.get("text", ""))
                    await conn.send(Pong(text=text.encode("utf-8", "replace").decode("utf-8")).event())
                else:
                    try:
                        await session.handle(received)
                    except ClientError as exc:
                        await conn.send_error(str(exc), exc.code)
                        return
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream, ConnectionError):
            _LOGGER.debug("client went away")
        except Exception as exc:  # a bug must not take the server down with it
            _LOGGER.exception("session failed")
            with contextlib.suppress(Exception):
                await conn.send_error(f"internal error: {type(exc).__name__}: {exc}", "internal")
        finally:
            with anyio.CancelScope(shield=True):
                await session.close()


async def open_listener(endpoint: Endpoint) -> Listener[ByteStream]:
    """Listen on a TCP host:port or a Unix socket path."""
    if endpoint.path is not None:
        return await anyio.create_unix_listener(endpoint.path)
    assert endpoint.host is not None and endpoint.port is not None
    return await anyio.create_tcp_listener(local_host=endpoint.host, local_port=endpoint.port)


async def serve(
    endpoint: Endpoint,
    info: Callable[[], Info],
    new_session: SessionFactory,
    *,
    limits: WireLimits | None = None,
    on_ready: Callable[[], Awaitable[None] | None] | None = None,
    max_connections: int = MAX_CONNECTIONS,
) -> None:
    """Serve until cancelled, at most ``max_connections`` connections at once (see `ConnectionBudget`)."""
    limits = limits or WireLimits()
    budget = ConnectionBudget(max_connections)

    async def serve_one(stream: ByteStream) -> None:
        await run_connection(stream, info, new_session, limits)

    listener = await open_listener(endpoint)
    _LOGGER.info("listening on %s", endpoint)
    if on_ready is not None:
        result = on_ready()
        if result is not None:
            await result
    async with listener:
        await serve_resilient(listener, lambda stream: budget.run(stream, serve_one))


class ConnectionBudget:
    """A limit on the connections served at once.

    Past it, a new connection gets one ``error`` event with code ``busy`` and is closed before
    any of its requests is read, ``describe`` included: answering ``describe`` would take reading
    it, and a server that still describes itself while it refuses the requests looks healthy to
    Home Assistant. The connections already open keep being served.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0

    async def run(self, stream: ByteStream, handler: Callable[[ByteStream], Awaitable[None]]) -> None:
        """``handler(stream)`` within the budget, else the ``busy`` refusal."""
        if self.open >= self.limit:
            await refuse_busy(stream, self.open)
            return
        self.open += 1
        try:
            await handler(stream)
        finally:
            self.open -= 1


async def refuse_busy(stream: ByteStream, open_now: int) -> None:
    """Send one ``busy`` error and close ``stream`` without reading from it."""
    error = Error(text=f"server busy: {open_now} connections open", code="busy").event()
    async with stream:
        try:
            await stream.send(encode_event(error, WYOMING_VERSION))
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, ConnectionError):
            _LOGGER.debug("refused client went away")


_TRANSIENT_ACCEPT_ERRORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
ACCEPT_BACKOFF_S = 0.1


async def serve_resilient(listener: Listener[ByteStream], handler: Callable[[ByteStream], Coroutine[Any, Any, None]]) -> None:
    """``listener.serve`` that survives running out of file descriptors or memory for a moment:
    accept waits a little and tries again (connections already open finish and free theirs)."""
    listeners = getattr(listener, "listeners", None) or [listener]
    async with anyio.create_task_group() as tg:

        async def accept_loop(one: Listener[ByteStream]) -> None:
            while True:
                try:
                    stream = await one.accept()  # type: ignore[attr-defined]
                except OSError as exc:
                    if exc.errno not in _TRANSIENT_ACCEPT_ERRORS:
                        raise
                    _LOGGER.warning("accept failed (%s); trying again in %g s", exc.strerror, ACCEPT_BACKOFF_S)
                    await anyio.sleep(ACCEPT_BACKOFF_S)
                    continue
                tg.start_soon(handler, stream)

        for one in listeners:
            tg.start_soon(accept_loop, one)

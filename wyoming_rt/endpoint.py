"""Server addresses (``host:port``, ``tcp://host:port``, ``unix:///path``) and connecting to them."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio
from anyio.abc import ByteStream

from wyoming_rt.records.errors import ConnectError, HostNotFoundError, UsageError


@dataclass(frozen=True)
class Endpoint:
    """Where a Wyoming server listens: a TCP host and port, or a Unix socket path."""

    host: str | None = None
    port: int | None = None
    path: str | None = None

    @property
    def uri(self) -> str:
        if self.path is not None:
            return f"unix://{self.path}"
        host = f"[{self.host}]" if self.host and ":" in self.host else self.host
        return f"tcp://{host}:{self.port}"

    def __str__(self) -> str:
        return self.uri


def parse_endpoint(text: str) -> Endpoint:
    """Parse ``host:port``, ``tcp://host:port`` or ``unix:///path``; raise `UsageError` if invalid."""
    text = text.strip()
    if text.startswith("unix://"):
        path = text[len("unix://") :]
        if not path:
            raise UsageError(f"invalid URI {text!r}: unix:// needs a socket path")
        return Endpoint(path=path)
    if "://" not in text:
        text = f"tcp://{text}"
    parts = urlsplit(text)
    if parts.scheme != "tcp":
        raise UsageError(f"invalid URI {text!r}: use host:port, tcp://host:port or unix:///path")
    try:
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"invalid URI {text!r}: {exc}") from exc
    if not parts.hostname or port is None:
        raise UsageError(f"invalid URI {text!r}: expected host:port")
    return Endpoint(host=parts.hostname, port=port)


async def connect(endpoint: Endpoint, timeout_s: float) -> ByteStream:
    """Open a byte stream to the endpoint; a refused or never-completing connect is a `ConnectError`,
    a host name that does not resolve a `HostNotFoundError` (a temporary DNS failure is a plain
    `ConnectError`: it may pass)."""
    try:
        with anyio.fail_after(timeout_s):
            if endpoint.path is not None:
                return await anyio.connect_unix(endpoint.path)
            assert endpoint.host is not None and endpoint.port is not None
            return await anyio.connect_tcp(endpoint.host, endpoint.port)
    except TimeoutError as exc:
        raise ConnectError(f"connect to {endpoint} did not complete within {timeout_s:g} s") from exc
    except socket.gaierror as exc:
        reason = exc.strerror or str(exc)
        if exc.errno == socket.EAI_AGAIN:
            raise ConnectError(f"cannot resolve host {endpoint.host!r} for now ({reason})") from exc
        raise HostNotFoundError(f"cannot resolve host {endpoint.host!r} ({reason})") from exc
    except OSError as exc:
        raise ConnectError(f"cannot connect to {endpoint}: {_os_reason(exc)}") from exc


def _os_reason(exc: BaseException) -> str:
    """The most specific reason in an OSError chain (anyio wraps the real one)."""
    cause = exc.__cause__
    while cause is not None and not isinstance(cause, OSError) and getattr(cause, "exceptions", None):
        cause = cause.exceptions[0]  # type: ignore[attr-defined]
    for candidate in (cause, exc):
        if isinstance(candidate, OSError) and candidate.errno:
            return os.strerror(candidate.errno)
        if isinstance(candidate, OSError) and candidate.strerror:
            return candidate.strerror
    return str(exc) or type(exc).__name__


def free_tcp_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])

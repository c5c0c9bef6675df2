"""The exception hierarchy: one base, a few kinds a caller can tell apart.

Every exception carries a one-line ``str()`` meant for a user; the chain (``__cause__``)
is for developers (``--debug``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from wyoming_rt.records.trace import Trace


class WyomingRTError(Exception):
    """Base of every error this library raises on purpose."""

    #: Stable short name of the failure kind, used as a finding rule id suffix.
    kind = "error"

    def __init__(self, message: str, *, trace: Trace | None = None) -> None:
        super().__init__(message)
        self.trace = trace


class UsageError(WyomingRTError):
    """A bad argument (URI, option value)."""

    kind = "usage"


class CorpusError(WyomingRTError):
    """A corpus file that cannot be used (unreadable, empty, missing transcript)."""

    kind = "corpus"


class ConnectError(WyomingRTError):
    """The server could not be reached (refused, unreachable, connect timed out)."""

    kind = "connect"


class HostNotFoundError(ConnectError):
    """The server's host name does not resolve. Not transient: a describe does not retry it."""


class ProtocolError(WyomingRTError):
    """The server broke the protocol: bad framing, an error event, a premature close."""

    kind = "protocol"


FramingReason = Literal["bad-header", "bad-length", "oversize", "truncated"]


class FramingError(ProtocolError):
    """Bytes on the wire that do not form a Wyoming event; ``reason`` says which way."""

    kind = "framing"

    def __init__(self, message: str, *, reason: FramingReason = "bad-header", trace: Trace | None = None) -> None:
        super().__init__(message, trace=trace)
        self.reason: FramingReason = reason


class ServerClosedError(ProtocolError):
    """The server closed the connection before the answer was complete."""

    kind = "closed"


class ServerErrorEvent(ProtocolError):
    """The server answered with an ``error`` event."""

    kind = "error-event"


class ErrorThenAudioError(ServerErrorEvent):
    """An ``error`` event followed by audio in the same answer (HA 2026.11 fails at the error)."""

    kind = "error-then-audio"


class ErrorThenHangError(ServerErrorEvent):
    """After an ``error`` event the server neither closed the connection nor ended the answer."""

    kind = "error-then-hang"


class OverBudgetError(ProtocolError):
    """An answer went over the validator's budget (audio, events); the rest was drained and dropped."""

    kind = "over-budget"


class WatchdogTimeout(WyomingRTError):
    """A network wait ran past its watchdog."""

    kind = "timeout"


class NotSentError(WatchdogTimeout):
    """A request that was never sent: its server had stopped answering (see `HangBreaker`)."""

    kind = "not-sent"


class ErrorThenHangTimeout(WatchdogTimeout):
    """The watchdog fired while waiting after an ``error`` event that the HA release ignores:
    that release would wait for ever."""

    kind = "error-then-hang"


class ServerStartError(WyomingRTError):
    """An embedded server process failed to start or to answer ``describe``."""

    kind = "server-start"

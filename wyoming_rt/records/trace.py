"""What happened on one connection: every event sent and received, with its time."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

Direction = Literal["sent", "received"]


@dataclass(slots=True)
class TraceEntry:
    """One event on the wire, as seen by the client."""

    direction: Direction
    type: str
    data: dict[str, Any]
    payload_length: int
    time_ns: int
    """Monotonic time (``perf_counter_ns``) at which the event was fully sent or received."""
    raw_header: bytes | None = None
    """The header line exactly as received (without the newline); ``None`` for sent events."""


@dataclass
class Trace:
    """The ordered events of one connection, plus how it ended."""

    operation: str
    endpoint: str
    started_ns: int = field(default_factory=time.perf_counter_ns)
    entries: list[TraceEntry] = field(default_factory=list)
    ended: str | None = None
    """How the connection ended: ``"complete"``, ``"closed"``, ``"timeout"``, ``"framing"``, ..."""

    def received(self, event_type: str | None = None) -> list[TraceEntry]:
        return [e for e in self.entries if e.direction == "received" and (event_type is None or e.type == event_type)]

    def sent(self, event_type: str | None = None) -> list[TraceEntry]:
        return [e for e in self.entries if e.direction == "sent" and (event_type is None or e.type == event_type)]

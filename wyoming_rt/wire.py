"""Wyoming framing over anyio byte streams.

A frame is one UTF-8 JSON header line, then ``data_length`` bytes of JSON data, then
``payload_length`` bytes of payload. The `wyoming` package's `Event` is the in-memory
form; the framing is ours so that every received event keeps its raw header and arrival
time, and every framing fault becomes a `FramingError` naming what was wrong instead of
a silent close. Reads are bounded by `WireLimits`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import anyio
from anyio.abc import ByteReceiveStream
from wyoming.event import Event

from wyoming_rt.records.errors import FramingError

#: The version Home Assistant 2026.11 writes in every header (it pins wyoming 1.10.2; 2026.2
#: pinned 1.7.2: see `wyoming_rt.records.ha_release`).
HA_WYOMING_VERSION = "1.10.2"

_NEWLINE = b"\n"


@dataclass(frozen=True)
class WireLimits:
    """Upper bounds for one received frame."""

    max_header_bytes: int = 64 * 1024
    """asyncio's default readline limit, which the reference reader inherits."""
    max_data_bytes: int = 1024 * 1024
    max_payload_bytes: int = 16 * 1024 * 1024


@dataclass
class ReceivedEvent:
    """An event as it arrived: the decoded event, its raw header and its arrival time."""

    event: Event
    raw_header: bytes
    header: dict[str, Any]
    arrival_ns: int

    @property
    def type(self) -> str:
        return self.event.type


def encode_event(event: Event, version: str = HA_WYOMING_VERSION) -> bytes:
    """Encode an event exactly as the reference writer does (data in its own block)."""
    header: dict[str, Any] = {"type": event.type, "version": version}
    data_bytes = b""
    if event.data:
        data_bytes = json.dumps(event.data, ensure_ascii=False).encode("utf-8")
        header["data_length"] = len(data_bytes)
    if event.payload:
        header["payload_length"] = len(event.payload)
    line = json.dumps(header, ensure_ascii=False).encode("utf-8")
    return b"".join((line, _NEWLINE, data_bytes, event.payload or b""))


def _length(header: dict[str, Any], key: str, limit: int) -> int:
    value = header.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FramingError(f"header field {key} is not a non-negative integer: {value!r}", reason="bad-length")
    if value > limit:
        raise FramingError(f"header field {key}={value} exceeds the limit of {limit} bytes", reason="oversize")
    return value


RECEIVE_BYTES = 256 * 1024
"""Bytes taken from the stream per receive: as much as asyncio reads from a socket at a time, so
that a server sending faster than we parse cannot pile data up in the transport's queue (anyio's
asyncio streams buffer without back-pressure)."""


class EventReader:
    """Reads framed events from a byte stream, one at a time, with bounded buffering."""

    def __init__(self, stream: ByteReceiveStream, limits: WireLimits | None = None) -> None:
        self._stream = stream
        self._limits = limits or WireLimits()
        self._buffer = bytearray()
        self._eof = False
        # Audio streams repeat the same header and data block for every chunk: decode once.
        self._last_header: tuple[bytes, dict[str, Any]] = (b"", {})
        self._last_block: tuple[bytes, dict[str, Any]] = (b"", {})

    async def _fill(self) -> bool:
        """Receive more bytes into the buffer; return False at end of stream."""
        if self._eof:
            return False
        try:
            chunk = await self._stream.receive(RECEIVE_BYTES)
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
            self._eof = True
            return False
        except OSError:  # connection reset by peer
            self._eof = True
            return False
        self._buffer += chunk
        return True

    async def _read_line(self) -> bytes | None:
        limit = self._limits.max_header_bytes
        searched = 0
        while True:
            index = self._buffer.find(_NEWLINE, searched)
            if index >= 0:
                if index > limit:
                    raise FramingError(f"header line longer than {limit} bytes", reason="oversize")
                line = bytes(self._buffer[:index])
                del self._buffer[: index + 1]
                return line
            searched = len(self._buffer)
            if searched > limit:
                raise FramingError(f"header line longer than {limit} bytes (no newline)", reason="oversize")
            if not await self._fill():
                if self._buffer:
                    raise FramingError(
                        f"connection closed inside a header line ({len(self._buffer)} bytes, no newline)",
                        reason="truncated",
                    )
                return None

    async def _read_exactly(self, count: int, what: str) -> bytes:
        while len(self._buffer) < count:
            if not await self._fill():
                raise FramingError(
                    f"connection closed inside the {what}: got {len(self._buffer)} of {count} bytes",
                    reason="truncated",
                )
        block = bytes(self._buffer[:count])
        del self._buffer[:count]
        return block

    async def read(self) -> ReceivedEvent | None:
        """Return the next event, or ``None`` on a clean end of stream between frames."""
        line = await self._read_line()
        if line is None:
            return None
        if line == self._last_header[0]:
            header = self._last_header[1]
        else:
            header = _decode_json(line, "header")
            self._last_header = (line, header)
        event_type = header.get("type")
        if not isinstance(event_type, str) or not event_type:
            raise FramingError(f"header has no string 'type': {line[:120]!r}")
        name = event_type if event_type.isprintable() and len(event_type) <= 64 else repr(event_type[:64])  # for messages
        data_length = _length(header, "data_length", self._limits.max_data_bytes)
        payload_length = _length(header, "payload_length", self._limits.max_payload_bytes)
        data = header.get("data") or {}
        if not isinstance(data, dict):
            raise FramingError(f"inline 'data' of {name} is not an object")
        if data_length:
            raw_block = await self._read_exactly(data_length, f"data block of {name}")
            if raw_block == self._last_block[0]:
                block = self._last_block[1]
            else:
                try:
                    block = _decode_json(raw_block, f"data block of {name} (data_length={data_length})")
                except FramingError as exc:
                    # The header said how long the data is and it is not that long: a lying length.
                    raise FramingError(str(exc), reason="bad-length") from exc
                self._last_block = (raw_block, block)
            data = {**data, **block}  # a fresh dict per event: callers may keep or change it
        payload = None
        if payload_length:
            payload = await self._read_exactly(payload_length, f"payload of {name}")
        return ReceivedEvent(
            event=Event(type=event_type, data=data, payload=payload),
            raw_header=line,
            header=header,
            arrival_ns=time.perf_counter_ns(),
        )


def _decode_json(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise FramingError(f"{what} is not valid UTF-8: {raw[:120]!r}") from exc
    except (ValueError, RecursionError) as exc:
        raise FramingError(f"{what} is not valid JSON: {raw[:120]!r}") from exc
    if not isinstance(value, dict):
        raise FramingError(f"{what} is not a JSON object: {raw[:120]!r}")
    return value

"""Property-based fuzzing of the wire reader: random and adversarial bytes, in random pieces
or one byte at a time, never crash it, never hang it, and never make it buffer without bound.

Budget: the "ci" hypothesis profile (tests/conftest.py). The deep run:
    HYPOTHESIS_PROFILE=long python -m pytest tests/test_wire_fuzz.py
"""

from __future__ import annotations

import itertools
import json

import anyio
from anyio.abc import ByteReceiveStream
from hypothesis import given
from hypothesis import strategies as st

from wyoming_rt.records.errors import FramingError
from wyoming_rt.wire import RECEIVE_BYTES, EventReader, WireLimits, encode_event

# Small limits so that the oversize paths are reached by small inputs.
LIMITS = WireLimits(max_header_bytes=512, max_data_bytes=1024, max_payload_bytes=4096)
BUFFER_BOUND = LIMITS.max_header_bytes + LIMITS.max_data_bytes + LIMITS.max_payload_bytes + RECEIVE_BYTES


class Feed(ByteReceiveStream):
    """Bytes handed out in the given pieces, then end of stream; records the largest buffer seen."""

    def __init__(self, pieces: list[bytes], reader_ref: list[EventReader]) -> None:
        self.pieces = list(pieces)
        self.reader_ref = reader_ref
        self.largest_buffer = 0

    async def receive(self, max_bytes: int = 65536) -> bytes:
        if self.reader_ref:
            self.largest_buffer = max(self.largest_buffer, len(self.reader_ref[0]._buffer))
        await anyio.lowlevel.checkpoint()
        if not self.pieces:
            raise anyio.EndOfStream
        piece = self.pieces.pop(0)
        if len(piece) > max_bytes:
            self.pieces.insert(0, piece[max_bytes:])
            piece = piece[:max_bytes]
        return piece

    async def aclose(self) -> None:
        self.pieces.clear()


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


def read_all(pieces: list[bytes]) -> tuple[list[str], str | None, int]:
    """Read every event: (event types, the framing error or None, the largest buffer)."""
    reader_ref: list[EventReader] = []
    feed = Feed(pieces, reader_ref)
    reader = EventReader(feed, LIMITS)
    reader_ref.append(reader)
    types: list[str] = []

    async def run() -> str | None:
        with anyio.fail_after(10):  # never hang
            try:
                while (received := await reader.read()) is not None:
                    types.append(received.type)
                    assert len(received.event.payload or b"") <= LIMITS.max_payload_bytes
            except FramingError as exc:
                assert exc.reason in ("bad-header", "bad-length", "oversize", "truncated")
                assert str(exc) and "\n" not in str(exc)  # a clear one-line error
                return str(exc)
        return None

    error = anyio.run(run)
    return types, error, feed.largest_buffer


@given(st.binary(max_size=4096), st.lists(st.integers(min_value=0), max_size=20))
def test_random_bytes_never_crash_hang_or_overbuffer(data: bytes, cuts: list[int]) -> None:
    _, _, largest = read_all(split(data, cuts))
    assert largest <= BUFFER_BOUND


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
lengths = st.one_of(
    st.integers(min_value=-5, max_value=5000),
    st.sampled_from([2**31, 2**63, 10**30]),
    st.text(max_size=5),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)


@st.composite
def adversarial_frame(draw: st.DrawFn) -> bytes:
    """A frame whose header may lie about its blocks, or whose blocks are not what they claim."""
    data = json.dumps(draw(st.dictionaries(st.text(max_size=8), json_values, max_size=4))).encode()
    payload = draw(st.binary(max_size=600))
    header: dict[str, object] = {
        "type": draw(st.one_of(st.sampled_from(["audio-chunk", "transcript", "info"]), st.text(max_size=10), json_values))
    }
    header["data_length"] = draw(st.one_of(st.just(len(data)), lengths))
    header["payload_length"] = draw(st.one_of(st.just(len(payload)), lengths))
    line = json.dumps(header).encode()
    garble = draw(st.sampled_from(["none", "invalid-utf8", "deep-json", "no-newline", "cut"]))
    if garble == "invalid-utf8":
        line = line[:-1] + b"\xff\xfe}"
    elif garble == "deep-json":
        line = b"[" * draw(st.integers(min_value=100, max_value=400)) + b"]" * 3
    frame = line + (b"" if garble == "no-newline" else b"\n") + data + payload
    if garble == "cut":
        frame = frame[: draw(st.integers(min_value=0, max_value=len(frame)))]
    return frame


@given(st.lists(adversarial_frame(), min_size=1, max_size=5), st.lists(st.integers(min_value=0), max_size=30), st.booleans())
def test_adversarial_frames_are_read_or_named(frames: list[bytes], cuts: list[int], drip: bool) -> None:
    stream = b"".join(frames)
    pieces = [stream[i : i + 1] for i in range(len(stream))] if drip else split(stream, cuts)
    _, _, largest = read_all(pieces)
    assert largest <= BUFFER_BOUND


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["audio-chunk", "transcript", "synthesize", "describe"]),
            st.dictionaries(st.text(max_size=6), st.integers(), max_size=3),
            st.binary(max_size=300),
        ),
        max_size=8,
    ),
    st.lists(st.integers(min_value=0), max_size=30),
)
def test_valid_frames_in_any_pieces_read_back_exactly(events: list[tuple[str, dict[str, int], bytes]], cuts: list[int]) -> None:
    from wyoming.event import Event

    stream = b"".join(encode_event(Event(kind, data, payload or None)) for kind, data, payload in events)
    types, error, _ = read_all(split(stream, cuts))
    assert error is None
    assert types == [kind for kind, _, _ in events]


def test_a_huge_declared_length_is_refused_before_reading() -> None:
    _, error, largest = read_all([b'{"type": "audio-chunk", "payload_length": 1000000000000}\n' + b"x" * 10])
    assert error is not None and "exceeds the limit" in error
    assert largest < 1000


def test_an_endless_header_line_is_cut_at_the_limit() -> None:
    _, error, largest = read_all([b"{" + b"a" * 1000] * 200)
    assert error is not None and "header line longer than 512 bytes" in error
    assert largest <= BUFFER_BOUND


def test_json_nested_past_the_recursion_limit_is_a_named_error() -> None:
    async def run() -> FramingError:
        feed = Feed([b"[" * 30_000 + b"]" * 30_000 + b"\n"], [])
        try:
            await EventReader(feed).read()  # default limits: 60 KB fits under the 64 KiB header limit
        except FramingError as exc:
            return exc
        raise AssertionError("deep JSON was accepted")

    error = anyio.run(run)
    assert error.reason == "bad-header" and "not valid JSON" in str(error)

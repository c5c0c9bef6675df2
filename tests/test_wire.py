import json

import anyio
import pytest
from wyoming.audio import AudioChunk
from wyoming.event import Event
from wyoming.info import Describe

from wyoming_rt.records.errors import FramingError
from wyoming_rt.wire import HA_WYOMING_VERSION, EventReader, WireLimits, encode_event


class BytesStream(anyio.abc.ByteReceiveStream):
    """A receive stream over fixed bytes, delivered in pieces of ``step`` bytes."""

    def __init__(self, data: bytes, step: int = 7) -> None:
        self.data, self.step = data, step

    async def receive(self, max_bytes: int = 65536) -> bytes:
        if not self.data:
            raise anyio.EndOfStream
        n = min(self.step, max_bytes)
        piece, self.data = self.data[:n], self.data[n:]
        return piece

    async def aclose(self) -> None:
        pass


async def read_all(data: bytes, limits: WireLimits | None = None, step: int = 7) -> list[Event]:
    reader = EventReader(BytesStream(data, step), limits)
    events = []
    while (received := await reader.read()) is not None:
        events.append(received.event)
    return events


def test_encodes_like_the_reference_writer() -> None:
    frame = encode_event(Event("transcribe", {"language": "en"}))
    assert frame == b'{"type": "transcribe", "version": "1.10.2", "data_length": 18}\n{"language": "en"}'


def test_data_less_event_is_a_bare_header_line() -> None:
    assert encode_event(Describe().event()) == b'{"type": "describe", "version": "%s"}\n' % HA_WYOMING_VERSION.encode()


@pytest.mark.anyio
async def test_reads_back_what_it_writes_in_small_pieces() -> None:
    chunk = AudioChunk(rate=16000, width=2, channels=1, audio=b"\x01\x02" * 160).event()
    data = encode_event(Describe().event()) + encode_event(chunk) + encode_event(Event("transcript", {"text": "hi"}))
    events = await read_all(data, step=3)
    assert [e.type for e in events] == ["describe", "audio-chunk", "transcript"]
    assert events[1].payload == b"\x01\x02" * 160
    assert events[1].data["rate"] == 16000
    assert events[2].data == {"text": "hi"}


@pytest.mark.anyio
async def test_keeps_raw_header_and_arrival_time() -> None:
    reader = EventReader(BytesStream(encode_event(Event("ping", {"text": "x"}))))
    received = await reader.read()
    assert received is not None
    assert json.loads(received.raw_header) == {"type": "ping", "version": "1.10.2", "data_length": 13}
    assert received.arrival_ns > 0


@pytest.mark.anyio
async def test_merges_data_block_over_inline_data() -> None:
    header = json.dumps({"type": "transcript", "data": {"text": "old", "language": "en"}, "data_length": 15})
    events = await read_all(header.encode() + b'\n{"text": "new"}')
    assert events[0].data == {"text": "new", "language": "en"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json\n", "not valid JSON"),
        (b'["a list"]\n', "not a JSON object"),
        (b'{"version": "1"}\n', "no string 'type'"),
        (b'{"type": "x", "data_length": 50}\n{"a": 1}', "closed inside the data block"),
        (b'{"type": "x", "payload_length": 10}\n12345', "closed inside the payload"),
        (b'{"type": "x", "payload_length": -1}\n', "not a non-negative integer"),
        (b'{"type": "x", "data_length": "5"}\n', "not a non-negative integer"),
        (b'{"type": "x", "data_length": 3}\n[1]', "not a JSON object"),
        (b'{"type": "x"', "closed inside a header line"),
        (b'{"type": "\xff"}\n', "not valid UTF-8"),
    ],
)
@pytest.mark.anyio
async def test_framing_faults_are_named(data: bytes, message: str) -> None:
    with pytest.raises(FramingError, match=message):
        await read_all(data)


@pytest.mark.anyio
async def test_oversize_header_and_payload_are_errors_not_unbounded_reads() -> None:
    limits = WireLimits(max_header_bytes=100, max_data_bytes=100, max_payload_bytes=1000)
    with pytest.raises(FramingError, match="longer than 100 bytes"):
        await read_all(b"x" * 10_000, limits, step=64)
    with pytest.raises(FramingError, match="exceeds the limit"):
        await read_all(b'{"type": "x", "payload_length": 1000000000}\n', limits)
    with pytest.raises(FramingError, match="exceeds the limit"):
        await read_all(b'{"type": "x", "data_length": 101}\n', limits)


@pytest.mark.anyio
async def test_clean_end_of_stream_is_none() -> None:
    assert await read_all(b"") == []

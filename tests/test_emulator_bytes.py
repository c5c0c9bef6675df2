"""Golden bytes: exactly what the emulator writes for each HA sequence, in each HA release
(`--ha-mode`): 2026.11 writes wyoming 1.10.2 in every header, 2026.2 wrote 1.7.2; both drop the
partial tail chunk in the assist pipeline."""

from __future__ import annotations

import anyio
import pytest
from anyio.abc import SocketStream
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event

from tests.fakes import read_until, scripted_server
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.records.audio import PcmAudio
from wyoming_rt.wire import encode_event

pytestmark = pytest.mark.anyio

FMT = b'{"rate": 16000, "width": 2, "channels": 1, "timestamp": null}'
VERSION = {"latest": b"1.10.2", "2026.11": b"1.10.2", "2026.2": b"1.7.2"}
MODES = tuple(VERSION)


def header(event_type: str, mode: str, rest: bytes = b"") -> bytes:
    return b'{"type": "%s", "version": "%s"%s}' % (event_type.encode(), VERSION[mode], rest)


def frame(header: bytes, data: bytes = b"", payload: bytes = b"") -> bytes:
    return header + b"\n" + data + payload


async def capture(answer: bytes, marker: bytes, call, config: EmulatorConfig | None = None) -> bytes:  # type: ignore[no-untyped-def]
    captured = bytearray()

    async def handler(stream: SocketStream) -> None:
        captured.extend(await read_until(stream, marker))
        await stream.send(answer)

    async with scripted_server(handler) as endpoint:
        with anyio.fail_after(10):
            await call(HAEmulator(config or EmulatorConfig(timeout_s=5)), endpoint)
    return bytes(captured)


@pytest.mark.parametrize("pace", ["burst", "realtime"])
@pytest.mark.parametrize("ha_mode", MODES)
async def test_stt_sequence_bytes(ha_mode: str, pace: str) -> None:
    """Both pacings write the same bytes; the releases differ in the version and in when and how
    they read. The 5 ms tail is dropped, as HA's assist pipeline does."""
    pcm = bytes(range(256)) * 3 + bytes(32)  # 800 bytes = 25 ms: chunks of 320 and 320; the 160-byte tail goes
    transcript = encode_event(Event("transcript", {"text": "ok"}))
    written = await capture(
        transcript,
        b'"audio-stop"',
        lambda emu, ep: emu.transcribe(ep, PcmAudio(pcm, 16000, 2, 1)),
        EmulatorConfig(timeout_s=5, ha_mode=ha_mode, pace=pace),  # type: ignore[arg-type]
    )
    chunk = header("audio-chunk", ha_mode, b', "data_length": 61, "payload_length": 320')
    expected = b"".join(
        [
            frame(header("transcribe", ha_mode, b', "data_length": 18'), b'{"language": "en"}'),
            frame(header("audio-start", ha_mode, b', "data_length": 61'), FMT),
            frame(chunk, FMT, pcm[:320]),
            frame(chunk, FMT, pcm[320:640]),
            frame(header("audio-stop", ha_mode, b', "data_length": 19'), b'{"timestamp": null}'),
        ]
    )
    assert written == expected


async def test_the_partial_tail_is_sent_only_when_asked_for() -> None:
    pcm = bytes(800)
    written = await capture(
        encode_event(Event("transcript", {"text": "ok"})),
        b'"audio-stop"',
        lambda emu, ep: emu.transcribe(ep, PcmAudio(pcm, 16000, 2, 1)),
        EmulatorConfig(timeout_s=5, drop_partial_chunk=False),
    )
    assert b'"payload_length": 160}' in written and written.count(b'"type": "audio-chunk"') == 3


async def test_stt_converts_input_to_16khz_mono_before_upload() -> None:
    stereo_48k = PcmAudio(bytes(48000 * 4 // 10), 48000, 2, 2)  # 100 ms of stereo silence at 48 kHz
    written = await capture(
        encode_event(Event("transcript", {"text": ""})),
        b'"audio-stop"',
        lambda emu, ep: emu.transcribe(ep, stereo_48k),
    )
    assert written.count(b'"type": "audio-chunk"') == 10  # 100 ms = ten 10 ms chunks at 16 kHz mono
    assert FMT in written


@pytest.mark.parametrize("ha_mode", MODES)
async def test_plain_tts_bytes(ha_mode: str) -> None:
    reply = b"".join(
        encode_event(e.event())
        for e in (
            AudioStart(22050, 2, 1),
            AudioChunk(22050, 2, 1, bytes(4410)),
            AudioStop(),
        )
    )
    config = EmulatorConfig(timeout_s=5, ha_mode=ha_mode)  # type: ignore[arg-type]
    written = await capture(reply, b"\n{", lambda emu, ep: emu.synthesize(ep, "Hi there."), config)
    assert written == frame(header("synthesize", ha_mode, b', "data_length": 21'), b'{"text": "Hi there."}')


@pytest.mark.parametrize("ha_mode", MODES)
async def test_streaming_tts_bytes_with_voice(ha_mode: str) -> None:
    reply = encode_event(AudioChunk(22050, 2, 1, bytes(4410)).event()) + encode_event(Event("synthesize-stopped"))
    config = EmulatorConfig(timeout_s=5, voice="joe", speaker="0", ha_mode=ha_mode)  # type: ignore[arg-type]

    async def handler_call(emu: HAEmulator, ep):  # type: ignore[no-untyped-def]
        return await HAEmulator(config).synthesize(ep, "Hi.", streaming=True)

    written = await capture(reply, b'"synthesize-stop"', handler_call)
    voice = b'{"voice": {"name": "joe", "speaker": "0"}}'
    assert written == b"".join(
        [
            frame(header("synthesize-start", ha_mode, b', "data_length": %d' % len(voice)), voice),
            frame(header("synthesize-chunk", ha_mode, b', "data_length": 15'), b'{"text": "Hi."}'),
            frame(
                header("synthesize", ha_mode, b', "data_length": 57'),
                b'{"text": "Hi.", "voice": {"name": "joe", "speaker": "0"}}',
            ),
            frame(header("synthesize-stop", ha_mode)),
        ]
    )


@pytest.mark.parametrize("ha_mode", MODES)
async def test_describe_bytes(ha_mode: str) -> None:
    info = encode_event(Event("info", {"asr": [], "tts": []}))
    config = EmulatorConfig(timeout_s=5, ha_mode=ha_mode)  # type: ignore[arg-type]
    written = await capture(info, b"\n", lambda emu, ep: emu.describe(ep), config)
    assert written == frame(header("describe", ha_mode))

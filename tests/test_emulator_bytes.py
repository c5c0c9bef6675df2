"""Golden bytes: exactly what the emulator writes for each HA sequence."""

from __future__ import annotations

import anyio
import pytest
from anyio.abc import SocketStream
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event

from tests.fakes import read_until, scripted_server
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.pcm import PcmAudio
from wyoming_rt.wire import encode_event

pytestmark = pytest.mark.anyio

FMT = b'{"rate": 16000, "width": 2, "channels": 1, "timestamp": null}'


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


@pytest.mark.parametrize(("ha_mode", "pace"), [("latest", "burst"), ("latest", "realtime"), ("2026.2", "burst"), ("2026.2", "realtime")])
async def test_stt_sequence_bytes(ha_mode: str, pace: str) -> None:
    """Both HA versions and both pacings write the same bytes; only when and how they read differs."""
    pcm = bytes(range(256)) * 3 + bytes(32)  # 800 bytes = 25 ms: chunks of 320, 320 and 160
    transcript = encode_event(Event("transcript", {"text": "ok"}))
    written = await capture(
        transcript,
        b'"audio-stop"',
        lambda emu, ep: emu.transcribe(ep, PcmAudio(pcm, 16000, 2, 1)),
        EmulatorConfig(timeout_s=5, ha_mode=ha_mode, pace=pace),  # type: ignore[arg-type]
    )
    chunk = b'{"type": "audio-chunk", "version": "1.7.2", "data_length": 61, "payload_length": %d}'
    expected = b"".join(
        [
            frame(b'{"type": "transcribe", "version": "1.7.2", "data_length": 18}', b'{"language": "en"}'),
            frame(b'{"type": "audio-start", "version": "1.7.2", "data_length": 61}', FMT),
            frame(chunk % 320, FMT, pcm[:320]),
            frame(chunk % 320, FMT, pcm[320:640]),
            frame(chunk % 160, FMT, pcm[640:]),
            frame(b'{"type": "audio-stop", "version": "1.7.2", "data_length": 19}', b'{"timestamp": null}'),
        ]
    )
    assert written == expected


async def test_stt_converts_input_to_16khz_mono_before_upload() -> None:
    stereo_48k = PcmAudio(bytes(48000 * 4 // 10), 48000, 2, 2)  # 100 ms of stereo silence at 48 kHz
    written = await capture(
        encode_event(Event("transcript", {"text": ""})),
        b'"audio-stop"',
        lambda emu, ep: emu.transcribe(ep, stereo_48k),
    )
    assert written.count(b'"type": "audio-chunk"') == 10  # 100 ms = ten 10 ms chunks at 16 kHz mono
    assert FMT in written


async def test_plain_tts_bytes() -> None:
    reply = b"".join(
        encode_event(e.event())
        for e in (
            AudioStart(22050, 2, 1),
            AudioChunk(22050, 2, 1, bytes(4410)),
            AudioStop(),
        )
    )
    written = await capture(reply, b"\n{", lambda emu, ep: emu.synthesize(ep, "Hi there."))
    assert written == frame(b'{"type": "synthesize", "version": "1.7.2", "data_length": 21}', b'{"text": "Hi there."}')


async def test_streaming_tts_bytes_with_voice() -> None:
    reply = encode_event(AudioChunk(22050, 2, 1, bytes(4410)).event()) + encode_event(Event("synthesize-stopped"))
    config = EmulatorConfig(timeout_s=5, voice="joe", speaker="0")

    async def handler_call(emu: HAEmulator, ep):  # type: ignore[no-untyped-def]
        return await HAEmulator(config).synthesize(ep, "Hi.", streaming=True)

    written = await capture(reply, b'"synthesize-stop"', handler_call)
    voice = b'{"voice": {"name": "joe", "speaker": "0"}}'
    assert written == b"".join(
        [
            frame(b'{"type": "synthesize-start", "version": "1.7.2", "data_length": %d}' % len(voice), voice),
            frame(b'{"type": "synthesize-chunk", "version": "1.7.2", "data_length": 15}', b'{"text": "Hi."}'),
            frame(
                b'{"type": "synthesize", "version": "1.7.2", "data_length": 57}',
                b'{"text": "Hi.", "voice": {"name": "joe", "speaker": "0"}}',
            ),
            frame(b'{"type": "synthesize-stop", "version": "1.7.2"}'),
        ]
    )


async def test_describe_bytes() -> None:
    info = encode_event(Event("info", {"asr": [], "tts": []}))
    written = await capture(info, b"\n", lambda emu, ep: emu.describe(ep))
    assert written == frame(b'{"type": "describe", "version": "1.7.2"}')

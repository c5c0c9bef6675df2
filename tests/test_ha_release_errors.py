"""What each HA release does with a TTS or STT ``error`` event, against scripted servers
(error-then-audio and error-then-hang are faults no current real server shows on demand; old
wyoming-piper 1.4/1.6 hangs after an error, see docs/ha-fidelity.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
import pytest
from anyio.abc import SocketStream
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event

from tests.fakes import reader_for, scripted_server
from wyoming_rt.checks.protocol import failure_finding
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.records.errors import (
    ErrorThenAudioError,
    ErrorThenHangError,
    ErrorThenHangTimeout,
    ServerErrorEvent,
    WyomingRTError,
)
from wyoming_rt.records.results import TtsResult
from wyoming_rt.wire import encode_event

pytestmark = pytest.mark.anyio

ERROR = encode_event(Event("error", {"text": "voice not found", "code": "voice"}))
AUDIO = b"".join(encode_event(e.event()) for e in (AudioStart(22050, 2, 1), AudioChunk(22050, 2, 1, bytes(4410)), AudioStop()))
Handler = Callable[[SocketStream], Awaitable[None]]


def after_request(reply: bytes, *, hang: bool = False) -> Handler:
    async def handler(stream: SocketStream) -> None:
        reader = reader_for(stream)
        while (received := await reader.read()) is not None and received.type not in ("synthesize", "audio-stop"):
            pass
        await stream.send(reply)
        if hang:
            await anyio.sleep(60)  # neither closes nor ends the answer

    return handler


async def synthesize(
    handler: Handler, ha_mode: str, *, streaming: bool = False, timeout_s: float = 20
) -> TtsResult | WyomingRTError:
    """The result, or the error the emulator raised (caught inside the scripted server's scope)."""
    config = EmulatorConfig(timeout_s=timeout_s, ha_mode=ha_mode, error_grace_s=1.0)  # type: ignore[arg-type]
    async with scripted_server(handler) as endpoint:
        with anyio.fail_after(60):
            try:
                return await HAEmulator(config).synthesize(endpoint, "Hello.", streaming=streaming)
            except WyomingRTError as exc:
                return exc


def raised(outcome: TtsResult | WyomingRTError, kind: type[WyomingRTError], match: str = "") -> WyomingRTError:
    assert type(outcome) is kind, outcome
    assert match in str(outcome)
    return outcome


def succeeded(outcome: TtsResult | WyomingRTError) -> TtsResult:
    assert isinstance(outcome, TtsResult), outcome
    return outcome


@pytest.mark.parametrize("streaming", [False, True])
async def test_2026_11_fails_at_an_error_even_when_audio_follows(streaming: bool) -> None:
    tail = encode_event(Event("synthesize-stopped")) if streaming else b""
    error = raised(
        await synthesize(after_request(ERROR + AUDIO + tail), "2026.11", streaming=streaming),
        ErrorThenAudioError,
        "1 audio chunks followed",
    )
    assert failure_finding("tts", error).rule == "tts.error-then-audio"


async def test_2026_2_ignores_the_error_and_plays_the_audio_after_it() -> None:
    result = succeeded(await synthesize(after_request(ERROR + AUDIO), "2026.2"))
    assert len(result.pcm) == 4410 and result.trace.received()[0].type == "error"


async def test_2026_11_names_an_error_that_is_followed_by_nothing() -> None:
    error = raised(await synthesize(after_request(ERROR, hang=True), "2026.11"), ErrorThenHangError, "would wait for ever")
    assert failure_finding("tts", error).rule == "tts.error-then-hang"


async def test_2026_2_waits_after_an_error_until_its_watchdog_and_says_why() -> None:
    error = raised(
        await synthesize(after_request(ERROR, hang=True), "2026.2", timeout_s=2), ErrorThenHangTimeout, "waits for ever"
    )
    assert failure_finding("tts", error).rule == "tts.error-then-hang"


async def test_an_error_then_a_close_is_a_plain_error_event() -> None:
    error = raised(await synthesize(after_request(ERROR), "2026.11"), ServerErrorEvent, "voice not found")
    assert failure_finding("tts", error).rule == "tts.error-event"


async def test_streaming_drops_a_chunk_that_comes_before_any_audio_start() -> None:
    early = encode_event(AudioChunk(16000, 2, 1, bytes(320)).event())
    reply = early + AUDIO + encode_event(Event("synthesize-stopped"))
    result = succeeded(await synthesize(after_request(reply), "2026.11", streaming=True))
    assert len(result.pcm) == 4410 and result.rate_hz == 22050


async def test_stt_error_then_hang_in_2026_11() -> None:
    from wyoming_rt.records.audio import PcmAudio

    config = EmulatorConfig(timeout_s=20, error_grace_s=1.0)
    async with scripted_server(after_request(ERROR, hang=True)) as endpoint:
        with anyio.fail_after(60), pytest.raises(ErrorThenHangError) as raised:
            await HAEmulator(config).transcribe(endpoint, PcmAudio(bytes(3200), 16000, 2, 1))
    assert failure_finding("stt", raised.value).rule == "stt.error-then-hang"

"""Tolerance probes: small requests off the happy path that Home Assistant can send.

Each probe returns what happened; `checks.protocol.check_probes` judges it. Every wait is
under a watchdog.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass

import anyio
from wyoming.event import Event
from wyoming.info import Describe

from .emulator import EmulatorConfig, HAEmulator
from .endpoint import Endpoint, connect
from .errors import FramingError, WyomingRTError
from .pcm import PcmAudio
from .wire import EventReader, encode_event

UNKNOWN_EVENT_TYPE = "wyoming-rt-probe"


@dataclass(frozen=True)
class ProbeOutcome:
    """One probe: its name, whether the server answered as the protocol asks, and why not."""

    name: str
    role: str
    ok: bool
    detail: str = ""


async def probe_unknown_event(endpoint: Endpoint, role: str, timeout_s: float) -> ProbeOutcome:
    """An unknown event type, then ``describe`` on the same connection: ``info`` must come back."""
    name = "unknown-event"
    try:
        with anyio.fail_after(timeout_s):
            async with await connect(endpoint, timeout_s) as stream:
                await stream.send(encode_event(Event(UNKNOWN_EVENT_TYPE, {"probe": True})) + encode_event(Describe().event()))
                reader = EventReader(stream)
                while (received := await reader.read()) is not None:
                    if received.type == "info":
                        return ProbeOutcome(name, role, True)
                return ProbeOutcome(name, role, False, f"closed the connection after an unknown event type ({UNKNOWN_EVENT_TYPE})")
    except TimeoutError:
        return ProbeOutcome(name, role, False, f"no info within {timeout_s:g} s after an unknown event type")
    except FramingError as exc:
        return ProbeOutcome(name, role, False, f"answered an unknown event type with bad framing: {exc}")
    except (WyomingRTError, OSError, anyio.BrokenResourceError) as exc:
        return ProbeOutcome(name, role, False, f"failed after an unknown event type: {exc}")


async def _answered(name: str, role: str, request: Awaitable[object]) -> ProbeOutcome:
    """The probe passes when the emulator's request completes (it raises when it does not)."""
    try:
        await request
        return ProbeOutcome(name, role, True)
    except WyomingRTError as exc:
        return ProbeOutcome(name, role, False, str(exc))


async def probe_empty_audio(endpoint: Endpoint, config: EmulatorConfig) -> ProbeOutcome:
    """``transcribe``, ``audio-start``, ``audio-stop`` with no chunk: a transcript must come back."""
    return await _answered("empty-audio", "stt", HAEmulator(config).transcribe(endpoint, PcmAudio(b"", 16000, 2, 1)))


async def probe_empty_text(endpoint: Endpoint, config: EmulatorConfig, *, streaming: bool) -> ProbeOutcome:
    """``synthesize`` of an empty text: the answer must still end (``audio-stop`` / ``synthesize-stopped``)."""
    return await _answered("empty-text", "tts", HAEmulator(config).synthesize(endpoint, "", streaming=streaming))


async def run_probes(stt: Endpoint, tts: Endpoint, config: EmulatorConfig, *, tts_streaming: bool) -> list[ProbeOutcome]:
    """All probes, concurrently; each bounded by ``config.timeout_s``."""
    outcomes: list[ProbeOutcome] = []

    async def keep(coro) -> None:  # type: ignore[no-untyped-def]
        outcomes.append(await coro)

    async with anyio.create_task_group() as tg:
        tg.start_soon(keep, probe_unknown_event(stt, "stt", config.timeout_s))
        tg.start_soon(keep, probe_unknown_event(tts, "tts", config.timeout_s))
        tg.start_soon(keep, probe_empty_audio(stt, config))
        tg.start_soon(keep, probe_empty_text(tts, config, streaming=tts_streaming))
    return sorted(outcomes, key=lambda o: (o.role, o.name))

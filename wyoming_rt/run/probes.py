"""Conformance probes: small requests off the happy path that Home Assistant can send, and
requests that look for what a round trip cannot see (extra events after the final one, a
second answer to the compatibility synthesize, describe while busy, advertised voices).

Each probe returns what happened (`ProbeOutcome`); `checks.protocol.check_probes` judges it.
Every wait is under a watchdog.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

import anyio
import numpy as np
from wyoming.event import Event
from wyoming.info import Describe

from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.endpoint import Endpoint, connect
from wyoming_rt.records.audio import PcmAudio
from wyoming_rt.records.corpus import Utterance
from wyoming_rt.records.errors import FramingError, WatchdogTimeout, WyomingRTError
from wyoming_rt.records.info import installed
from wyoming_rt.records.results import ProbeName, ProbeOutcome, TtsResult
from wyoming_rt.records.trace import Trace
from wyoming_rt.wire import EventReader, encode_event

UNKNOWN_EVENT_TYPE = "wyoming-rt-probe"
LINGER_S = 0.5
"""How long the probes keep reading after the final event, to see events sent too many."""
BUSY_AUDIO_S = 20.0
BUSY_TEXT_CHARS = 400
"""The busy requests' sizes when the server's speed is not known."""
BUSY_AUDIO_MIN_S, BUSY_AUDIO_MAX_S = 5.0, 60.0
BUSY_TEXT_MIN_CHARS, BUSY_TEXT_MAX_CHARS = 100, 2000
BUSY_WORK_FACTOR = 1.5
"""The busy request is sized to keep the server working this many describe timeouts (at the
speed of the latency phase; beside the other busy probe it takes longer)."""
BUSY_LEAD_S = 0.3
"""describe goes out this long after the busy request started (its upload is a burst, whatever
the run's ``--pace``, so the server is already working by then)."""
VOICE_PROBE_TEXT = "Testing this voice."


async def probe_unknown_event(endpoint: Endpoint, role: str, timeout_s: float) -> ProbeOutcome:
    """An unknown event type, then ``describe`` on the same connection: ``info`` must come back."""
    name = ProbeName.UNKNOWN_EVENT
    try:
        with anyio.fail_after(timeout_s):
            async with await connect(endpoint, timeout_s) as stream:
                await stream.send(encode_event(Event(UNKNOWN_EVENT_TYPE, {"probe": True})) + encode_event(Describe().event()))
                reader = EventReader(stream)
                while (received := await reader.read()) is not None:
                    if received.type == "info":
                        return ProbeOutcome(name, role, True)
                return ProbeOutcome(
                    name, role, False, f"closed the connection after an unknown event type ({UNKNOWN_EVENT_TYPE})"
                )
    except TimeoutError:
        return ProbeOutcome(name, role, False, f"no info within {timeout_s:g} s after an unknown event type")
    except FramingError as exc:
        return ProbeOutcome(name, role, False, f"answered an unknown event type with bad framing: {exc}")
    except (WyomingRTError, OSError, anyio.BrokenResourceError) as exc:
        return ProbeOutcome(name, role, False, f"failed after an unknown event type: {exc}")


async def _answered(name: str, role: str, request: Awaitable[Any]) -> ProbeOutcome:
    """The probe passes when the emulator's request completes (it raises when it does not)."""
    try:
        result = await request
        return ProbeOutcome(name, role, True, traces=(result.trace,))
    except WyomingRTError as exc:
        return ProbeOutcome(name, role, False, str(exc))


async def probe_empty_audio(endpoint: Endpoint, config: EmulatorConfig) -> ProbeOutcome:
    """``transcribe``, ``audio-start``, ``audio-stop`` with no chunk: a transcript must come back."""
    return await _answered(ProbeName.EMPTY_AUDIO, "stt", HAEmulator(config).transcribe(endpoint, PcmAudio(b"", 16000, 2, 1)))


async def probe_empty_text(endpoint: Endpoint, config: EmulatorConfig, *, streaming: bool) -> ProbeOutcome:
    """``synthesize`` of an empty text: the answer must still end (``audio-stop`` / ``synthesize-stopped``)."""
    return await _answered(ProbeName.EMPTY_TEXT, "tts", HAEmulator(config).synthesize(endpoint, "", streaming=streaming))


async def probe_stt_linger(endpoint: Endpoint, config: EmulatorConfig, sample: Utterance) -> ProbeOutcome:
    """One spoken utterance, then keep listening: exactly one transcript must have come."""
    outcome = await _answered(ProbeName.STT_LINGER, "stt", HAEmulator(config).transcribe(endpoint, sample.audio))
    return replace(outcome, ok=True)  # a failed request is the round trips' finding, not this probe's


async def probe_tts_linger(endpoint: Endpoint, config: EmulatorConfig, text: str, *, streaming: bool) -> ProbeOutcome:
    """The same text plain and (when the server streams) streaming, then keep listening.

    The plain duration is what the text sounds like once; the streaming answer must not be
    much longer (the compatibility ``synthesize`` answered as well).
    """
    emulator = HAEmulator(config)
    traces: list[Trace] = []
    durations: dict[str, Any] = {}
    for mode in (False, True) if streaming else (False,):
        try:
            result = await emulator.synthesize(endpoint, text, streaming=mode)
        except WyomingRTError:
            continue  # failures are the round trips' findings
        traces.append(result.trace)
        durations["streaming_s" if mode else "plain_s"] = _duration_s(result)
    return ProbeOutcome(ProbeName.TTS_LINGER, "tts", True, traces=tuple(traces), measures=durations)


def _duration_s(result: TtsResult) -> float | None:
    audio = result.audio
    return audio.duration_s if audio is not None and audio.frame_bytes > 0 and audio.rate_hz > 0 else None


async def probe_voice(endpoint: Endpoint, config: EmulatorConfig, voice: str, *, streaming: bool) -> ProbeOutcome:
    """An advertised voice, as HA would use it when a user picks it: audio must come back."""
    name = ProbeName.voice(voice)
    try:
        result = await HAEmulator(replace(config, voice=voice, speaker=None)).synthesize(
            endpoint, VOICE_PROBE_TEXT, streaming=streaming
        )
    except WyomingRTError as exc:
        return ProbeOutcome(name, "tts", False, f"{voice}: {exc}", measures={"error_kind": exc.kind})
    if result.pcm or any(e.payload_length for e in result.trace.received("audio-chunk")):
        return ProbeOutcome(name, "tts", True)  # the voice speaks (audio HA drops is another rule's finding)
    errors = [str(e.data.get("text", e.data))[:160] for e in result.trace.received("error")]
    why = f"error event: {errors[0]}" if errors else "no audio"
    return ProbeOutcome(name, "tts", False, f"{voice}: {why}")


async def probe_describe_while_busy(
    endpoint: Endpoint,
    role: str,
    config: EmulatorConfig,
    busy: Callable[[], Awaitable[Any]],
    written: anyio.Event | None = None,
) -> ProbeOutcome:
    """Start a long request, then (`BUSY_LEAD_S` after it is all written, ``written``) ``describe``
    with HA's timeout on a second connection; then let the long request finish (under its
    watchdog), so that no work is left behind on the server."""
    name = ProbeName.DESCRIBE_WHILE_BUSY
    emulator = HAEmulator(replace(config, describe_attempts=1))
    outcome = ProbeOutcome(name, role, True)
    busy_finished = False

    async def keep_busy() -> None:
        nonlocal busy_finished
        try:
            await busy()
            busy_finished = True
        except WyomingRTError as exc:
            busy_finished = not isinstance(exc, WatchdogTimeout)  # any answer but a timeout ends the work

    async with anyio.create_task_group() as tg:
        tg.start_soon(keep_busy)
        if written is not None:  # the whole request is with the server, however long its upload took
            with anyio.move_on_after(config.timeout_s):
                await written.wait()
        await anyio.sleep(BUSY_LEAD_S)
        try:
            described = await emulator.describe(endpoint)
            outcome = replace(outcome, measures={"describe_ms": round(described.latency_s * 1000, 1)})
        except WyomingRTError as exc:
            outcome = replace(outcome, ok=False, detail=f"while busy with a long request: {exc}")
    return replace(outcome, measures={**outcome.measures, "busy_finished": busy_finished})


def busy_sizes(stt_s_per_audio_s: float | None, tts_s_per_char: float | None, describe_timeout_s: float) -> tuple[float, int]:
    """Seconds of audio and characters of text that keep each server busy for about
    `BUSY_WORK_FACTOR` describe timeouts, from how fast it worked in the latency phase."""
    work_s = BUSY_WORK_FACTOR * describe_timeout_s + BUSY_LEAD_S
    audio_s = BUSY_AUDIO_S if not stt_s_per_audio_s else work_s / stt_s_per_audio_s
    chars = BUSY_TEXT_CHARS if not tts_s_per_char else work_s / tts_s_per_char
    return min(max(audio_s, BUSY_AUDIO_MIN_S), BUSY_AUDIO_MAX_S), int(min(max(chars, BUSY_TEXT_MIN_CHARS), BUSY_TEXT_MAX_CHARS))


def advertised_voices(tts_info: dict[str, Any] | None, limit: int) -> list[str]:
    """Up to ``limit`` installed voice names of the first installed tts program (the one HA uses)."""
    programs = installed(tts_info, "tts")
    if not programs or limit <= 0:
        return []
    voices = [v.get("name") for v in installed(programs[0], "voices")]
    return [v for v in voices if isinstance(v, str)][:limit]


def _tile(audio: PcmAudio, seconds: float) -> PcmAudio:
    repeats = max(1, int(np.ceil(seconds / max(audio.duration_s, 0.01))))
    return PcmAudio(audio.pcm * repeats, audio.rate_hz, audio.width_bytes, audio.channels)


async def run_probes(
    stt: Endpoint,
    tts: Endpoint,
    config: EmulatorConfig,
    *,
    tts_streaming: bool,
    sample: Utterance | None = None,
    voices: Sequence[str] = (),
    roles: Sequence[str] = ("stt", "tts"),
    busy_audio_s: float = BUSY_AUDIO_S,
    busy_text_chars: int = BUSY_TEXT_CHARS,
    busy_timeout_s: float | None = None,
) -> list[ProbeOutcome]:
    """All probes of the servers in ``roles``, each bounded by ``config.timeout_s``: first the
    independent ones concurrently, then describe-while-busy (which needs otherwise idle
    servers; its long request runs to its end under ``busy_timeout_s``)."""
    config = replace(config, linger_s=LINGER_S)
    outcomes: list[ProbeOutcome] = []

    async def keep(probe: Awaitable[ProbeOutcome]) -> None:
        outcomes.append(await probe)

    async with anyio.create_task_group() as tg:
        if "stt" in roles:
            tg.start_soon(keep, probe_unknown_event(stt, "stt", config.timeout_s))
            tg.start_soon(keep, probe_empty_audio(stt, config))
            if sample is not None:
                tg.start_soon(keep, probe_stt_linger(stt, config, sample))
        if "tts" in roles:
            tg.start_soon(keep, probe_unknown_event(tts, "tts", config.timeout_s))
            tg.start_soon(keep, probe_empty_text(tts, config, streaming=tts_streaming))
            if sample is not None:
                tg.start_soon(keep, probe_tts_linger(tts, config, sample.reference, streaming=tts_streaming))
            for voice in voices:
                tg.start_soon(keep, probe_voice(tts, config, voice, streaming=tts_streaming))

    if sample is not None:
        busy_config = replace(config, linger_s=0.0, pace="burst", timeout_s=busy_timeout_s or config.timeout_s)
        stt_busy, tts_busy = HAEmulator(busy_config), HAEmulator(busy_config)
        stt_busy.request_written, tts_busy.request_written = anyio.Event(), anyio.Event()
        long_audio = _tile(sample.audio, busy_audio_s)
        long_text = " ".join([sample.reference] * max(1, busy_text_chars // max(len(sample.reference) + 1, 1)))
        async with anyio.create_task_group() as tg:
            if "stt" in roles:
                transcribe = partial(stt_busy.transcribe, stt, long_audio)
                tg.start_soon(keep, probe_describe_while_busy(stt, "stt", config, transcribe, stt_busy.request_written))
            if "tts" in roles:
                synthesize = partial(tts_busy.synthesize, tts, long_text, streaming=tts_streaming)
                tg.start_soon(keep, probe_describe_while_busy(tts, "tts", config, synthesize, tts_busy.request_written))
    return sorted(outcomes, key=lambda o: (o.role, o.name))

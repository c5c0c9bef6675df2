"""Runs each utterance through STT, then its transcript through TTS, concurrently."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

import anyio

from wyoming_rt.emulator import HAEmulator
from wyoming_rt.endpoint import Endpoint
from wyoming_rt.records.corpus import Utterance
from wyoming_rt.records.errors import WyomingRTError
from wyoming_rt.records.results import NegativeResult, RoundTripResult
from wyoming_rt.run.breaker import HangBreaker

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


@dataclass(frozen=True)
class Breakers:
    """The STT and TTS servers' `HangBreaker`s, shared by every request of a run."""

    stt: HangBreaker
    tts: HangBreaker

    @classmethod
    def fresh(cls, limit: int) -> Breakers:
        return cls(HangBreaker(limit, name="the STT server"), HangBreaker(limit, name="the TTS server"))

    def new_phase(self, limit: int) -> None:
        self.stt.new_phase(limit)
        self.tts.new_phase(limit)


async def round_trip(
    emulator: HAEmulator,
    utterance: Utterance,
    stt: Endpoint,
    tts: Endpoint,
    *,
    tts_streaming: bool = False,
    back_transcribe: bool = False,
    breakers: Breakers | None = None,
) -> RoundTripResult:
    """One round trip. Failures are recorded in the result, never raised. ``breakers`` are
    shared by the round trips of one run so that a hung server fails fast; the back
    transcription is the validator's own request and never trips them."""
    breakers = breakers or Breakers.fresh(1 << 30)
    result = RoundTripResult(utterance)
    started_ns = time.perf_counter_ns()
    try:
        result.stt = await breakers.stt.call(lambda: emulator.transcribe(stt, utterance.audio))
    except WyomingRTError as exc:
        result.stt_error = exc
        return result
    text = result.stt.text
    if not text.strip():
        return result
    try:
        result.tts = await breakers.tts.call(lambda: emulator.synthesize(tts, text, streaming=tts_streaming))
    except WyomingRTError as exc:
        result.tts_error = exc
        return result
    result.round_trip_s = (time.perf_counter_ns() - started_ns) / 1e9
    audio = result.tts.audio
    if back_transcribe and audio is not None and audio.pcm and audio.format.is_playable:
        try:
            # the validator's own request: the whole answer, never cut by HA's voice detector
            back = partial(emulator.transcribe, stt, audio, endpointing=False)
            result.back_stt = await breakers.stt.call(back, counted=False)
        except WyomingRTError as exc:
            result.back_stt_error = exc
        except ValueError:
            pass  # audio that cannot be decoded is already a finding of the audio checks
    return result


async def run_round_trips(
    emulator: HAEmulator,
    utterances: Sequence[Utterance],
    stt: Endpoint,
    tts: Endpoint,
    *,
    tts_streaming: bool,
    back_transcribe: bool = False,
    concurrency: int = 4,
    on_result: Callable[[RoundTripResult], None] | None = None,
    breakers: Breakers | None = None,
) -> list[RoundTripResult]:
    """Round-trip every utterance, at most ``concurrency`` at a time.

    Results come back in input order, each tied to its own utterance. ``on_result`` is
    called as each one finishes (for progress display). ``breakers`` (a run's own, else new
    ones) trip after ``concurrency`` timeouts in a row.
    """
    if breakers is None:
        breakers = Breakers.fresh(concurrency)
    else:
        breakers.new_phase(concurrency)

    async def one(utterance: Utterance) -> RoundTripResult:
        result = await round_trip(
            emulator, utterance, stt, tts, tts_streaming=tts_streaming, back_transcribe=back_transcribe, breakers=breakers
        )
        if on_result is not None:
            on_result(result)
        return result

    return await map_limited(one, utterances, concurrency)


async def run_negatives(
    emulator: HAEmulator,
    utterances: Sequence[Utterance],
    stt: Endpoint,
    *,
    concurrency: int = 4,
    breaker: HangBreaker | None = None,
) -> list[NegativeResult]:
    """Transcribe each speech-free clip; results in input order."""
    if breaker is None:
        breaker = HangBreaker(concurrency)
    else:
        breaker.new_phase(concurrency)

    async def one(utterance: Utterance) -> NegativeResult:
        try:
            return NegativeResult(utterance, stt=await breaker.call(lambda: emulator.transcribe(stt, utterance.audio)))
        except WyomingRTError as exc:
            return NegativeResult(utterance, stt_error=exc)

    return await map_limited(one, utterances, concurrency)


async def map_limited(work: Callable[[Item], Awaitable[Outcome]], items: Sequence[Item], concurrency: int) -> list[Outcome]:
    """Run ``work`` on every item, at most ``concurrency`` at a time; results in input order.

    ``concurrency`` workers take the next item as they finish one, so memory stays bounded by
    the concurrency, not the number of items.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    results: list[Outcome | None] = [None] * len(items)
    queue = iter(enumerate(items))

    async def worker() -> None:
        for index, item in queue:  # a shared iterator: each item goes to exactly one worker
            results[index] = await work(item)

    async with anyio.create_task_group() as tg:
        for _ in range(min(concurrency, len(items))):
            tg.start_soon(worker)
    return [r for r in results if r is not None]

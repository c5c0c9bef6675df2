"""Audio faults injected by a proxy in front of the real upstream wyoming-piper: each is caught
by its own finding, and the unmodified stream passes."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from wyoming.event import Event

from tests.integration.proxy import Mutator, fault_proxy
from wyoming_rt.corpus import load_bundled_corpus
from wyoming_rt.endpoint import Endpoint
from wyoming_rt.records.corpus import Corpus
from wyoming_rt.run.gates import Gates
from wyoming_rt.run.validate import ValidateOptions, validate

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


def unchanged() -> Mutator:
    return lambda event: [event]


def map_chunks(change: Callable[[np.ndarray], np.ndarray]) -> Callable[[], Mutator]:
    def make() -> Mutator:
        def mutate(event: Event) -> list[Event]:
            if event.type == "audio-chunk" and event.payload:
                samples = np.frombuffer(event.payload, dtype="<i2").astype(np.float64)
                changed = np.clip(change(samples), -32768, 32767).astype("<i2").tobytes()
                return [Event(event.type, event.data, changed)]
            return [event]

        return mutate

    return make


def wrong_rate() -> Mutator:
    def mutate(event: Event) -> list[Event]:
        if event.type in ("audio-start", "audio-chunk"):
            return [Event(event.type, {**event.data, "rate": event.data["rate"] * 2}, event.payload)]
        return [event]

    return mutate


def partial_samples() -> Mutator:
    first = True

    def mutate(event: Event) -> list[Event]:
        nonlocal first
        if event.type == "audio-chunk" and first:
            first = False
            return [Event(event.type, event.data, (event.payload or b"") + b"\x00")]
        return [event]

    return mutate


def cut_tail() -> Mutator:
    """Hold the chunks; at audio-stop, forward them only up to the loudest chunk of the second half."""
    held: list[Event] = []

    def mutate(event: Event) -> list[Event]:
        if event.type == "audio-chunk":
            held.append(event)
            return []
        if event.type == "audio-stop" and held:
            levels = [float(np.sqrt(np.mean(np.frombuffer(e.payload or b"\0\0", "<i2").astype(np.float64) ** 2))) for e in held]
            half = len(held) // 2
            cut = half + int(np.argmax(levels[half:]))
            kept, held[:] = held[: cut + 1], []
            return [*kept, event]
        return [event]

    return mutate


# Each fault and the rules that name it. A doubled rate halves the duration: the structural
# duration check sees it first when it is that far off, the speaking-rate check otherwise.
FAULTS: dict[str, tuple[Callable[[], Mutator], set[str]]] = {
    "silence": (map_chunks(lambda s: s * 0), {"audio.silent"}),
    "clipping": (map_chunks(lambda s: s * 16), {"audio.clipping"}),
    "wrong-declared-rate": (wrong_rate, {"tts.duration-implausible", "audio.speaking-rate"}),
    "cut-off-tail": (cut_tail, {"audio.truncated"}),
    "partial-samples": (partial_samples, {"tts.partial-samples"}),
}


def two_utterances() -> Corpus:
    utterances = [u for u in load_bundled_corpus() if u.id.startswith(("02_", "03_"))]
    return Corpus("two", utterances)


async def run_through(stt: Endpoint, tts: Endpoint, make: Callable[[], Mutator]):  # type: ignore[no-untyped-def]
    async with fault_proxy(tts, make) as proxied:
        options = ValidateOptions(
            timeout_s=120, concurrency=0, gates=Gates(max_wer=None), back_transcribe=False, negatives=False, probes=False
        )
        return await validate(stt, proxied, two_utterances(), options)


async def test_the_unmodified_upstream_stream_passes(
    wyoming_upstream_stt_endpoint: Endpoint, wyoming_upstream_tts_endpoint: Endpoint
) -> None:
    report = await run_through(wyoming_upstream_stt_endpoint, wyoming_upstream_tts_endpoint, unchanged)
    assert [f for f in report.findings if f.rule != "warmup.slow"] == []  # a busy machine may add warmup.slow
    assert all(u.quality is not None and u.quality.speech_s > 0.5 for u in report.utterances)


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_each_fault_has_its_own_finding(
    fault: str, wyoming_upstream_stt_endpoint: Endpoint, wyoming_upstream_tts_endpoint: Endpoint
) -> None:
    make, rules = FAULTS[fault]
    report = await run_through(wyoming_upstream_stt_endpoint, wyoming_upstream_tts_endpoint, make)
    for utterance in report.utterances:
        found = {f.rule for f in utterance.findings}
        assert found & rules, (fault, [(f.rule, f.message) for f in utterance.findings])
    assert not report.passed

"""Soak: 2,000 round trips against the null server with nothing lost, nothing mixed and flat
memory. Kept out of the default run (marker ``soak``); run it with:

    python -m pytest -m soak
"""

from __future__ import annotations

import os

import anyio
import pytest

from tests.test_load import null_utterances
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.endpoint import Endpoint
from wyoming_rt.records.corpus import Utterance
from wyoming_rt.run.roundtrip import map_limited, round_trip
from wyoming_rt.servers.null import is_own_null_answer, run_null_server

pytestmark = [pytest.mark.anyio, pytest.mark.soak]
ROUND_TRIPS = 2000
WARM_UP = 500  # the allocator reaches its steady state first


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


async def test_soak_2000_round_trips_lose_nothing_and_hold_memory_flat() -> None:
    clips = null_utterances(64)
    emulator = HAEmulator(EmulatorConfig(timeout_s=30))

    async def checked(endpoint: Endpoint, utterance: Utterance) -> str:
        """One round trip, judged at once and dropped, so memory holds only what leaks."""
        result = await round_trip(emulator, utterance, endpoint, endpoint, tts_streaming=False)
        if result.stt is None or result.tts is None:
            return "lost"
        return "ok" if is_own_null_answer(utterance.reference, result.stt.text, result.tts.pcm) else "mixed"

    async with run_null_server(reply_seconds=3.0) as endpoint:
        with anyio.fail_after(600):
            await map_limited(lambda u: checked(endpoint, u), [clips[i % 64] for i in range(WARM_UP)], 16)
            before = rss_mb()
            outcomes = await map_limited(lambda u: checked(endpoint, u), [clips[i % 64] for i in range(ROUND_TRIPS)], 16)
            growth = rss_mb() - before
    assert len(outcomes) == ROUND_TRIPS
    assert (outcomes.count("lost"), outcomes.count("mixed")) == (0, 0)
    assert growth < 10, f"RSS grew {growth:.1f} MB over {ROUND_TRIPS} round trips"

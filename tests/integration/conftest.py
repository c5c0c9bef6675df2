"""Integration tests run against real servers: the upstream ones and ours (fixtures from wyoming_rt.pytest_plugin)."""

from __future__ import annotations

import shutil
from pathlib import Path

import anyio
import pytest

from wyoming_rt.corpus import bundled_corpus_dir, load_bundled_corpus
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.endpoint import Endpoint


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """Three bundled utterances in their own directory (quicker than the whole corpus)."""
    wavs = sorted(bundled_corpus_dir().glob("*.wav"))[:3]
    target = tmp_path / "small"
    target.mkdir()
    for wav in wavs:
        shutil.copy(wav, target / wav.name)
        shutil.copy(wav.with_suffix(".txt"), target / wav.with_suffix(".txt").name)
    return target


DRAIN_WATCHDOG_S = 900.0
"""Generous: on a busy machine a server may still be working through a long probe request."""


@pytest.fixture
def idle_upstream_servers(wyoming_upstream_stt_endpoint: Endpoint, wyoming_upstream_tts_endpoint: Endpoint) -> None:
    """Wait until the session's shared upstream servers have worked off what earlier tests left
    them: upstream wyoming-faster-whisper and wyoming-piper finish a request whose client has gone
    (an earlier run's busy and long-text probes) before they read the next one. A short request
    answered means the backlog is gone, so the next run measures the server, not its queue."""
    utterance = load_bundled_corpus().utterances[0]

    async def drain() -> None:
        emulator = HAEmulator(EmulatorConfig(timeout_s=DRAIN_WATCHDOG_S, endpointing="none"))
        with anyio.fail_after(2 * DRAIN_WATCHDOG_S):
            await emulator.transcribe(wyoming_upstream_stt_endpoint, utterance.audio)
            await emulator.synthesize(wyoming_upstream_tts_endpoint, "Ready.", streaming=False)

    anyio.run(drain)

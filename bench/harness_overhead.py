"""What the harness itself costs, against a null server in the same process (instant replies).

    python bench/harness_overhead.py [--quick]

One round trip = the HA-style STT upload of a 3 s utterance in 10 ms chunks (300 chunks),
then a TTS request answered with 3 s of 22.05 kHz audio (65 chunks). The null server runs in
the same process and event loop, so the CPU figures are harness *plus* null server (an upper
bound on the harness alone); the same figures with the null server in its own process give
the harness alone. Measured in one run, side by side:

- CPU per round trip, one at a time: wyoming_rt's `round_trip` vs the same round trip
  written with the plain `wyoming` client (AsyncTcpClient, one write per event, as HA does);
- round trips per second at concurrency 16, for both;
- RSS growth over 10,000 round trips (after a 1,000 round-trip warm-up);
- 256 concurrent sessions, each with its own utterance: results lost and mixed up.

Every answer is checked against its own request (the null server's transcript is a digest of
the audio it received; its audio starts with the text), so "mixed" is measured, not assumed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import numpy as np
from wyoming.asr import Transcribe
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.tts import Synthesize

from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.endpoint import Endpoint, free_tcp_port
from wyoming_rt.endpointing import end_of_speech
from wyoming_rt.pcm import from_float
from wyoming_rt.records.corpus import Utterance
from wyoming_rt.run.roundtrip import map_limited, round_trip
from wyoming_rt.servers.null import is_own_null_answer, null_transcript, run_null_server

UTTERANCE_S = 3.0


def utterance(index: int) -> Utterance:
    """A distinct 3 s utterance per index; its reference is what the null server will answer."""
    rng = np.random.default_rng(index)
    audio = from_float((0.1 * rng.standard_normal(int(UTTERANCE_S * 16000))).astype(np.float32), 16000)
    return Utterance(f"u{index}", null_transcript(audio.pcm), audio)


async def start_null_server_process() -> tuple[Endpoint, subprocess.Popen[bytes]]:
    """The same null server in its own process (its own GIL), for the throughput figure."""
    endpoint = Endpoint("127.0.0.1", free_tcp_port())
    command = [sys.executable, "-m", "wyoming_rt", "serve", "null", "--uri", endpoint.uri]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            await HAEmulator(EmulatorConfig(describe_attempts=1)).describe(endpoint)
            return endpoint, process
        except Exception:
            await anyio.sleep(0.1)
    process.kill()
    raise RuntimeError("the null server process did not start")


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


RoundTrip = Callable[[Utterance], Awaitable[str]]
"""Runs one round trip: "ok" when both answers are this utterance's own, "mixed" when an answer
belongs to something else, "lost" when an answer did not come."""


def wyoming_rt_round_trip(endpoint: Endpoint) -> RoundTrip:
    # Whole clips, as the plain client sends them: like for like. HA's voice detector (the
    # default, endpointing="vad") costs CPU once per clip; it is measured on its own below.
    emulator = HAEmulator(EmulatorConfig(timeout_s=30, endpointing="none"))

    async def one(u: Utterance) -> str:
        result = await round_trip(emulator, u, endpoint, endpoint, tts_streaming=False)
        if result.stt is None or result.tts is None:
            return "lost"
        return "ok" if is_own_null_answer(u.reference, result.stt.text, result.tts.pcm) else "mixed"

    return one


def plain_wyoming_round_trip(endpoint: Endpoint) -> RoundTrip:
    async def one(u: Utterance) -> str:
        try:
            return await attempt(u)
        except (OSError, asyncio.IncompleteReadError):
            return "lost"

    async def attempt(u: Utterance) -> str:
        assert endpoint.host is not None and endpoint.port is not None
        async with AsyncTcpClient(endpoint.host, endpoint.port) as client:
            await client.write_event(Transcribe(language="en").event())
            await client.write_event(AudioStart(16000, 2, 1).event())
            for offset in range(0, len(u.audio.pcm), 320):
                await client.write_event(AudioChunk(16000, 2, 1, u.audio.pcm[offset : offset + 320]).event())
            await client.write_event(AudioStop().event())
            while (event := await client.read_event()) is not None and event.type != "transcript":
                pass
            text = str(event.data.get("text")) if event is not None else ""
        pcm = bytearray()
        async with AsyncTcpClient(endpoint.host, endpoint.port) as client:
            await client.write_event(Synthesize(text=text).event())
            while (event := await client.read_event()) is not None and event.type != "audio-stop":
                if event.type == "audio-chunk":
                    pcm += event.payload or b""
        return "ok" if is_own_null_answer(u.reference, text, bytes(pcm)) else "mixed"

    return one


async def run_many(one: RoundTrip, utterances: list[Utterance], concurrency: int) -> list[str]:
    return await map_limited(one, utterances, concurrency)


async def measure(one: RoundTrip, utterances: list[Utterance], concurrency: int) -> dict[str, float]:
    """CPU of this process and wall time for the round trips, and how many were right."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    outcomes = await run_many(one, utterances, concurrency)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {
        "round_trips": len(utterances),
        "lost": outcomes.count("lost") + len(utterances) - len(outcomes),
        "mixed": outcomes.count("mixed"),
        "cpu_ms_per_round_trip": 1000 * cpu / len(utterances),
        "round_trips_per_s": len(utterances) / wall,
    }


async def run(quick: bool) -> dict[str, object]:
    scale = 10 if quick else 1
    pool = [utterance(i) for i in range(256)]

    def batch(count: int) -> list[Utterance]:
        return [pool[i % len(pool)] for i in range(count)]

    figures: dict[str, object] = {}
    async with run_null_server(reply_seconds=3.0) as endpoint:
        ours, plain = wyoming_rt_round_trip(endpoint), plain_wyoming_round_trip(endpoint)
        await measure(ours, batch(50), 1)  # warm-up both
        await measure(plain, batch(50), 1)
        figures["sequential"] = {
            "wyoming_rt": await measure(ours, batch(500 // scale), 1),
            "plain_wyoming": await measure(plain, batch(500 // scale), 1),
        }
        figures["concurrency_16"] = {
            "wyoming_rt": await measure(ours, batch(3000 // scale), 16),
            "plain_wyoming": await measure(plain, batch(3000 // scale), 16),
        }
        await measure(ours, batch(1000 // scale), 16)  # the allocator reaches its steady state first
        before = rss_mb()
        long_run = await measure(ours, batch(10_000 // scale), 16)
        figures["memory"] = {**long_run, "rss_before_mb": before, "rss_growth_mb": rss_mb() - before}
        figures["sessions_256"] = await measure(ours, pool, 256)
    figures["ha_voice_detector"] = voice_detector_cost(pool[:64])
    remote, process = await start_null_server_process()
    try:
        remote_ours, remote_plain = wyoming_rt_round_trip(remote), plain_wyoming_round_trip(remote)
        await measure(remote_ours, batch(50), 1)
        figures["server_in_own_process"] = {
            "sequential": {
                "wyoming_rt": await measure(remote_ours, batch(500 // scale), 1),
                "plain_wyoming": await measure(remote_plain, batch(500 // scale), 1),
            },
            "concurrency_16": {
                "wyoming_rt": await measure(remote_ours, batch(3000 // scale), 16),
                "plain_wyoming": await measure(remote_plain, batch(3000 // scale), 16),
            },
        }
    finally:
        process.terminate()
    return figures


def voice_detector_cost(utterances: list[Utterance]) -> dict[str, float]:
    """CPU of HA's voice detector (pymicro-vad + the segmenter) over clips it has not seen: the
    emulator runs it once per clip (`end_of_speech_cached`) when ``endpointing="vad"``."""
    started = time.process_time()
    for u in utterances:
        end_of_speech(u.audio)
    cpu_s = time.process_time() - started
    audio_s = sum(u.audio.duration_s for u in utterances)
    return {
        "clips": len(utterances),
        "cpu_ms_per_clip": cpu_s * 1000 / len(utterances),
        "cpu_ms_per_audio_s": cpu_s * 1000 / audio_s,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts, for a smoke run")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()
    figures = asyncio.run(run(args.quick))
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

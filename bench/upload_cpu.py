"""CPU cost of uploading audio the HA way (10 ms chunks), as a multiple of real time.

    python bench/upload_cpu.py [--seconds 3] [--uploads 200]

Starts bench/null_server.py in its own process, then uploads the same utterance
``--uploads`` times, one at a time, with (a) wyoming_rt's HAEmulator and (b) the plain
``wyoming`` AsyncTcpClient writing one event per chunk (what HA itself runs). Reports, for
each, audio seconds uploaded per CPU second of this process (the real-time multiple) and
per wall-clock second. Both are measured in the same run, on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from wyoming.asr import Transcribe
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient

from wyoming_rt.emulator import HAEmulator
from wyoming_rt.endpoint import Endpoint, free_tcp_port
from wyoming_rt.pcm import from_float
from wyoming_rt.records.audio import PcmAudio


def speech_like(seconds: float) -> PcmAudio:
    rng = np.random.default_rng(0)
    return from_float((0.1 * rng.standard_normal(int(seconds * 16000))).astype(np.float32), 16000)


async def emulator_uploads(endpoint: Endpoint, audio: PcmAudio, uploads: int) -> None:
    emulator = HAEmulator()
    for _ in range(uploads):
        await emulator.transcribe(endpoint, audio)


async def wyoming_client_uploads(endpoint: Endpoint, audio: PcmAudio, uploads: int) -> None:
    for _ in range(uploads):
        async with AsyncTcpClient(endpoint.host, endpoint.port) as client:
            await client.write_event(Transcribe(language="en").event())
            await client.write_event(AudioStart(16000, 2, 1).event())
            for offset in range(0, len(audio.pcm), 320):
                await client.write_event(AudioChunk(16000, 2, 1, audio.pcm[offset : offset + 320]).event())
            await client.write_event(AudioStop().event())
            while (event := await client.read_event()) is not None and event.type != "transcript":
                pass


def measure(run, endpoint: Endpoint, audio: PcmAudio, uploads: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    asyncio.run(run(endpoint, audio, 3))  # warm-up
    cpu0, wall0 = time.process_time(), time.perf_counter()
    asyncio.run(run(endpoint, audio, uploads))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    audio_s = audio.duration_s * uploads
    return audio_s / cpu, audio_s / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of the utterance (default 3)")
    parser.add_argument("--uploads", type=int, default=200, help="uploads per client (default 200)")
    args = parser.parse_args()

    port = free_tcp_port()
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("null_server.py")), str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        endpoint = Endpoint("127.0.0.1", port)
        audio = speech_like(args.seconds)
        ours_cpu, ours_wall = measure(emulator_uploads, endpoint, audio, args.uploads)
        plain_cpu, plain_wall = measure(wyoming_client_uploads, endpoint, audio, args.uploads)
    finally:
        server.terminate()
        server.wait()

    chunks = int(np.ceil(len(audio.pcm) / 320))
    print(f"utterance: {args.seconds:g} s = {chunks} chunks of 10 ms; {args.uploads} uploads per client")
    print(f"{'client':<28}{'x real time (CPU)':>20}{'x real time (wall)':>20}{'CPU us/chunk':>14}")
    for name, cpu_x, wall_x in (
        ("wyoming_rt HAEmulator", ours_cpu, ours_wall),
        ("wyoming AsyncTcpClient", plain_cpu, plain_wall),
    ):
        print(f"{name:<28}{cpu_x:>20,.0f}{wall_x:>20,.0f}{1e6 * 0.01 / cpu_x:>14.2f}")
    print(f"HAEmulator CPU advantage: {ours_cpu / plain_cpu:.1f}x")


if __name__ == "__main__":
    main()

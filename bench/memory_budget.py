"""Memory under hostile input: the validator against a TTS that never stops streaming, and the
reference TTS server on one enormous unpunctuated sentence.

    python bench/memory_budget.py

1. ``validate --timeout 30`` (the CLI, in its own process) against a scripted TTS that streams
   audio as fast as loopback allows and never sends ``audio-stop``; its peak RSS (``VmHWM``).
2. The reference TTS server (``serve tts``) synthesising one 19,990-character sentence without
   punctuation (under its 20,000-character limit); the server's RSS before, its peak RSS, and
   its RSS after (read once a ``ping`` sent after the request is answered: the request is done).
3. The reference STT server: RSS before and after 30 connections that each upload 15 MiB of a
   payload and then go away (abandoned partial uploads).
4. The connection budget, on the same TTS server: 64 connections held open, then 500 more;
   how many of those are answered ``busy``, whether the 64 still answer ``describe``, and RSS.

Prints one Markdown table with the figures and the targets of the hostile-input issue.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
from anyio.abc import ByteStream, SocketStream
from wyoming.audio import AudioChunk, AudioStart
from wyoming.info import Describe
from wyoming.ping import Ping
from wyoming.tts import Synthesize

from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.endpoint import Endpoint, connect, free_tcp_port
from wyoming_rt.servers.base import MAX_CONNECTIONS
from wyoming_rt.wire import EventReader, encode_event


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not found")


async def endless_tts(stream: SocketStream) -> None:
    from wyoming.info import Attribution, Info, TtsProgram, TtsVoice

    attribution = Attribution(name="x", url="")
    info = Info(
        tts=[
            TtsProgram(
                "endless", attribution, True, None, None, voices=[TtsVoice("v", attribution, True, None, None, languages=["en"])]
            )
        ]
    )
    reader = EventReader(stream)
    received = await reader.read()
    if received is None:
        return
    if received.type == "describe":
        await stream.send(encode_event(info.event()))
        return
    chunk = encode_event(AudioChunk(22050, 2, 1, bytes(44_100)).event())
    try:
        await stream.send(encode_event(AudioStart(22050, 2, 1).event()))
        while True:
            await stream.send(chunk * 8)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError, ConnectionError):
        pass  # the validator gave up (its watchdog): that is the point


async def validator_peak_mb() -> float:
    port = free_tcp_port()
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, endless_tts)
        with tempfile.TemporaryDirectory() as tmp:
            process = await anyio.open_process(
                [sys.executable, "-c", _PEAK_WRAPPER, "validate", "--tts", f"127.0.0.1:{port}", "--timeout", "30",
                 "--no-probes", "--no-negatives", "--no-back-wer", "--concurrency", "0", "--corpus", _small_corpus(Path(tmp))],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )  # fmt: skip
            async with process:
                await process.wait()
                assert process.stderr is not None
                err = (await process.stderr.receive(1 << 20)).decode(errors="replace")
        tg.cancel_scope.cancel()
    peak = [line for line in err.splitlines() if line.startswith("PEAK_KB ")]
    return int(peak[-1].split()[1]) / 1024


_PEAK_WRAPPER = """
import resource, sys
from wyoming_rt.cli import main
try:
    code = main(sys.argv[1:])
finally:
    print("PEAK_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def _small_corpus(directory: Path) -> str:
    from wyoming_rt.corpus import bundled_corpus_dir

    wavs = sorted(bundled_corpus_dir().glob("*.wav"))[:2]
    for wav in wavs:
        (directory / wav.name).write_bytes(wav.read_bytes())
        (directory / wav.with_suffix(".txt").name).write_bytes(wav.with_suffix(".txt").read_bytes())
    return str(directory)


def start_server(role: str) -> tuple[subprocess.Popen[bytes], Endpoint]:
    port = free_tcp_port()
    process = subprocess.Popen([sys.executable, "-m", "wyoming_rt", "serve", role, "--uri", f"tcp://127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    endpoint = Endpoint("127.0.0.1", port)

    async def ready() -> None:
        emulator = HAEmulator(EmulatorConfig(describe_attempts=1, describe_timeout_s=2))
        for _ in range(600):
            try:
                await emulator.describe(endpoint)
                return
            except Exception:
                await anyio.sleep(0.2)

    anyio.run(ready)
    return process, endpoint


def tts_server_figures() -> tuple[tuple[float, float, float], tuple[int, int, bool, float, float]]:
    """Section 2 (RSS before, peak, after) and section 4 (the connection budget), one server."""
    process, endpoint = start_server("tts")
    try:
        before = rss_kb(process.pid) / 1024
        text = " ".join(["lights"] * 2855)[:19_990]

        async def speak() -> None:
            with anyio.fail_after(1800):
                async with await anyio.connect_tcp("127.0.0.1", endpoint.port or 0) as stream:
                    await stream.send(encode_event(Synthesize(text=text).event()) + encode_event(Ping().event()))
                    reader = EventReader(stream)
                    while (received := await reader.read()) is not None and received.type != "pong":
                        pass

        started = time.perf_counter()
        anyio.run(speak)
        print(f"19,990-character sentence synthesised in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        memory = before, rss_kb(process.pid, "VmHWM") / 1024, rss_kb(process.pid) / 1024
        return memory, anyio.run(connection_budget_figures, endpoint, process.pid)
    finally:
        process.terminate()
        process.wait()


async def describe_reply(stream: ByteStream) -> str:
    """``info``, ``error:CODE``, or ``closed``: what a ``describe`` on ``stream`` gets."""
    await stream.send(encode_event(Describe().event()))
    received = await EventReader(stream).read()
    if received is None:
        return "closed"
    return received.type if received.type != "error" else f"error:{received.event.data.get('code')}"


async def connection_budget_figures(endpoint: Endpoint, pid: int, extra: int = 500) -> tuple[int, int, bool, float, float]:
    """Hold `MAX_CONNECTIONS` connections open, then open ``extra`` more one by one: how many are
    answered ``busy``, whether the held ones still describe, RSS before and after."""
    before = rss_kb(pid) / 1024
    with anyio.fail_after(600):
        held = [await connect(endpoint, 5.0) for _ in range(MAX_CONNECTIONS)]
        try:
            assert {await describe_reply(s) for s in held} == {"info"}
            busy = 0
            for _ in range(extra):
                async with await connect(endpoint, 5.0) as stream:
                    busy += await describe_reply(stream) == "error:busy"
            served = {await describe_reply(s) for s in held} == {"info"}
            after = rss_kb(pid) / 1024
        finally:
            for s in held:
                await s.aclose()
    return busy, extra, served, before, after


def stt_server_figures() -> tuple[float, float]:
    process, endpoint = start_server("stt")
    try:
        before = rss_kb(process.pid) / 1024
        data = b'{"rate": 16000, "width": 2, "channels": 1}'
        header = f'{{"type": "audio-chunk", "data_length": {len(data)}, "payload_length": {16 << 20}}}\n'.encode()
        partial = header + data  # a 16 MiB payload announced, 15 MiB of it sent, then the client goes away

        async def abandon() -> None:
            async def one() -> None:
                async with await anyio.connect_tcp("127.0.0.1", endpoint.port or 0) as stream:
                    await stream.send(partial + bytes(15 << 20))
                    await anyio.sleep(1.0)

            async with anyio.create_task_group() as tg:
                for _ in range(30):
                    tg.start_soon(one)

        anyio.run(abandon)
        time.sleep(2.0)
        return before, rss_kb(process.pid) / 1024
    finally:
        process.terminate()
        process.wait()


def main() -> None:
    validator_mb = anyio.run(validator_peak_mb)
    (tts_before, tts_peak, tts_after), (busy, extra, served, conn_before, conn_after) = tts_server_figures()
    stt_before, stt_after = stt_server_figures()
    print("| figure | measured | target |")
    print("|---|---:|---|")
    print(f"| validate peak RSS, TTS streaming without end, --timeout 30 | {validator_mb:.0f} MB | < 300 MB |")
    print(
        f"| reference TTS server peak RSS, one 19,990-character unpunctuated sentence | {tts_peak:.0f} MB (idle {tts_before:.0f} MB) | < 600 MB |"
    )
    print(
        f"| reference TTS server RSS after that sentence | {tts_after:.0f} MB (before {tts_before:.0f} MB, {tts_after - tts_before:+.0f} MB) | within 100 MB of before |"
    )
    print(
        f"| reference TTS server with {MAX_CONNECTIONS} connections open: {extra} more answered `busy` | {busy} of {extra}; the {MAX_CONNECTIONS} {'still' if served else 'no longer'} served; RSS {conn_before:.0f} -> {conn_after:.0f} MB | all, and still served |"
    )
    print(
        f"| reference STT server RSS after 30 abandoned 15 MiB partial uploads | {stt_after:.0f} MB (before {stt_before:.0f} MB, +{stt_after - stt_before:.0f} MB) | within 50 MB of before |"
    )


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()

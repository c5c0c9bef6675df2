"""TTS fed by an LLM: from the first delta to the first audible audio, ours against upstream.

    python bench/llm_tts.py [--before DIR] [--rounds 2] [--tokens-per-s 20] [--out docs/llm_tts.json]

Ten fixed multi-sentence answers (2-4 sentences, like an LLM's smart-home answers) are streamed
as Home Assistant streams an LLM's answer (`wyoming_rt.llm_stream.ha_tts_chunks`: token-sized
deltas at ``--tokens-per-s``, the first 60 characters grouped) into each server, one request at
a time, the servers taking turns (each answer starts with the next server), each as a child
process on loopback:

- ``ours``: ``python -m wyoming_rt serve tts`` from this checkout;
- ``before``: the same from ``--before DIR``, an older checkout of the package (e.g. ``git
  archive f8d0e5a wyoming_rt | tar -x -C DIR``), when given;
- ``upstream``: wyoming-piper 2.5.2, which advertises ``supports_synthesize_streaming``.

All on the same voice (Piper en_US-joe-medium). Per request: the first audible audio, measured
as the validator measures it (`checks.timing.stream_timing` with the leading silence of
`checks.audio_quality.analyse`), from ``synthesize-start``, written when the LLM's first delta
is; the end (``synthesize-stopped``); how long after the last delta the end came; and the
longest break a listener would hear playing the audio as it arrives (`checks.timing.longest_stall_s`).
Prints a Markdown table (P50/P95 over all requests, ratios) and writes every figure to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
import numpy as np

from wyoming_rt.checks.audio_quality import analyse
from wyoming_rt.checks.timing import longest_stall_s, stream_timing
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.endpoint import Endpoint, free_tcp_port
from wyoming_rt.llm_stream import ha_tts_chunks
from wyoming_rt.servers.process import run_server, wait_until_ready
from wyoming_rt.servers.upstream import piper_argv

ANSWERS = [
    "The front door is locked and the alarm is armed, so the house is secure for the night. The living room lights "
    "are still on, though; would you like me to turn them off?",
    "Right now it is 14 degrees outside with a light breeze from the west, and the forecast says it will stay dry "
    "until this evening. Tomorrow looks warmer, with a high of 19 degrees. If you are heading out later, a light "
    "jacket should be enough.",
    "I have turned off all six lights on the ground floor, including the kitchen spotlights and the lamp by the sofa. "
    "The upstairs hallway light is still on because it is part of the night routine.",
    "Your washing machine finished about twenty minutes ago. The dryer is still running and should be done in roughly "
    "35 minutes. Do you want me to remind you when it finishes?",
    "The thermostat in the living room is set to 21 degrees, but the room is currently at 19.5 degrees because the "
    "window in the study has been open for a while. I would suggest closing it first. Then the heating can catch up "
    "within half an hour.",
    "Sure! I have set a timer for 12 minutes for the pasta. I will let you know when it is done.",
    "Over the last 24 hours your solar panels produced 18.4 kilowatt hours, which is about 30 percent more than "
    "yesterday. The battery is at 85 percent and the house is currently drawing power from it rather than from the grid.",
    "The back garden camera detected motion at 3:15 this morning, but the recording shows only a fox crossing the "
    "lawn. No doors or windows were opened during the night, and the alarm stayed armed the whole time.",
    "Good morning. Your first meeting today is at 9:30 with the design team, followed by a dentist appointment at 2 "
    "in the afternoon. Traffic to the city centre is light right now, so leaving at 8:45 should give you plenty of "
    "time. Would you like me to start the coffee machine?",
    "The humidity in the bathroom is at 78 percent after your shower, so I have switched on the extractor fan for the "
    "next 20 minutes. It will turn off automatically once the humidity drops below 60 percent.",
]


def server_argvs(port: dict[str, int], work: Path, before: Path | None) -> dict[str, tuple[list[str], dict[str, str]]]:
    ours = [sys.executable, "-P", "-m", "wyoming_rt", "serve", "tts", "--uri"]  # -P: PYTHONPATH, not the working directory
    here = str(Path(__file__).resolve().parents[1])
    servers = {"ours": ([*ours, f"tcp://127.0.0.1:{port['ours']}"], {"PYTHONPATH": here})}
    if before is not None:
        servers["before"] = ([*ours, f"tcp://127.0.0.1:{port['before']}"], {"PYTHONPATH": str(before)})
    data = work / "piper-data"
    data.mkdir(exist_ok=True)
    servers["upstream"] = (piper_argv(port["upstream"], data), {})
    return servers


def first_sentence_s(text: str, tokens_per_s: float) -> float:
    """When the first sentence's last character was written."""
    end = min(i for i in (text.find(". "), text.find("! "), text.find("? "), len(text) - 1) if i >= 0) + 1
    sent = 0
    for chunk in ha_tts_chunks(text, tokens_per_s):
        sent += len(chunk.text)
        if sent >= end:
            return chunk.at_s
    return ha_tts_chunks(text, tokens_per_s)[-1].at_s


async def one_request(endpoint: Endpoint, text: str, tokens_per_s: float) -> dict[str, Any]:
    chunks = ha_tts_chunks(text, tokens_per_s)
    result = await HAEmulator(EmulatorConfig(timeout_s=120.0)).synthesize(endpoint, text, streaming=True, chunks=chunks)
    audio = result.audio
    assert audio is not None and audio.pcm, f"no audio from {endpoint}"
    quality = await anyio.to_thread.run_sync(analyse, audio, text)
    bytes_per_s = audio.rate_hz * audio.frame_bytes
    timing = stream_timing(result.trace, quality.leading_silence_s, bytes_per_s)
    last_delta_s = chunks[-1].at_s
    return {
        "chars": len(text),
        "chunks": len(chunks),
        "first_chunk_written_s": round(chunks[0].at_s, 3),
        "first_sentence_written_s": round(first_sentence_s(text, tokens_per_s), 3),
        "last_delta_s": round(last_delta_s, 3),
        "first_audible_s": None if timing.first_audible_s is None else round(timing.first_audible_s, 3),
        "total_s": round(result.total_s, 3),
        "after_last_delta_s": round(result.total_s - last_delta_s, 3),
        "audio_s": round(audio.duration_s, 3),
        "longest_stall_s": round(longest_stall_s(result.trace, bytes_per_s), 3),
        "audio_findings": [f.rule for f in quality.findings],
    }


def summary(requests: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"n": len(requests)}
    for key in (
        "first_chunk_written_s",
        "first_sentence_written_s",
        "first_audible_s",
        "total_s",
        "after_last_delta_s",
        "longest_stall_s",
    ):
        values = [r[key] for r in requests if r[key] is not None]
        p50, p95 = np.percentile(values, [50, 95])
        out[key] = {"p50": round(float(p50), 3), "p95": round(float(p95), 3), "max": round(max(values), 3)}
    out["audio_s_total"] = round(sum(r["audio_s"] for r in requests), 1)
    out["audio_findings"] = sorted({f for r in requests for f in r["audio_findings"]})
    return out


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


async def measure(before: Path | None, rounds: int, tokens_per_s: float, answers: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="llm-tts-") as tmp:
        work = Path(tmp)
        names = ["ours", "upstream"] + (["before"] if before is not None else [])
        port = {name: free_tcp_port() for name in names}
        argvs = server_argvs(port, work, before)
        async with AsyncExitStack() as stack:
            servers = {}
            for name, (argv, env) in argvs.items():
                endpoint = Endpoint("127.0.0.1", port[name])
                servers[name] = await stack.enter_async_context(
                    run_server(f"tts-{name}", argv, endpoint, log_dir=work, env=env, wait=False)
                )
            for server in servers.values():
                await wait_until_ready(server, 180.0)
            for server in servers.values():  # warm up: upstream loads its voice at the first request
                await one_request(server.endpoint, ANSWERS[0], 1000.0)
            requests: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
            order = list(servers)
            turn = 0
            for round_ in range(rounds):
                for index, text in enumerate(answers):
                    for name in order[turn % len(order) :] + order[: turn % len(order)]:
                        record = await one_request(servers[name].endpoint, text, tokens_per_s)
                        requests[name].append({"round": round_, "answer": index, **record})
                    turn += 1
    return {"requests": requests, "summary": {name: summary(r) for name, r in requests.items()}}


def table(results: dict[str, Any]) -> str:
    s = results["summary"]
    names = [n for n in ("upstream", "before", "ours") if n in s]
    lines = [
        "| measure | " + " | ".join(names) + " | ours / upstream |" + (" ours / before |" if "before" in s else ""),
        "|---|" + "---:|" * (len(names) + 1 + ("before" in s)),
    ]
    rows = [
        ("HA writes its first chunk (60 characters), P50", "first_chunk_written_s", "p50"),
        ("the first sentence is written, P50", "first_sentence_written_s", "p50"),
        ("first audible audio, P50", "first_audible_s", "p50"),
        ("first audible audio, P95", "first_audible_s", "p95"),
        ("end (synthesize-stopped), P50", "total_s", "p50"),
        ("end (synthesize-stopped), P95", "total_s", "p95"),
        ("end after the last delta, P50", "after_last_delta_s", "p50"),
        ("end after the last delta, P95", "after_last_delta_s", "p95"),
        ("longest break in playback, max", "longest_stall_s", "max"),
    ]
    for label, key, stat in rows:
        cells = [f"{s[n][key][stat] * 1000:.0f} ms" for n in names]
        ratios = [_ratio(s["ours"][key][stat], s[other][key][stat]) for other in ("upstream", "before") if other in s]
        if key in ("first_chunk_written_s", "first_sentence_written_s", "longest_stall_s"):
            ratios = ["" for _ in ratios]  # the same text schedule for all; breaks are zero
        lines.append(f"| {label} | " + " | ".join(cells + ratios) + " |")
    return "\n".join(lines)


def _ratio(ours: float, other: float) -> str:
    return f"{ours / other:.2f}x" if other > 0 else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="an older checkout of the package (the directory holding wyoming_rt/)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tokens-per-s", type=float, default=20.0)
    parser.add_argument("--answers", type=int, default=len(ANSWERS), help="the first N answers only (a quick check)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    load_before, started = load_average(), time.time()
    answers = ANSWERS[: args.answers]
    results = anyio.run(measure, args.before, args.rounds, args.tokens_per_s, answers)
    results["run"] = {
        "date": time.strftime("%Y-%m-%d", time.gmtime(started)),
        "answers": len(answers),
        "rounds": args.rounds,
        "tokens_per_s": args.tokens_per_s,
        "seconds": round(time.time() - started, 1),
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\nload average before {results['run']['load_average_before']}, after {results['run']['load_average_after']}")


if __name__ == "__main__":
    main()

"""Our reference servers against the upstream ones, side by side in one run, same model files.

    python bench/reference_vs_upstream.py [--corpus DIR ...] [--out docs/reference_vs_upstream.json]

Both pairs of servers (upstream wyoming-faster-whisper + wyoming-piper, and wyoming-rt's own)
run at once as child processes on the packaged tiny.en and en_US-joe-medium. Latencies are
measured side by side: each request goes to both servers back to back, alternating which
goes first, so that drift in the machine's speed affects both alike.

- STT latency (audio-stop -> transcript) and WER, one utterance at a time, over the bundled
  corpus and every ``--corpus`` directory (e.g. ../shared/corpus/ljspeech32);
- TTS time to first audio and total time on multi-sentence texts (3 rounds), streaming as HA does;
- describe latency (new connection each time, as HA) while two long syntheses and a
  transcription keep the servers busy (one pair at a time);
- round-trip P95 with ``validate`` on the bundled corpus (one pair at a time): the latency phase
  (one round trip at a time) and the concurrency phase at 4 sessions.

Prints a Markdown table of the figures and the ratios ours / upstream.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import anyio

from wyoming_rt.checks.scoring import score_corpus
from wyoming_rt.checks.stats import latency_stats
from wyoming_rt.corpus import load_bundled_corpus, load_corpus
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.endpoint import Endpoint
from wyoming_rt.records.corpus import Corpus
from wyoming_rt.records.errors import WyomingRTError
from wyoming_rt.run.gates import Gates
from wyoming_rt.run.validate import ValidateOptions, validate
from wyoming_rt.servers.reference import run_reference_servers

TTS_TEXTS = [
    "The front door is locked, and the alarm is armed. The living room lights are off.",
    "Good morning! It is 7 degrees outside with light rain. Take an umbrella today.",
    "I have set a timer for 10 minutes. I will let you know when it is done.",
    "The garage door has been open for 20 minutes. Do you want me to close it? Just say the word.",
    "Your next meeting starts at 3 o'clock in the afternoon. It is a call with the design team.",
    "The washing machine has finished its cycle. The dryer still needs about half an hour.",
    "Three lights are on downstairs: the kitchen, the hallway and the porch. Everything upstairs is off.",
    "The thermostat is set to 21 degrees and the heating is on. The humidity in the bedroom is 45 percent.",
]
LOAD_TEXT = " ".join(f"Sentence {i} of a long announcement keeps the speech server busy for a while." for i in range(40))


def _stt_summary(latencies: list[float], refs: list[str], hyps: list[str]) -> dict[str, Any]:
    stats = latency_stats(latencies)
    assert stats is not None
    return {
        "n": len(latencies),
        "p50_ms": stats.p50,
        "p95_ms": stats.p95,
        "mean_ms": stats.mean,
        "wer": score_corpus(refs, hyps).wer,
    }


async def stt_side_by_side(endpoints: dict[str, Endpoint], corpus: Corpus) -> dict[str, dict[str, Any]]:
    """Each utterance goes to both servers back to back (alternating which goes first), so
    drift in the machine's speed affects both alike."""
    emulator = HAEmulator()
    latencies: dict[str, list[float]] = {f: [] for f in endpoints}
    hyps: dict[str, list[str]] = {f: [] for f in endpoints}
    for i, utterance in enumerate(corpus):
        order = list(endpoints) if i % 2 == 0 else list(reversed(endpoints))
        for flavour in order:
            result = await emulator.transcribe(endpoints[flavour], utterance.audio)
            latencies[flavour].append(result.latency_s)
            hyps[flavour].append(result.text)
    refs = [u.reference for u in corpus]
    return {f: _stt_summary(latencies[f], refs, hyps[f]) for f in endpoints}


async def tts_side_by_side(endpoints: dict[str, Endpoint], rounds: int = 3) -> dict[str, dict[str, Any]]:
    emulator = HAEmulator()
    ttfa: dict[str, list[float]] = {f: [] for f in endpoints}
    total: dict[str, list[float]] = {f: [] for f in endpoints}
    for i, text in enumerate(TTS_TEXTS * rounds):
        order = list(endpoints) if i % 2 == 0 else list(reversed(endpoints))
        for flavour in order:
            result = await emulator.synthesize(endpoints[flavour], text, streaming=True)
            assert result.ttfb_s is not None
            ttfa[flavour].append(result.ttfb_s)
            total[flavour].append(result.total_s)
    figures = {}
    for flavour in endpoints:
        a, t = latency_stats(ttfa[flavour]), latency_stats(total[flavour])
        assert a is not None and t is not None
        figures[flavour] = {
            "n": a.count,
            "ttfa_p50_ms": a.p50,
            "ttfa_mean_ms": a.mean,
            "total_p50_ms": t.p50,
            "total_mean_ms": t.mean,
        }
    return figures


async def describe_under_load(stt: Endpoint, tts: Endpoint, busy_audio: Any, rounds: int = 40) -> dict[str, Any]:
    emulator = HAEmulator(EmulatorConfig(timeout_s=120))
    probe = HAEmulator(EmulatorConfig(describe_timeout_s=10.0, describe_attempts=1))
    latencies: list[float] = []
    stop = anyio.Event()

    async def keep_tts_busy() -> None:
        while not stop.is_set():
            await emulator.synthesize(tts, LOAD_TEXT)

    async def keep_stt_busy() -> None:
        while not stop.is_set():
            await emulator.transcribe(stt, busy_audio)

    async with anyio.create_task_group() as tg:
        tg.start_soon(keep_tts_busy)
        tg.start_soon(keep_tts_busy)
        tg.start_soon(keep_stt_busy)
        await anyio.sleep(1.0)
        for i in range(rounds):
            endpoint = tts if i % 2 == 0 else stt
            started = time.perf_counter()
            try:
                await probe.describe(endpoint)
                latencies.append(time.perf_counter() - started)
            except WyomingRTError:
                latencies.append(10.0)
            await anyio.sleep(0.1)
        stop.set()
        tg.cancel_scope.cancel()
    stats = latency_stats(latencies)
    assert stats is not None
    return {
        "n": stats.count,
        "p50_ms": stats.p50,
        "p95_ms": stats.p95,
        "max_ms": stats.max,
        "over_1s": sum(x > 1.0 for x in latencies),
    }


async def round_trip_p95(stt: Endpoint, tts: Endpoint, corpus: Corpus, concurrency: int) -> float:
    """Concurrency 1: the latency phase (one round trip at a time); more: the concurrency phase's own figure."""
    options = ValidateOptions(concurrency=0 if concurrency == 1 else concurrency, gates=Gates(max_wer=None), probes=False)
    report = await validate(stt, tts, corpus, options)
    if concurrency == 1:
        stats = report.summary.latency["round_trip"]
    else:
        assert report.concurrency is not None
        stats = report.concurrency.level.latency["round_trip"]
    assert stats is not None and report.summary.failed == 0
    return stats.p95


async def measure(corpora: dict[str, Corpus]) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {"upstream": {"stt": {}}, "ours": {"stt": {}}}
    bundled = corpora["bundled"]
    async with run_reference_servers("upstream") as upstream, run_reference_servers("ours") as ours:
        stt = {"upstream": upstream.stt.endpoint, "ours": ours.stt.endpoint}
        tts = {"upstream": upstream.tts.endpoint, "ours": ours.tts.endpoint}
        emulator = HAEmulator()
        for flavour in stt:  # warm-up, the same for both
            for utterance in list(bundled)[:2]:
                await emulator.transcribe(stt[flavour], utterance.audio)
            await emulator.synthesize(tts[flavour], TTS_TEXTS[0], streaming=True)
        for name, corpus in corpora.items():
            for flavour, figures in (await stt_side_by_side(stt, corpus)).items():
                results[flavour]["stt"][name] = figures
        for flavour, figures in (await tts_side_by_side(tts)).items():
            results[flavour]["tts"] = figures
        longest = max(bundled, key=lambda u: u.audio.duration_s).audio
        for flavour in stt:  # load must not overlap: one pair at a time
            results[flavour]["describe_under_load"] = await describe_under_load(stt[flavour], tts[flavour], longest)
            results[flavour]["round_trip_p95_ms"] = {
                c: await round_trip_p95(stt[flavour], tts[flavour], bundled, c) for c in (1, 4)
            }
    return results


def ratio(ours: float, upstream: float) -> str:
    return f"{ours / upstream:.2f}x" if upstream else "-"


def table(results: dict[str, dict[str, Any]]) -> str:
    up, us = results["upstream"], results["ours"]
    rows = ["| measure | upstream | wyoming-rt | ours / upstream |", "|---|---:|---:|---:|"]
    for name in up["stt"]:
        a, b = up["stt"][name], us["stt"][name]
        rows.append(
            f"| STT latency P50, {name} ({a['n']} utt.) | {a['p50_ms']:.0f} ms | {b['p50_ms']:.0f} ms | {ratio(b['p50_ms'], a['p50_ms'])} |"
        )
        rows.append(
            f"| STT latency mean, {name} | {a['mean_ms']:.0f} ms | {b['mean_ms']:.0f} ms | {ratio(b['mean_ms'], a['mean_ms'])} |"
        )
        rows.append(f"| WER (normalised), {name} | {a['wer']:.4f} | {b['wer']:.4f} | |")
    for key, label in (("ttfa_mean_ms", "TTS time to first audio, mean"), ("ttfa_p50_ms", "TTS time to first audio, P50"),
                       ("total_mean_ms", "TTS total, mean")):  # fmt: skip
        rows.append(
            f"| {label} ({up['tts']['n']} requests, multi-sentence) | {up['tts'][key]:.0f} ms | {us['tts'][key]:.0f} ms | {ratio(us['tts'][key], up['tts'][key])} |"
        )
    for key in ("p50_ms", "p95_ms", "max_ms"):
        a, b = up["describe_under_load"][key], us["describe_under_load"][key]
        rows.append(f"| describe under load, {key[:-3].upper()} | {a:.0f} ms | {b:.0f} ms | {ratio(b, a)} |")
    a, b = up["describe_under_load"]["over_1s"], us["describe_under_load"]["over_1s"]
    rows.append(
        f"| describe under load, over HA's 1 s timeout | {a} of {up['describe_under_load']['n']} | {b} of {us['describe_under_load']['n']} | |"
    )
    for c in ("1", "4"):
        a, b = up["round_trip_p95_ms"][c], us["round_trip_p95_ms"][c]
        rows.append(f"| round trip P95, concurrency {c} | {a:.0f} ms | {b:.0f} ms | {ratio(b, a)} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", action="append", type=Path, default=[], help="extra corpus directory for STT (repeatable)")
    parser.add_argument("--out", type=Path, help="also write the raw figures as JSON")
    args = parser.parse_args()
    corpora = {"bundled": load_bundled_corpus(), **{d.name: load_corpus(d) for d in args.corpus}}

    results = json.loads(json.dumps(anyio.run(measure, corpora), default=float))  # plain JSON types, string keys
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))


if __name__ == "__main__":
    main()

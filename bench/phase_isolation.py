"""Phase isolation: does anything a run does (probes, the concurrency phase, a previous run)
leak into the latency phase's figures?

    python bench/phase_isolation.py [--out docs/phase_isolation.json]

One pair of embedded reference servers (ours: tiny.en, en_US-joe-medium), the bundled corpus:

1. **One request alone**: each of the first 12 utterances transcribed on an idle STT server
   (0.5 s of quiet before each), after a warm-up: the STT latency a single user meets.
2. Three default ``validate`` runs back to back on the same servers: with probes, without
   probes, with probes again, so that whatever the first run's probes could leave behind
   meets the second run's latency phase.

Prints, in one run, the ratios the "trustworthy verdicts" issue asks for: latency-phase STT
and round-trip P95 with and without probes, the slowest STT request over the median, and the
latency-phase STT P50 over one request alone. Ratios are taken within this one run, so drift
in the machine's speed affects both sides alike.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import anyio

from wyoming_rt.corpus import load_bundled_corpus
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.report.model import Report
from wyoming_rt.run.gates import Gates
from wyoming_rt.run.validate import ValidateOptions, validate
from wyoming_rt.servers.reference import run_reference_servers

ALONE_UTTERANCES = 12
QUIET_S = 0.5


async def stt_alone_ms(endpoint: Any) -> list[float]:
    """STT latency (audio-stop -> transcript) of single requests on an otherwise idle server."""
    emulator = HAEmulator(EmulatorConfig(timeout_s=60))
    utterances = list(load_bundled_corpus())[:ALONE_UTTERANCES]
    for utterance in utterances[:3]:  # warm-up, not measured
        await emulator.transcribe(endpoint, utterance.audio)
    latencies = []
    for utterance in utterances:
        await anyio.sleep(QUIET_S)
        latencies.append((await emulator.transcribe(endpoint, utterance.audio)).latency_s * 1000)
    return latencies


def run_figures(report: Report, wall_s: float) -> dict[str, Any]:
    stt = [ms for u in report.utterances if (ms := u.latency_ms.get("stt")) is not None]
    latency = report.summary.latency
    return {
        "wall_s": round(wall_s, 1),
        "passed": report.passed,
        "findings": sorted({f.rule for f in report.findings}),
        "stt_p50_ms": round(latency["stt"].p50, 1) if latency["stt"] else None,
        "stt_p95_ms": round(latency["stt"].p95, 1) if latency["stt"] else None,
        "round_trip_p95_ms": round(latency["round_trip"].p95, 1) if latency["round_trip"] else None,
        "stt_max_over_median": round(max(stt) / statistics.median(stt), 2) if stt else None,
        "phases": [p.to_dict() for p in report.phases],
    }


async def main(out: Path | None) -> None:
    corpus = load_bundled_corpus()
    runs: dict[str, dict[str, Any]] = {}
    async with run_reference_servers() as servers:
        alone = await stt_alone_ms(servers.stt.endpoint)
        for label, probes in (("probes", True), ("no probes", False), ("probes again", True)):
            started = time.perf_counter()
            report = await validate(
                servers.stt.endpoint, servers.tts.endpoint, corpus, ValidateOptions(probes=probes, gates=Gates(max_wer=0.15))
            )
            runs[label] = run_figures(report, time.perf_counter() - started)
    alone_p50 = statistics.median(alone)
    with_p, without_p = runs["probes"], runs["no probes"]
    figures = {
        "alone_stt_p50_ms": round(alone_p50, 1),
        "runs": runs,
        "stt_p95_with_over_without_probes": round(with_p["stt_p95_ms"] / without_p["stt_p95_ms"], 3),
        "round_trip_p95_with_over_without_probes": round(with_p["round_trip_p95_ms"] / without_p["round_trip_p95_ms"], 3),
        "stt_p50_over_alone": {label: round(r["stt_p50_ms"] / alone_p50, 3) for label, r in runs.items()},
    }
    print("| run | wall s | STT P50 ms | STT P95 ms | round trip P95 ms | slowest STT / median | STT P50 / alone | findings |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for label, r in runs.items():
        print(
            f"| {label} | {r['wall_s']} | {r['stt_p50_ms']} | {r['stt_p95_ms']} | {r['round_trip_p95_ms']} "
            f"| {r['stt_max_over_median']} | {figures['stt_p50_over_alone'][label]} | {', '.join(r['findings']) or 'none'} |"
        )
    print(f"\nOne STT request alone: P50 {alone_p50:.0f} ms over {len(alone)} requests.")
    print(
        f"Latency-phase P95, with probes / without: STT {figures['stt_p95_with_over_without_probes']}, "
        f"round trip {figures['round_trip_p95_with_over_without_probes']}"
    )
    if out is not None:
        out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the figures as JSON")
    anyio.run(main, parser.parse_args().out)

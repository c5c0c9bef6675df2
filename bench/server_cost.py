"""What the reference servers cost: ours against the upstream ones, same model files, one run.

    python bench/server_cost.py [--rounds N] [--out docs/server_cost.json]

Both pairs of servers (upstream wyoming-faster-whisper + wyoming-piper, and wyoming-rt's own)
are started at once as child processes on the packaged tiny.en and en_US-joe-medium, and
``validate`` (no probes; warm-up, latency phase, concurrency phase at 4 sessions) runs on the
bundled corpus against one pair, then the other. Each further round runs the pairs in the
opposite order to the round before, so that drift in the machine's load does not favour one.

The figures are the report's own (``report.resources``): psutil over each server's process tree
every 0.25 s plus a reading at each phase boundary, an idle baseline over 1 s before the first
request, and memory growth over the latency phase. With several rounds, each figure is the
median over the rounds.

Prints one Markdown table, a row per server and the ratios ours / upstream, and warns about
any figure that cannot be right (resident memory below the model's size on disk, no CPU per
request, CPU utilisation above the machine's core count).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

from wyoming_rt.corpus import load_bundled_corpus
from wyoming_rt.records.corpus import Corpus
from wyoming_rt.records.resources import MB, ServerResources
from wyoming_rt.run.gates import Gates
from wyoming_rt.run.validate import ValidateOptions, validate
from wyoming_rt.servers.models import packaged_piper_voice, packaged_whisper_model
from wyoming_rt.servers.reference import ReferenceServers, run_reference_servers

FLAVOURS = ("ours", "upstream")
ROLES = ("stt", "tts")
CONCURRENCY = 4


class UnmeasuredError(RuntimeError):
    """A server's CPU and memory could not be read: the run is worthless."""


def model_size_mb(role: str) -> float:
    """The model's size on disk: the whole CTranslate2 directory (STT), the ONNX voice (TTS)."""
    if role == "stt":
        directory = packaged_whisper_model()
        return sum(f.stat().st_size for f in directory.rglob("*") if f.is_file()) / MB
    return packaged_piper_voice().stat().st_size / MB


async def measure_pair(flavour: str, servers: ReferenceServers, corpus: Corpus) -> dict[str, Any]:
    """One ``validate`` against one pair; each server's resources, without the timeline."""
    stt_pid, tts_pid = servers.stt.process.pid, servers.tts.process.pid
    options = ValidateOptions(
        concurrency=CONCURRENCY, gates=Gates(max_wer=None), probes=False,
        stt_pid=stt_pid, tts_pid=tts_pid, started_pids=(stt_pid, tts_pid),
    )  # fmt: skip
    report = await validate(servers.stt.endpoint, servers.tts.endpoint, corpus, options)
    figures: dict[str, Any] = {}
    for role in ROLES:
        resources: ServerResources | None = report.resources.get(role)
        if resources is None:
            raise UnmeasuredError(f"{flavour} {role.upper()}: the report has no resources for it")
        if resources.unavailable is not None:
            raise UnmeasuredError(f"{flavour} {role.upper()} (pid {resources.pid}): not measured: {resources.unavailable}")
        data = resources.to_dict()
        del data["timeline"]
        data["threads_max"] = max((p.threads_max for p in resources.phases if p.threads_max is not None), default=None)
        figures[role] = data
    failed = [
        {"id": u.id, "errors": [f"{f.rule}: {f.message}" for f in u.findings if f.severity == "error"]}
        for u in report.utterances
        if not u.passed
    ]
    for u in failed:  # the figures still count: the server did the work
        print(f"warning: {flavour}: {u['id']} failed: {'; '.join(u['errors'])}", file=sys.stderr)
    figures["failed_utterances"] = failed
    return figures


async def measure(corpus: Corpus, rounds: int) -> list[dict[str, Any]]:
    """Both pairs at once (the idle pair holds its memory, not the CPU); ours first in odd rounds."""
    results = []
    async with run_reference_servers("upstream") as upstream, run_reference_servers("ours") as ours:
        pairs = {"ours": ours, "upstream": upstream}
        for index in range(rounds):
            order = FLAVOURS if index % 2 == 0 else tuple(reversed(FLAVOURS))
            result: dict[str, Any] = {"order": list(order), "load_average_before": os.getloadavg()[0]}
            for flavour in order:
                result[flavour] = await measure_pair(flavour, pairs[flavour], corpus)
            result["load_average_after"] = os.getloadavg()[0]
            results.append(result)
    return results


def _phase(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next((p for p in data["phases"] if p["phase"] == name), {})


FIGURES: dict[str, Callable[[dict[str, Any]], Any]] = {
    "idle_rss_mb": lambda d: d["idle_rss_mb"],
    "idle_cpu_utilisation": lambda d: d["idle_cpu_utilisation"],
    "rss_after_warm_up_mb": lambda d: d["rss_after_warm_up_mb"],
    "rss_peak_mb": lambda d: d["rss_peak_mb"],
    "memory_growth_mb": lambda d: d["memory_growth_mb"],
    "requests_after_warm_up": lambda d: d["requests_after_warm_up"],
    "latency_cpu_per_request_s": lambda d: _phase(d, "latency").get("cpu_per_request_s"),
    "latency_cpu_per_work_s": lambda d: _phase(d, "latency").get("cpu_per_work_s"),
    "latency_cpu_utilisation": lambda d: _phase(d, "latency").get("cpu_utilisation"),
    "concurrency_cpu_utilisation": lambda d: _phase(d, "concurrency").get("cpu_utilisation"),
    "concurrency_rss_peak_mb": lambda d: _phase(d, "concurrency").get("rss_peak_mb"),
    "threads_max": lambda d: d["threads_max"],
}


def summarise(rounds: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float | None]]]:
    """Each figure of each server: the median over the rounds (the value itself for one round)."""
    summary: dict[str, dict[str, dict[str, float | None]]] = {}
    for flavour in FLAVOURS:
        summary[flavour] = {}
        for role in ROLES:
            figures: dict[str, float | None] = {}
            for key, get in FIGURES.items():
                values = [v for r in rounds if (v := get(r[flavour][role])) is not None]
                figures[key] = statistics.median(values) if values else None
            summary[flavour][role] = figures
    return summary


def implausible(rounds: list[dict[str, Any]]) -> list[str]:
    """Figures that cannot be right, whatever the servers do, in any round: each one worth a look at the sampler."""
    cores = os.cpu_count() or 1
    problems = []
    for number, r in enumerate(rounds, 1):
        for flavour in FLAVOURS:
            for role in ROLES:
                name, data, size = f"round {number}, {flavour} {role.upper()}", r[flavour][role], model_size_mb(role)
                for key in ("idle_rss_mb", "rss_peak_mb"):
                    value = data[key]
                    if value is None or value < size:
                        problems.append(f"{name}: {key} = {value} MB, below the model's {size:.0f} MB on disk")
                if not FIGURES["latency_cpu_per_request_s"](data):
                    problems.append(f"{name}: no CPU per request in the latency phase")
                for phase in data["phases"]:
                    utilisation = phase["cpu_utilisation"]
                    if utilisation is not None and utilisation > cores:
                        problems.append(
                            f"{name}: CPU utilisation {utilisation:.2f} in the {phase['phase']} phase "
                            f"({phase['cpu_s']} CPU-s over {phase['wall_s']} s), above the {cores} cores"
                        )
    return problems


def _f(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def ratio(ours: float | None, upstream: float | None) -> str:
    return f"{ours / upstream:.2f}x" if ours is not None and upstream else "-"


def table(summary: dict[str, dict[str, dict[str, float | None]]]) -> str:
    rows = [
        "| server | idle RSS (MB) | RSS after warm-up (MB) | peak RSS (MB) | memory growth (MB) | latency: CPU-s / request "
        "| latency: CPU-s / s of audio or speech | latency: CPU utilisation | concurrency: CPU utilisation "
        "| concurrency: peak RSS (MB) | threads max |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for role in ROLES:
        for flavour in FLAVOURS:
            f = summary[flavour][role]
            requests = f["requests_after_warm_up"]
            growth = _f(f["memory_growth_mb"], 1) + (f" over {requests:.0f}" if requests is not None else "")
            rows.append(
                f"| {flavour} {role.upper()} | {_f(f['idle_rss_mb'], 0)} | {_f(f['rss_after_warm_up_mb'], 0)} "
                f"| {_f(f['rss_peak_mb'], 0)} | {growth} "
                f"| {_f(f['latency_cpu_per_request_s'], 3)} | {_f(f['latency_cpu_per_work_s'], 3)} "
                f"| {_f(f['latency_cpu_utilisation'], 2)} | {_f(f['concurrency_cpu_utilisation'], 2)} "
                f"| {_f(f['concurrency_rss_peak_mb'], 0)} | {_f(f['threads_max'], 0)} |"
            )
        ours, up = summary["ours"][role], summary["upstream"][role]
        rows.append(
            f"| {role.upper()} ours / upstream | | | {ratio(ours['rss_peak_mb'], up['rss_peak_mb'])} | "
            f"| {ratio(ours['latency_cpu_per_request_s'], up['latency_cpu_per_request_s'])} | | | | | |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--rounds", type=int, default=1, help="validate each pair this many times, alternating the order (default: 1)"
    )
    parser.add_argument("--out", type=Path, help="also write the raw figures as JSON")
    args = parser.parse_args()
    corpus = load_bundled_corpus()

    try:
        rounds = anyio.run(measure, corpus, max(1, args.rounds))
    except UnmeasuredError as exc:
        sys.exit(f"error: {exc}")
    summary = summarise(rounds)
    problems = implausible(rounds)
    if args.out:
        results = {
            "corpus": corpus.name,
            "concurrency": CONCURRENCY,
            "cores": os.cpu_count(),
            "model_size_mb": {role: round(model_size_mb(role), 1) for role in ROLES},
            "summary": summary,
            "implausible": problems,
            "rounds": rounds,
        }
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(summary))
    for problem in problems:
        print(f"implausible: {problem}", file=sys.stderr)


if __name__ == "__main__":
    main()

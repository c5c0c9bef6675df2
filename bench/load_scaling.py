"""Round trips per second against the null server, from one process and from Ray actors.

    python bench/load_scaling.py [--quick] [--rounds 3] [--out docs/load_scaling.json]

The null server runs in its own process (`python -m wyoming_rt serve null`), so what limits the
rate is the client side. Measured in one run, side by side, with the round trip of
`bench/harness_overhead.py` (a 3 s utterance uploaded HA-style in 10 ms chunks, then 3 s of
22.05 kHz audio back; whole clips, ``endpointing="none"``):

- one process: the single-machine load runner (`run.load`, the default of `validate`);
- Ray, a local cluster on this machine (`--ray local`), with 1 and with 2 actors.

For each: a closed-model level of 16 sessions (the most the client can send; the sessions are
dealt out to the actors) and an open-model level at a fixed rate (what the latency looks like at
the same offered load). The CPU figures are the whole machine's (user + system over every core,
from /proc/stat via psutil): client, server and Ray together, per round trip and in cores busy
over the level's own time (a Ray level starts after a 2 s barrier). Every answer is checked
against its own request (``mixed``). The three run side by side in each round; the figures
are each round's and their medians.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import psutil
import ray
from harness_overhead import start_null_server_process, utterance

from wyoming_rt.checks.load_stats import LevelResult
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.endpoint import Endpoint
from wyoming_rt.run.load import Target, local_runner
from wyoming_rt.run.ray_load import RaySettings, ray_runner

SESSIONS = 16
OPEN_RATE_PER_S = 150.0


def busy_cpu_s() -> float:
    times = psutil.cpu_times()
    return times.user + times.system + getattr(times, "nice", 0.0)


async def measured(run: Callable[[], Awaitable[LevelResult]]) -> dict[str, Any]:
    cpu0 = busy_cpu_s()
    level = await run()
    cpu = busy_cpu_s() - cpu0
    rt = level.latency["round_trip"]
    return {
        "round_trips": level.round_trips,
        "errors": level.errors,
        "mixed": level.mixed,
        "round_trips_per_s": round(level.throughput_per_s, 1),
        "round_trip_p50_ms": round(rt.p50, 2) if rt else None,
        "round_trip_p95_ms": round(rt.p95, 2) if rt else None,
        "round_trip_p99_ms": round(rt.p99, 2) if rt else None,
        "machine_cpu_ms_per_round_trip": round(1000 * cpu / max(1, level.round_trips), 3),
        "machine_cores_busy": round(cpu / level.wall_s, 2),  # over the level, not Ray's start barrier
    }


async def scenario(factory: Any, endpoint: Endpoint, count: int, open_s: float) -> dict[str, Any]:
    pool = [utterance(i) for i in range(64)]
    emulator = HAEmulator(EmulatorConfig(timeout_s=30, endpointing="none"))
    async with factory(emulator, pool, Target(endpoint, endpoint, False)) as runner:
        await runner.closed(concurrency=SESSIONS, count=max(64, count // 10))  # warm-up
        closed = await measured(lambda: runner.closed(concurrency=SESSIONS, count=count))
        open_ = await measured(lambda: runner.open(rate_per_s=OPEN_RATE_PER_S, duration_s=open_s))
        per_actor = dict(runner.settings.get("ray", {}).get("round_trips_per_actor", {}))
    return {f"closed_{SESSIONS}_sessions": closed, f"open_{OPEN_RATE_PER_S:g}_per_s": open_, "round_trips_per_actor": per_actor}


async def run(quick: bool, rounds: int) -> dict[str, Any]:
    count, open_s = (600, 2.0) if quick else (3000, 8.0)
    endpoint, process = await start_null_server_process()
    figures: dict[str, Any] = {"cpus": os.cpu_count(), "ray": ray.__version__, "rounds": []}
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    try:
        for _ in range(rounds):  # the three side by side in each round, so that the machine's drift hits all alike
            figures["rounds"].append(
                {
                    "one_process": await scenario(local_runner, endpoint, count, open_s),
                    "ray_1_actor": await scenario(ray_runner(RaySettings("local", 1)), endpoint, count, open_s),
                    "ray_2_actors": await scenario(ray_runner(RaySettings("local", 2)), endpoint, count, open_s),
                }
            )
    finally:
        ray.shutdown()
        process.terminate()
    figures["median"] = medians(figures["rounds"])
    return figures


def medians(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the rounds, per way of sending and level."""
    out: dict[str, Any] = {}
    for way, levels in rounds[0].items():
        for level, values in levels.items():
            if isinstance(values, dict) and level != "round_trips_per_actor":
                out.setdefault(way, {})[level] = {
                    key: statistics.median(r[way][level][key] for r in rounds)
                    for key, value in values.items()
                    if isinstance(value, (int, float))
                }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts, for a smoke run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the three, side by side (default 3)")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()
    figures = asyncio.run(run(args.quick, args.rounds))
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What the command line costs before it does anything: CPU and wall time of ``--help`` and
``--version``, which build the argument parser and exit.

    python bench/cli_startup.py [--runs 10]

Runs each command line ``--runs`` times as a child process of this Python (``python -m
wyoming_rt ...``, the package this interpreter imports) and reports, per command line, the
median and the best user+system CPU of the child (`resource.getrusage` ``RUSAGE_CHILDREN``
before and after each run) and the median wall time, as a Markdown table. ``python -c pass``
is the floor: what the interpreter costs on its own.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time

COMMANDS: tuple[tuple[str, list[str]], ...] = (
    ("python -c pass (floor)", ["-c", "pass"]),
    ("validate --help", ["-m", "wyoming_rt", "validate", "--help"]),
    ("--version", ["-m", "wyoming_rt", "--version"]),
    ("rules --help", ["-m", "wyoming_rt", "rules", "--help"]),
    ("serve stt --help", ["-m", "wyoming_rt", "serve", "stt", "--help"]),
)


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(args: list[str], runs: int) -> tuple[list[float], list[float]]:
    """CPU seconds (user+system) and wall seconds of each of ``runs`` runs of ``python args``."""
    cpu, wall = [], []
    for _ in range(runs):
        cpu_before, since = _children_cpu_s(), time.perf_counter()
        subprocess.run([sys.executable, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall.append(time.perf_counter() - since)
        cpu.append(_children_cpu_s() - cpu_before)
    return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per command line (default 10)")
    args = parser.parse_args()
    print(f"{args.runs} runs each, {sys.executable}\n")
    print("| command | CPU median (ms) | CPU best (ms) | wall median (ms) |")
    print("|---|---:|---:|---:|")
    for name, command in COMMANDS:
        cpu, wall = measure(command, args.runs)
        print(
            f"| `{name}` | {statistics.median(cpu) * 1000:.0f} | {min(cpu) * 1000:.0f} | {statistics.median(wall) * 1000:.0f} |"
        )


if __name__ == "__main__":
    main()

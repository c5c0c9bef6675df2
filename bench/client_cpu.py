"""Client CPU per second of audio: what `validate` itself spends while it measures a server.

    python bench/client_cpu.py [--corpus DIR] [--stt URI --tts URI] [--out docs/client_cpu.json]

Starts the upstream servers (wyoming-faster-whisper and wyoming-piper on the packaged tiny.en
and en_US-joe-medium) in their own processes, unless ``--stt``/``--tts`` name running ones.
Then runs ``python -m wyoming_rt validate --no-probes`` on the corpus (default:
../shared/corpus/ljspeech32) as a child process, once per variant, and takes the child's CPU
time (user + system, ``getrusage(RUSAGE_CHILDREN)``: what ``/usr/bin/time`` reports):

- ``default, cold cache``: default options apart from ``--no-probes``, an empty cache directory
  (HA's voice detector runs over every clip);
- ``default, warm cache``: the same again, the voice detector's plans now cached;
- ``--no-back-wer``: warm, without transcribing the TTS answers back;
- ``--endpointing none``: whole clips sent, HA's voice detector not used at all;
- ``validate --help``: the command's start-up alone.

For each run it also reads the report's ``client_cpu_s`` of the measured phases (warm-up,
latency, concurrency): the CPU the harness spent while servers were being measured, per second
of audio and as a share of one core over those phases' wall time.

Then the breakdown, measured in this process on the same corpus and the answers of one run:
HA's voice detector (the plans), reading the corpus, the audio analysis of the answers and the
scoring. CPU seconds are divided by the corpus's seconds of audio. The servers' own CPU is not
counted: they are other processes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

from wyoming_rt.checks.audio_quality import analyse
from wyoming_rt.checks.scoring import normalize, score_corpus
from wyoming_rt.corpus import load_corpus
from wyoming_rt.endpoint import Endpoint, parse_endpoint
from wyoming_rt.endpointing import plan_all
from wyoming_rt.run.validate import ValidateOptions, validate
from wyoming_rt.servers.reference import run_reference_servers

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "ljspeech32"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def command_cpu(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """CPU seconds and wall seconds of one child command, and its exit code."""
    before, started = children_cpu(), time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return children_cpu() - before, time.perf_counter() - started, done.returncode


MEASURED = ("warm-up", "latency", "concurrency")


def measured_phases(report_path: Path) -> tuple[float, float]:
    """The client CPU and the wall time of the measured phases, from a report's phases."""
    phases = [p for p in json.loads(report_path.read_text())["phases"] if p["name"] in MEASURED]
    return sum(p["client_cpu_s"] for p in phases), sum(p["wall_s"] for p in phases)


def thread_cpu(work: Any) -> float:
    started = time.thread_time()
    work()
    return time.thread_time() - started


async def breakdown(stt: Endpoint, tts: Endpoint, corpus_dir: Path, audio_s: float, cache_dir: str) -> dict[str, float]:
    """Per-component CPU per second of audio, each measured on its own in this process."""
    figures: dict[str, float] = {}
    loaded: list[Any] = []
    figures["read the corpus (decode, resample to 16 kHz)"] = thread_cpu(lambda: loaded.append(load_corpus(corpus_dir)))
    corpus = loaded[0]
    os.environ["WYOMING_RT_CACHE_DIR"] = "off"  # the detector's full cost, as on a first run
    figures["HA's voice detector over every clip (cold cache only)"] = thread_cpu(lambda: plan_all(u.audio.pcm for u in corpus))
    os.environ["WYOMING_RT_CACHE_DIR"] = cache_dir
    report = await validate(stt, tts, corpus, ValidateOptions(probes=False, concurrency=0, negatives=False))
    answers = [(u.transcript, report.audio[u.id]) for u in report.utterances if u.id in report.audio]
    figures["audio analysis of the answers"] = thread_cpu(lambda: [analyse(audio, text) for text, audio in answers])
    references = [u.reference for u in report.utterances]
    transcripts = [u.transcript or "" for u in report.utterances]
    normalize.cache_clear()
    figures["scoring (normalise, WER, CER)"] = thread_cpu(lambda: score_corpus(references, transcripts))
    return {name: seconds / audio_s for name, seconds in figures.items()}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--stt", help="a running STT server (default: start upstream wyoming-faster-whisper)")
    parser.add_argument("--tts", help="a running TTS server (default: start upstream wyoming-piper)")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()
    corpus = load_corpus(args.corpus)
    audio_s = sum(u.audio.duration_s for u in corpus)

    async def measure(stt: Endpoint, tts: Endpoint) -> dict[str, Any]:
        cache_dir = tempfile.mkdtemp(prefix="wyoming-rt-bench-cache-")
        env = {**os.environ, "WYOMING_RT_CACHE_DIR": cache_dir}
        validate_argv = [
            sys.executable, "-m", "wyoming_rt", "validate", "--stt", stt.uri, "--tts", tts.uri,
            "--corpus", str(args.corpus), "--no-probes", "--quiet",
        ]  # fmt: skip
        variants = {
            "default, cold cache": validate_argv,
            "default, warm cache": validate_argv,
            "--no-back-wer, warm cache": [*validate_argv, "--no-back-wer"],
            "--endpointing none (no voice detector)": [*validate_argv, "--endpointing", "none"],
        }
        rows: dict[str, dict[str, float]] = {}
        report_path = Path(cache_dir) / "report.json"
        for name, argv in variants.items():
            cpu_s, wall_s, code = await anyio.to_thread.run_sync(command_cpu, [*argv, "--json", str(report_path)], env)
            phases_cpu_s, phases_wall_s = measured_phases(report_path)
            rows[name] = {
                "cpu_s": cpu_s, "wall_s": wall_s, "cpu_per_audio_s": cpu_s / audio_s, "exit": code,
                "measured_phases_cpu_per_audio_s": phases_cpu_s / audio_s,
                "measured_phases_cpu_share": phases_cpu_s / phases_wall_s,
            }  # fmt: skip
        help_cpu = min([(await anyio.to_thread.run_sync(command_cpu, [*validate_argv[:4], "--help"], env))[0] for _ in range(5)])
        parts = await breakdown(stt, tts, args.corpus, audio_s, cache_dir)
        return {"corpus": str(args.corpus), "utterances": len(corpus), "audio_s": audio_s, "runs": rows,
                "validate_help_cpu_s": help_cpu, "breakdown_cpu_per_audio_s": parts}  # fmt: skip

    if args.stt and args.tts:
        result = await measure(parse_endpoint(args.stt), parse_endpoint(args.tts))
    else:
        async with run_reference_servers("upstream") as servers:
            result = await measure(servers.stt.endpoint, servers.tts.endpoint)

    print(f"corpus {result['corpus']}: {result['utterances']} utterances, {result['audio_s']:.1f} s of audio\n")
    print(
        "| run | client CPU s | wall s | CPU s per audio s | in the measured phases: CPU s per audio s "
        "| in the measured phases: share of one core |\n|---|---|---|---|---|---|"
    )
    for name, row in result["runs"].items():
        print(
            f"| {name} | {row['cpu_s']:.2f} | {row['wall_s']:.1f} | {row['cpu_per_audio_s']:.4f} "
            f"| {row['measured_phases_cpu_per_audio_s']:.4f} | {row['measured_phases_cpu_share']:.1%} |"
        )
    print(f"| `validate --help` (best of 5) | {result['validate_help_cpu_s']:.3f} | | | | |")
    print("\n| component (measured alone) | CPU s per audio s |\n|---|---|")
    for name, value in result["breakdown_cpu_per_audio_s"].items():
        print(f"| {name} | {value:.4f} |")
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    anyio.run(main)

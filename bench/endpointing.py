"""STT latency from audio-stop when the audio arrives in real time and HA's voice detector ends it.

    flock /tmp/r/bench.lock python bench/endpointing.py [--real ../shared/corpus/cathy30] [--out docs/endpointing.json]

Each clip gets 1.5 s of digital silence after it (a microphone keeps recording after the user
stops; HA's pymicro-vad and segmenter end the upload 0.8-1.3 s into it), and goes through ``validate``
at ``--pace realtime`` with HA's endpointing (``endpointing="vad"``, HA 2026.11), one request at a
time (``--concurrency 0 --no-probes --no-back-wer``, no speech-free clips), TTS on the null
server. The STT servers, one at a time on the same model files and 2 CPU threads:

- ``ours``: ``serve stt`` (speculation on, the default);
- ``ours-no-spec``: ``serve stt --no-speculation`` (decodes at audio-stop, as before issue 16);
- ``upstream``: wyoming-faster-whisper 3.8.1;
- ``upstream-vad``: wyoming-faster-whisper ``--vad-endpointing 0.7`` (its info says
  ``requires_external_vad: false``, so HA 2026.11 runs no detector and streams until the
  transcript comes);
- ``ours-server`` (only when named with ``--configs``): ``serve stt --endpointing server``.

Corpora: the bundled one (38 clips) and ``--real`` (default: all 30 clips of
``../shared/corpus/cathy30``, CMU ARCTIC a0001-a0030, real human speech). Figures per corpus and
server: the report's ``stt`` stage (audio-stop written -> transcript read; 0 when the transcript
came first) P50/P95, ``stt_from_speech_end`` P50/P95, transcripts that came before audio-stop,
WER, and for ours the transcripts that differ with and without speculation.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio

from wyoming_rt.corpus import bundled_corpus_dir, load_corpus
from wyoming_rt.endpoint import Endpoint, free_tcp_port
from wyoming_rt.pcm import to_ha_format, wav_bytes
from wyoming_rt.records.audio import PcmAudio
from wyoming_rt.report.model import Report
from wyoming_rt.run.gates import Gates
from wyoming_rt.run.validate import ValidateOptions, validate
from wyoming_rt.servers.null import run_null_server
from wyoming_rt.servers.process import python_module_argv, run_server
from wyoming_rt.servers.upstream import faster_whisper_argv

TRAILING_SILENCE_S = 1.5
"""Enough for HA's detector to end every clip of both corpora (0.8-1.3 s after the clip)."""
CPU_THREADS = "2"
CONFIGS = ("ours", "ours-no-spec", "upstream", "upstream-vad")
OURS_ARGS = {"ours": [], "ours-no-spec": ["--no-speculation"], "ours-server": ["--endpointing", "server"]}


def padded_corpus(source: Path, target: Path, limit: int | None = None) -> Path:
    """``source`` (its first ``limit`` clips) with 1.5 s of silence after each clip, as 16 kHz mono WAV in ``target``."""
    target.mkdir(parents=True)
    for utterance in list(load_corpus(source))[:limit]:
        audio = to_ha_format(utterance.audio)
        silence = bytes(int(TRAILING_SILENCE_S * 16000) * 2)
        (target / f"{utterance.id}.wav").write_bytes(wav_bytes(PcmAudio(audio.pcm + silence, 16000, 2, 1)))
        (target / f"{utterance.id}.txt").write_text(utterance.reference + "\n")
    return target


def server_argv(config: str, port: int, work: Path) -> list[str]:
    if config in OURS_ARGS:
        uri = f"tcp://127.0.0.1:{port}"
        return python_module_argv("wyoming_rt", "serve", "stt", "--uri", uri, "--cpu-threads", CPU_THREADS, *OURS_ARGS[config])
    argv = faster_whisper_argv(port, work / "data")  # --cpu-threads: one per core (2 here)
    return [*argv, "--vad-endpointing", "0.7"] if config == "upstream-vad" else argv


@asynccontextmanager
async def stt_server(config: str, work: Path) -> AsyncIterator[Endpoint]:
    port = free_tcp_port()
    env = {"HF_HUB_OFFLINE": "1"}
    async with run_server(config, server_argv(config, port, work), Endpoint("127.0.0.1", port), log_dir=work, env=env) as server:
        yield server.endpoint


def figures(report: Report) -> dict[str, Any]:
    def stage(name: str) -> dict[str, float | None]:
        stats = report.summary.latency.get(name)
        return {"p50_ms": stats.p50 if stats else None, "p95_ms": stats.p95 if stats else None}

    early = sum(1 for u in report.utterances if u.latency_ms.get("stt") == 0)
    return {
        "n": report.summary.utterances,
        "failed": report.summary.failed,
        "stt": stage("stt"),
        "stt_from_speech_end": stage("stt_from_speech_end"),
        "before_audio_stop": early,
        "wer": report.summary.score.wer,
        "transcripts": {u.id: u.transcript for u in report.utterances},
        "stt_ms": {u.id: u.latency_ms.get("stt") for u in report.utterances},
    }


async def run_config(config: str, corpora: dict[str, Path], work: Path) -> dict[str, Any]:
    options = ValidateOptions(
        pace="realtime", concurrency=0, probes=False, back_transcribe=False, negatives=False, long_text=False,
        voice_probes=0, resources=False, gates=Gates(max_wer=None), timeout_s=60.0,
    )  # fmt: skip
    results: dict[str, Any] = {}
    async with (
        stt_server(config, work) as stt,
        run_null_server(reply_seconds=0.2) as null,
    ):
        for name, directory in corpora.items():
            report = await validate(stt, null, load_corpus(directory, name=name), options)
            results[name] = figures(report)
    return results


def default_real() -> Path:
    """``../shared/corpus/cathy30`` beside the checkout (or beside the worktrees' parent)."""
    here = Path(__file__).resolve().parents[1]
    candidates = [here.parent / "shared" / "corpus" / "cathy30", here.parent.parent / "shared" / "corpus" / "cathy30"]
    return next((c for c in candidates if c.is_dir()), candidates[0])


def load_average() -> float:
    return os.getloadavg()[0]


def table(results: dict[str, Any]) -> str:
    rows = [
        "| corpus | server | STT from audio-stop P50 | P95 | from end of speech P50 | P95 | before audio-stop | WER |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f} ms"

    for corpus in results["corpora"]:
        for config in results["configs"]:
            f = results["runs"][config][corpus]
            rows.append(
                f"| {corpus} ({f['n']}) | {config} | {ms(f['stt']['p50_ms'])} | {ms(f['stt']['p95_ms'])} | "
                f"{ms(f['stt_from_speech_end']['p50_ms'])} | {ms(f['stt_from_speech_end']['p95_ms'])} | "
                f"{f['before_audio_stop']} | {f['wer']:.4f} |"
            )
    return "\n".join(rows)


def same_transcripts(results: dict[str, Any]) -> dict[str, Any]:
    """Ours with and without speculation: how many transcripts differ, and the WER difference."""
    runs = results["runs"]
    if "ours" not in runs or "ours-no-spec" not in runs:
        return {}
    out = {}
    for corpus in results["corpora"]:
        a, b = runs["ours"][corpus], runs["ours-no-spec"][corpus]
        differ = sorted(k for k in a["transcripts"] if a["transcripts"][k] != b["transcripts"].get(k))
        out[corpus] = {"differ": differ, "wer_difference": a["wer"] - b["wer"]}
    return out


async def sample_load(into: list[float]) -> None:
    while True:
        into.append(round(load_average(), 2))
        await anyio.sleep(10)


async def measure(configs: list[str], corpora: dict[str, Path], work: Path) -> dict[str, Any]:
    """Each configuration in turn, with the machine's 1-minute load average every 10 s during it
    (the machine is shared: a busy neighbour slows every decode, and the figures with it)."""
    runs = {}
    for config in configs:
        started = time.monotonic()
        loads: list[float] = []
        async with anyio.create_task_group() as tg:
            tg.start_soon(sample_load, loads)
            runs[config] = await run_config(config, corpora, work)
            tg.cancel_scope.cancel()
        runs[config]["wall_s"] = round(time.monotonic() - started, 1)
        runs[config]["load_average_max"] = max(loads)
    return {"configs": configs, "corpora": list(corpora), "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--real", type=Path, default=default_real(), help="real speech (default: ../shared/corpus/cathy30)")
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=[*CONFIGS, "ours-server"])
    parser.add_argument("--limit", type=int, help="only the first N clips of each corpus (a quick try, not the figures)")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="endpointing-bench-") as tmp:
        work = Path(tmp)
        corpora = {
            "bundled": padded_corpus(bundled_corpus_dir(), work / "bundled", args.limit),
            args.real.resolve().name: padded_corpus(args.real, work / args.real.resolve().name, args.limit),
        }
        before = load_average()
        started = time.monotonic()
        results = anyio.run(measure, args.configs, corpora, work)
        results["load_average"] = {"before": before, "after": load_average()}
        results["wall_s"] = round(time.monotonic() - started, 1)
    results["speculation"] = same_transcripts(results)
    results["git"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    if args.out:
        args.out.write_text(json.dumps(results, indent=2, default=float) + "\n")
    print(table(results))
    print(
        json.dumps({"speculation": results["speculation"], "load_average": results["load_average"], "wall_s": results["wall_s"]})
    )


if __name__ == "__main__":
    main()

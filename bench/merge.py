"""What a sharded run and its merge cost: report size per utterance, merge time and memory.

    python bench/merge.py [--repeat 25] [--shards 4] [--out docs/merge_bench.json]

The bundled corpus, sent ``--repeat`` times (38 x 25 = 950 utterances), runs against the null
server (its own process: ``wyoming-rt serve null``) as ``--shards`` shards and once whole, each
``validate --json`` with the default options except the probes (shard 1 runs them; the whole run
too). Then ``wyoming-rt merge`` runs as a child process over the shards' files, timed, with its
peak resident memory from ``getrusage``. Checked in the same run: the merged WER, CER and back
WER equal the whole run's (the null server answers each clip with a digest of it), and the
merged latency samples are the union of the shards'.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from wyoming_rt.endpoint import free_tcp_port

STAGES = ("stt", "tts_total", "round_trip")
MERGE_WITH_USAGE = """
import json, resource, sys
from wyoming_rt.cli import main
code = main(["merge", *sys.argv[2:], "--quiet"])
usage = resource.getrusage(resource.RUSAGE_SELF)
with open(sys.argv[1], "w") as f:
    json.dump({"cpu_s": usage.ru_utime + usage.ru_stime, "maxrss_kb": usage.ru_maxrss}, f)
sys.exit(code)
"""
"""``merge`` in a child that writes its own CPU time and peak memory (the whole process: imports too)."""


def _wait_for(port: int) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wyoming_rt", "wait", f"tcp://127.0.0.1:{port}", "--timeout", "60"], capture_output=True
    )
    if result.returncode != 0:
        raise SystemExit(f"the null server did not answer: {result.stderr.decode().strip()}")


def _validate(port: int, out: Path, repeat: int, extra: list[str]) -> float:
    uri = f"127.0.0.1:{port}"
    command = [sys.executable, "-m", "wyoming_rt", "validate", "--stt", uri, "--tts", uri, "--repeat", str(repeat)]
    started = time.perf_counter()
    done = subprocess.run([*command, *extra, "--json", str(out), "--quiet", "--no-resources"], capture_output=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"validate failed: {done.stderr.decode().strip()[-500:]}")
    return time.perf_counter() - started


def _samples(document: dict[str, Any], stage: str) -> list[float]:
    return sorted(v for u in document["utterances"] if (v := u["latency_ms"].get(stage)) is not None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=25)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    port = free_tcp_port()
    null = subprocess.Popen(
        [sys.executable, "-m", "wyoming_rt", "serve", "null", "--uri", f"tcp://127.0.0.1:{port}", "--reply-seconds", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port)
        with tempfile.TemporaryDirectory(prefix="wyoming-rt-merge-") as work:
            folder = Path(work)
            shard_files = [folder / f"shard-{i}.json" for i in range(1, args.shards + 1)]
            shard_s = [
                _validate(port, path, args.repeat, ["--shard", f"{i}/{args.shards}"]) for i, path in enumerate(shard_files, 1)
            ]
            whole_s = _validate(port, folder / "whole.json", args.repeat, [])
            merged_path = folder / "merged.json"
            usage_path = folder / "usage.json"
            started = time.perf_counter()
            merge = subprocess.run(
                [sys.executable, "-c", MERGE_WITH_USAGE, str(usage_path), *map(str, shard_files), "--json", str(merged_path)],
                capture_output=True,
            )
            merge_s = time.perf_counter() - started
            if merge.returncode not in (0, 1):
                raise SystemExit(f"merge failed: {merge.stderr.decode().strip()}")
            usage = json.loads(usage_path.read_text(encoding="utf-8"))
            whole = json.loads((folder / "whole.json").read_text(encoding="utf-8"))
            merged = json.loads(merged_path.read_text(encoding="utf-8"))
            shards = [json.loads(p.read_text(encoding="utf-8")) for p in shard_files]
            utterances = merged["summary"]["utterances"]
            shard_bytes = sum(p.stat().st_size for p in shard_files)
            figures = {
                "command": f"python bench/merge.py --repeat {args.repeat} --shards {args.shards}",
                "utterances": utterances,
                "shards": args.shards,
                "shard_sizes": [len(s["utterances"]) for s in shards],
                "shard_report_bytes": shard_bytes,
                "report_bytes_per_utterance": round(shard_bytes / utterances),
                "validate_s_per_shard": [round(s, 2) for s in shard_s],
                "validate_s_whole": round(whole_s, 2),
                "merge_wall_s": round(merge_s, 2),
                "merge_cpu_s": round(usage["cpu_s"], 2),
                "merge_peak_rss_mb": round(usage["maxrss_kb"] / 1024, 1),
                "scores_equal_whole_run": all(
                    merged["summary"][k] == whole["summary"][k] for k in ("wer", "cer", "wer_raw", "cer_raw", "back_wer")
                ),
                "samples_are_the_shards_union": all(
                    _samples(merged, stage) == sorted(v for s in shards for v in _samples(s, stage)) for stage in STAGES
                ),
            }
    finally:
        null.terminate()
        null.wait(10)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

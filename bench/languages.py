"""Every bundled language on the embedded default: ``wyoming-rt validate --language X`` as a user
runs it (its own reference servers: the multilingual Whisper base for STT, Piper for TTS), with
the default options and gates, over the whole corpus of each language.

    python bench/languages.py [--languages de,fr,...] [--out docs/languages.json]

A run over some languages keeps the other languages' earlier figures in ``--out``; each entry
names the command that measured it.

Per language: the exit code and verdict, WER and CER (normalised for the language; by character
for Chinese) and raw, back WER, failed utterances, the findings by rule, the share of transcripts
lingua hears in the language asked for, and the wall time of the whole command. Then, in one
process, what the language check itself costs: lingua's detector built over the candidates
(time, resident memory) and the time per transcript.
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
from collections import Counter
from pathlib import Path
from typing import Any

from wyoming_rt.corpus import bundled_languages, load_bundled_corpus


def run_language(language: str, work: Path) -> dict[str, Any]:
    report_path = work / f"{language}.json"
    command = [sys.executable, "-m", "wyoming_rt", "validate", "--language", language, "--json", str(report_path), "--quiet"]
    started = time.monotonic()
    proc = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    wall_s = time.monotonic() - started
    if not report_path.is_file():
        return {"language": language, "exit": proc.returncode, "error": (proc.stderr or proc.stdout).strip()[-400:]}
    report = json.loads(report_path.read_text())
    summary = report["summary"]
    heard = [u["transcript_language"]["language"] for u in report["utterances"] if u.get("transcript_language")]
    findings = Counter(f"{f['severity']}:{f['rule']}" for f in report["findings"])
    return {
        "language": language,
        "exit": proc.returncode,
        "passed": report["passed"],
        "utterances": summary["utterances"],
        "failed": summary["failed"],
        "wer": summary["wer"],
        "cer": summary["cer"],
        "wer_raw": summary["wer_raw"],
        "cer_raw": summary["cer_raw"],
        "back_wer": summary["back_wer"],
        "heard_in_language": sum(1 for h in heard if h == language),
        "heard_judged": len(heard),
        "findings": dict(sorted(findings.items())),
        "wall_s": round(wall_s, 1),
        "stt_info": report["servers"]["stt"]["info"]["asr"][0]["models"][0]["name"],
    }


def language_check_cost() -> dict[str, Any]:
    """lingua's detector: build time and resident memory, and the time per transcript judged."""
    from wyoming_rt.checks.transcript_language import transcript_language

    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    corpus = load_bundled_corpus("de")
    pairs = [(u.reference, u.reference) for u in corpus]
    started = time.perf_counter()
    transcript_language(pairs[0][0], pairs[0][1], "de")
    build_s = time.perf_counter() - started
    after_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        for reference, transcript in pairs:
            transcript_language(reference, transcript, "de")
    per_ms = (time.perf_counter() - started) / (rounds * len(pairs)) * 1000
    return {"build_s": round(build_s, 2), "rss_growth_mb": round((after_kb - before_kb) / 1024, 1),
            "per_transcript_ms": round(per_ms, 3)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--languages", default=",".join(bundled_languages()))
    parser.add_argument("--out", type=Path, default=Path("docs/languages.json"))
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="wyoming-rt-languages-") as work:
        for language in args.languages.split(","):
            load_before = os.getloadavg()[0]
            result = run_language(language, Path(work))
            result["load_before_after"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            results.append(result)
            print(json.dumps(result), flush=True)
    cost = language_check_cost()
    print(json.dumps(cost))
    command = "python bench/languages.py" + (
        f" --languages {args.languages}" if args.languages != ",".join(bundled_languages()) else ""
    )
    # languages not run this time keep their earlier figures, with the command that measured them
    earlier = json.loads(args.out.read_text()) if args.out.is_file() else {}
    for result in results:
        result["command"] = command
    ran = {r["language"] for r in results}
    kept = [{"command": earlier.get("command", ""), **r} for r in earlier.get("languages", []) if r["language"] not in ran]
    order = {language: i for i, language in enumerate(bundled_languages())}
    merged = sorted(kept + results, key=lambda r: order.get(r["language"], len(order)))
    args.out.write_text(json.dumps({"command": command, "cpus": os.cpu_count(), "languages": merged,
                                    "language_check": cost}, indent=2) + "\n")  # fmt: skip


if __name__ == "__main__":
    main()

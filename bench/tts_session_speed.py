"""Synthesis speed of the reference TTS engine: piper's default onnxruntime session against the
memory-returning one the server uses (`wyoming_rt.servers.tts.load_voice`, `release_heap`).

    python bench/tts_session_speed.py [--runs 7]

Both engines live in this process and take turns, run by run, so that a machine shared with
other work slows both alike. Prints the median and the fastest synthesis of a short sentence and of a
728-character unpunctuated sentence (several 200-phoneme pieces), and what ``malloc_trim`` takes
after each (the server runs it after the answer is sent), as a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import time

from wyoming_rt.servers import tts

SHORT = "The front door is locked, and the alarm is armed."
LONG = " ".join(
    f"the {room} lights are off and the temperature is {18 + i % 6} degrees"
    for i, room in enumerate(["kitchen", "bedroom", "hallway", "garage"] * 3)
)


def engines() -> dict[str, tts.TtsEngine]:
    from piper import PiperVoice

    def piper_default(path: object) -> PiperVoice:
        """What the server loaded before; the session's arena is never shrunk (``shrink=None``)."""
        voice = PiperVoice.load(str(path))
        voice.session = tts._ArenaReturningSession(voice.session, shrink=None)
        return voice

    after = tts.TtsEngine(tts.TtsSettings())
    load_voice = tts.load_voice
    tts.load_voice = piper_default
    try:
        before = tts.TtsEngine(tts.TtsSettings())
    finally:
        tts.load_voice = load_voice
    return {"before": before, "after": after}


def speak(engine: tts.TtsEngine, text: str, release: bool) -> tuple[float, float]:
    """Seconds to synthesise ``text`` (what a client waits for), and seconds of the release
    that follows the answer in the server."""
    started = time.perf_counter()
    pieces = engine.plan(text, cut_first=True)
    for i, piece in enumerate(pieces):
        engine.render_sync(piece, None, last=i == len(pieces) - 1)
    synthesised = time.perf_counter()
    if release:
        tts.release_heap()
    return synthesised - started, time.perf_counter() - synthesised


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    both = engines()
    print("| text | before: median (fastest) | after: median (fastest) | after: malloc_trim, median (slowest) |")
    print("|---|---:|---:|---:|")
    for text in (SHORT, LONG):
        times: dict[str, list[float]] = {name: [] for name in both}
        trims: list[float] = []
        for name, engine in both.items():
            speak(engine, text, name == "after")  # warm for this length
        for _ in range(runs):
            for name, engine in both.items():
                synthesis, release = speak(engine, text, name == "after")
                times[name].append(synthesis)
            trims.append(release)
        pieces = len(both["before"].plan(text, cut_first=True))
        cells = [f"{statistics.median(t):.3f} s ({min(t):.3f} s)" for t in times.values()]
        trim = f"{statistics.median(trims) * 1000:.0f} ms ({max(trims) * 1000:.0f} ms)"
        print(f"| {len(text)} characters, {pieces} pieces | {cells[0]} | {cells[1]} | {trim} |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Generate the bundled smart-home speech corpus with Debian TTS engines.

Usage:
    python corpus/generate.py [--out DIR] [--only ID ...]

For every utterance this writes ``NAME.wav`` (16 kHz, mono, 16-bit PCM) and
``NAME.txt`` (the reference text, one UTF-8 line) into the output directory
(default: the directory containing this script), plus ``manifest.json``.

Engines (Debian packages, install with ``apt-get install -y ...``):
    festival, festvox-us-slt-hts, festvox-kallpc16k   (festival voices)
    flite                                             (flite voices)

Piper is deliberately not used. Output is deterministic for a given engine
version: the engines themselves are deterministic and the post-processing
(silence trimming to 0.15 s padding, peak normalisation to -3 dBFS,
resampling of the 32 kHz slt voice to 16 kHz) is pure numpy/soxr.

Requires: python3, numpy, soundfile, soxr.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

TARGET_SR = 16000

# Silence trimming parameters.
FRAME_S = 0.010  # analysis frame length
SILENCE_DB = -40.0  # frames this far below the loudest frame count as silence
PAD_S = 0.15  # silence kept before the first / after the last voiced frame
PEAK = 0.7  # output peak level (about -3 dBFS)

# --------------------------------------------------------------------------
# Voices
# --------------------------------------------------------------------------
# key -> description. "engine" is "festival" or "flite".
VOICES = {
    # Festival, CMU ARCTIC "slt" (US English, female), HTS statistical voice.
    "slt": {
        "engine": "festival",
        "festival_voice": "cmu_us_slt_arctic_hts",
        "voice_dir": "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts",
        "apt": "festvox-us-slt-hts",
    },
    # Festival, "kal" diphone voice (US English, male), 16 kHz.
    "kal": {
        "engine": "festival",
        "festival_voice": "kal_diphone",
        "voice_dir": "/usr/share/festival/voices/english/kal_diphone",
        "apt": "festvox-kallpc16k",
    },
    # Flite built-in clustergen voice "rms" (US English, male), 16 kHz.
    "rms": {"engine": "flite", "flite_voice": "rms", "apt": "flite"},
}

ENGINE_BINARIES = {
    "festival": ("text2wave", "festival"),
    "flite": ("flite", "flite"),
}

# --------------------------------------------------------------------------
# Utterances: (id, voice, reference text[, text sent to the engine])
# The reference text is written the way a person would type the command.
# Each sentence is assigned to the voice that renders it intelligibly (checked
# with faster-whisper tiny.en + whisper_normalizer, see README.md). Clock times
# are written as "7 o'clock" rather than "7:30": Whisper transcribes "7:30" as
# "7.30", which EnglishTextNormalizer does not map to the same tokens.
# A fourth element, if present, is what the engine is asked to speak (only
# used when an engine mis-reads the written form); it must say the same words.
# --------------------------------------------------------------------------
UTTERANCES = [
    ("01_weather_kansas", "slt", "What is the weather in Kansas?"),
    ("02_living_room_lights_off", "kal", "Turn off the living room lights."),
    ("03_thermostat_21", "slt", "Set the thermostat to 21 degrees."),
    ("04_kitchen_lights_50", "rms", "Set the kitchen lights to 50%."),
    ("05_timer_10_minutes", "kal", "Set a timer for 10 minutes."),
    ("06_what_time", "slt", "What time is it?"),
    ("07_open_garage", "rms", "Open the garage door."),
    ("08_lock_front_door", "kal", "Lock the front door."),
    ("09_wake_up_7", "slt", "Wake me up at 7 o'clock tomorrow."),
    ("10_bedroom_fan_on", "rms", "Turn on the bedroom fan."),
    ("11_office_blinds_close", "rms", "Close the blinds in the office."),
    ("12_hallway_dim_20", "slt", "Dim the hallway lights to 20%."),
    ("13_back_door_locked", "kal", "Is the back door locked?"),
    ("14_alarm_6", "rms", "Set an alarm for 6 tomorrow morning."),
    ("15_bedroom_temperature", "kal", "What is the temperature in the bedroom?"),
    ("16_heating_up_2", "rms", "Turn the heating up by 2 degrees."),
    ("17_shopping_list_milk", "slt", "Add milk to my shopping list."),
    ("18_play_jazz_kitchen", "kal", "Play some jazz music in the kitchen."),
    ("19_pause_music", "slt", "Pause the music."),
    ("20_downstairs_lights_off", "rms", "Turn off all the lights downstairs."),
    ("21_timer_remaining", "kal", "How much time is left on the timer?"),
    ("22_start_vacuum", "slt", "Start the vacuum cleaner."),
    ("23_living_room_temp_19", "rms", "Set the living room temperature to 19 degrees."),
    ("24_porch_light_sunset", "slt", "Turn on the porch light at sunset."),
    ("25_cancel_timer", "rms", "Cancel the timer."),
    ("26_rain_chicago", "kal", "Will it rain tomorrow in Chicago?"),
    ("27_volume_30", "slt", "Set the volume to 30%."),
    ("28_kitchen_blinds_half", "kal", "Open the kitchen blinds halfway."),
    ("29_bedroom_lights_75", "rms", "Set the bedroom lights to 75% brightness."),
    ("30_fan_speed_3", "slt", "Turn the fan speed to 3."),
    ("31_oven_180", "kal", "Set the oven to 180 degrees."),
    ("32_remind_15_minutes", "rms", "Remind me in 15 minutes."),
    ("33_garage_closed", "slt", "Is the garage door closed?"),
    ("34_air_conditioning_24", "kal", "Set the air conditioning to 24 degrees."),
    ("35_tv_off", "rms", "Turn off the TV."),
    # A few sentences spoken by a second voice as well.
    ("36_living_room_lights_off", "slt", "Turn off the living room lights."),
    ("37_what_time", "kal", "What time is it?"),
    ("38_weather_kansas", "rms", "What is the weather in Kansas?"),
]


def utterance_name(utt_id: str, voice: str) -> str:
    return f"{utt_id}_{voice}"


# --------------------------------------------------------------------------
# Engine checks and synthesis
# --------------------------------------------------------------------------
def check_engines(voices: set[str]) -> None:
    problems = []
    for key in sorted(voices):
        spec = VOICES[key]
        binary, pkg = ENGINE_BINARIES[spec["engine"]]
        if shutil.which(binary) is None:
            problems.append(f"engine binary '{binary}' not found (voice '{key}'): apt-get install -y {pkg}")
            continue
        if spec["engine"] == "festival" and not os.path.isdir(spec["voice_dir"]):
            problems.append(
                f"festival voice '{spec['festival_voice']}' not found in "
                f"{spec['voice_dir']} (voice '{key}'): apt-get install -y {spec['apt']}"
            )
    if problems:
        msg = "\n  ".join(problems)
        sys.exit(f"error: missing TTS engine/voice:\n  {msg}")


def synthesize(voice: str, text: str, workdir: Path) -> tuple[np.ndarray, int]:
    """Run the engine; return (float32 mono samples, sample rate)."""
    spec = VOICES[voice]
    txt = workdir / "in.txt"
    wav = workdir / "out.wav"
    txt.write_text(text + "\n", encoding="utf-8")
    if wav.exists():
        wav.unlink()
    if spec["engine"] == "festival":
        cmd = [
            "text2wave",
            "-eval",
            f"(voice_{spec['festival_voice']})",
        ]
        if "stretch" in spec:
            cmd += ["-eval", f"(Parameter.set 'Duration_Stretch {spec['stretch']})"]
        cmd += [str(txt), "-o", str(wav)]
    elif spec["engine"] == "flite":
        cmd = ["flite", "-voice", spec["flite_voice"], "-f", str(txt), "-o", str(wav)]
        if "stretch" in spec:
            cmd += ["--setf", f"duration_stretch={spec['stretch']}"]
    else:  # pragma: no cover
        raise ValueError(spec["engine"])
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0 or not wav.exists():
        sys.exit(f"error: {' '.join(cmd)} failed:\n{res.stderr}")
    audio, sr = sf.read(str(wav), dtype="float32", always_2d=True)
    return audio.mean(axis=1), sr


# --------------------------------------------------------------------------
# Post-processing
# --------------------------------------------------------------------------
def trim_silence(audio: np.ndarray, sr: int) -> np.ndarray:
    """Cut leading/trailing silence, leaving exactly PAD_S of silence each side.

    Where the engine output has less than PAD_S of silence, digital silence is
    added so that every file has the same padding.
    """
    frame = max(1, round(FRAME_S * sr))
    n = len(audio) // frame
    if n == 0:
        return audio
    frames = audio[: n * frame].reshape(n, frame).astype(np.float64)
    rms = np.sqrt(np.mean(frames**2, axis=1) + 1e-20)
    db = 20 * np.log10(rms / rms.max())
    active = np.flatnonzero(db > SILENCE_DB)
    if active.size == 0:
        return audio
    pad = round(PAD_S * sr)
    first = active[0] * frame
    last = min(len(audio), (active[-1] + 1) * frame)
    start, end = max(0, first - pad), min(len(audio), last + pad)
    head = np.zeros(pad - (first - start), dtype=audio.dtype)
    tail = np.zeros(pad - (end - last), dtype=audio.dtype)
    return np.concatenate([head, audio[start:end], tail])


def to_target_rate(audio: np.ndarray, sr: int) -> np.ndarray:
    if sr == TARGET_SR:
        return audio
    return soxr.resample(audio, sr, TARGET_SR, quality="HQ").astype(np.float32)


def to_pcm16(audio: np.ndarray) -> np.ndarray:
    """Peak-normalise to PEAK (same level for every voice) and quantise."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > 0:
        audio = audio * (PEAK / peak)
    return np.round(audio * 32767.0).astype(np.int16)


# --------------------------------------------------------------------------
NEGATIVE_SECONDS = 2.0


def negatives(out: Path) -> None:
    """Clips with no speech at all (``negative/``): an STT server must return an empty text.

    Digital silence, pink noise at -30 dBFS RMS and white noise at -20 dBFS RMS, 2 s each,
    from a fixed seed (numpy only, no engine needed).
    """
    rng = np.random.default_rng(20261122)
    n = int(NEGATIVE_SECONDS * TARGET_SR)
    white = rng.standard_normal(n)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))  # 1/f power: pink
    pink = np.fft.irfft(spectrum, n)
    clips = {
        "silence": np.zeros(n),
        "pink_noise": pink / np.sqrt(np.mean(pink**2)) * 10 ** (-30 / 20),
        "white_noise": white / np.sqrt(np.mean(white**2)) * 10 ** (-20 / 20),
    }
    folder = out / "negative"
    folder.mkdir(parents=True, exist_ok=True)
    for name, audio in clips.items():
        pcm = np.clip(np.round(audio * 32767), -32768, 32767).astype("<i2")
        sf.write(str(folder / f"{name}.wav"), pcm, TARGET_SR, subtype="PCM_16", format="WAV")
        print(f"negative/{name}.wav: {NEGATIVE_SECONDS:.1f} s")


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=here, help="output directory")
    ap.add_argument("--only", nargs="*", help="only (re)generate these utterance ids")
    ap.add_argument("--negatives-only", action="store_true", help="only (re)generate the speech-free clips in negative/")
    args = ap.parse_args(argv)
    if args.negatives_only:
        negatives(args.out)
        return 0

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    utts = UTTERANCES
    if args.only:
        utts = [u for u in UTTERANCES if u[0] in set(args.only)]
    check_engines({u[1] for u in utts})

    names = set()
    manifest = []
    with tempfile.TemporaryDirectory(prefix="wyoming_rt_corpus_") as tmp:
        tmpdir = Path(tmp)
        for utt in UTTERANCES:
            utt_id, voice, text = utt[:3]
            spoken = utt[3] if len(utt) > 3 else text
            name = utterance_name(utt_id, voice)
            names.add(name)
            wav_path = out / f"{name}.wav"
            if utt in utts:
                audio, sr = synthesize(voice, spoken, tmpdir)
                audio = to_target_rate(trim_silence(audio, sr), sr)
                pcm = to_pcm16(audio)
                sf.write(str(wav_path), pcm, TARGET_SR, subtype="PCM_16", format="WAV")
                with open(out / f"{name}.txt", "w", encoding="utf-8", newline="\n") as fh:
                    fh.write(text + "\n")
                print(f"{name}: {len(pcm) / TARGET_SR:.2f} s  {text}")
            info = sf.info(str(wav_path))
            manifest.append(
                {
                    "id": name,
                    "text": text,
                    "voice": VOICES[voice].get("festival_voice") or VOICES[voice].get("flite_voice"),
                    "engine": VOICES[voice]["engine"],
                    "duration_s": round(info.frames / info.samplerate, 3),
                }
            )

    # Remove stale files from earlier runs with a different utterance list.
    if not args.only:
        for p in out.iterdir():
            if p.suffix in (".wav", ".txt") and re.match(r"^\d\d_", p.name) and p.stem not in names:
                print(f"removing stale {p.name}")
                p.unlink()

    negatives(out)
    with open(out / "manifest.json", "w", encoding="utf-8", newline="\n") as fh:
        json.dump(manifest, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    total = sum(m["duration_s"] for m in manifest)
    print(f"{len(manifest)} utterances, {total:.1f} s total -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

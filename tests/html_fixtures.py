"""A report of the bundled corpus made without servers, for the HTML tests: each utterance's
input audio, resampled to 22050 Hz, stands for the returned audio; every third transcript has
one wrong word; latencies follow the audio's length."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import soxr
from PIL import Image

from wyoming_rt.checks.scoring import score
from wyoming_rt.corpus import load_bundled_corpus
from wyoming_rt.pcm import from_float
from wyoming_rt.records.audio import PcmAudio
from wyoming_rt.records.findings import Finding
from wyoming_rt.records.results import RoundTripResult
from wyoming_rt.report.model import NegativeReport, Report, ServerReport, UtteranceReport
from wyoming_rt.run.build_report import build_report
from wyoming_rt.run.gates import Gates

STT_INFO = {"asr": [{"name": "faster-whisper", "version": "2.1.0", "installed": True,
                     "models": [{"name": "tiny.en", "version": "1.0", "installed": True, "languages": ["en"]}]}]}  # fmt: skip
TTS_INFO = {"tts": [{"name": "piper", "version": "1.6.3", "installed": True,
                     "voices": [{"name": "en_US-lessac-low", "installed": True, "languages": ["en_US"]}]}]}  # fmt: skip


def as_returned(audio: PcmAudio, rate_hz: int = 22050) -> PcmAudio:
    """The input audio as a TTS server at ``rate_hz`` would send it."""
    return from_float(np.asarray(soxr.resample(audio.samples()[:, 0], audio.rate_hz, rate_hz), dtype=np.float32), rate_hz)


def _wrong_word(text: str) -> str:
    words = text.split()
    words[len(words) // 2] = "banana"
    return " ".join(words)


def bundled_report(gates: Gates | None = None) -> Report:
    """The bundled corpus's report, as validate would build it, with audio both ways."""
    corpus = load_bundled_corpus()
    reports = []
    for i, u in enumerate(corpus.utterances):
        heard = _wrong_word(u.reference) if i % 3 == 0 else u.reference
        seconds = u.audio.duration_s
        latency: dict[str, float | None] = {
            "stt_upload": 20 + 5 * seconds, "stt": 150 + 40 * seconds + 7 * (i % 5), "stt_from_speech_end": 400 + 40 * seconds,
            "tts_ttfb": 90 + 11 * (i % 7), "tts_first_audible": 140 + 13 * (i % 7), "tts_total": 300 + 120 * seconds,
        }  # fmt: skip
        latency["round_trip"] = sum(latency[k] or 0.0 for k in ("stt_upload", "stt", "tts_total")) + 4
        findings = [Finding("gate.max-wer", "error", "utterance WER 0.200 > max 0.15", u.id)] if i % 6 == 0 else []
        reports.append(
            UtteranceReport(
                u.id,
                u.reference,
                heard,
                score(u.reference, heard),
                None,
                latency,
                findings,
                back_transcript=u.reference,
                back_score=score(heard, u.reference),
            )
        )
    servers = {
        "stt": ServerReport("stt", "tcp://127.0.0.1:10300", STT_INFO, 3.2),
        "tts": ServerReport("tts", "tcp://127.0.0.1:10200", TTS_INFO, 2.9, {"streaming": True}),
    }
    results = [RoundTripResult(u, round_trip_s=1.0) for u in corpus.utterances]
    report = build_report(
        results, servers, settings={"corpus": corpus.name, "concurrency": 2}, utterance_reports=reports, gates=gates
    )
    negatives = [NegativeReport(n.id, "" if "silence" in n.id else "You") for n in corpus.negatives]
    return replace(
        report,
        negatives=negatives,
        audio={u.id: as_returned(u.audio) for u in corpus.utterances},
        inputs={u.id: u.audio for u in (*corpus.utterances, *corpus.negatives)},
    )


CHROMIUM = "/usr/bin/chromium"  # Debian's chromium package (installed by .ci/run and the README)
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--hide-scrollbars",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium with its own profile; fails the test when it fails."""
    proc = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def dump_dom(tmp_path: Path, uri: str) -> str:
    """The page's DOM after its scripts ran (``uri`` may carry a ``#`` state the page reads)."""
    return chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", uri).stdout


def screenshot(tmp_path: Path, uri: str, width: int, height: int, name: str = "shot.png") -> np.ndarray:
    """The page as Chromium draws it, RGB; the PNG stays in ``tmp_path`` to look at."""
    shot = tmp_path / name
    chromium(tmp_path, f"--window-size={width},{height}", f"--screenshot={shot}", uri)
    image = np.asarray(Image.open(shot).convert("RGB"))
    assert image.shape[:2] == (height, width)
    return image


def colour_pixels(image: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 8) -> int:
    return int(np.all(np.abs(image[:, :, :3].astype(int) - np.array(rgb)) <= tolerance, axis=2).sum())

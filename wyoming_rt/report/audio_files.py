"""``--save-audio DIR``: every returned TTS stream as a WAV in its declared format, with an index."""

from __future__ import annotations

import json
from pathlib import Path

from wyoming_rt.pcm import wav_bytes
from wyoming_rt.report.model import Report


def save_audio(report: Report, directory: Path) -> Path:
    """Write ``ID.wav`` for each utterance that got audio back (`Report.audio`), and ``index.json``;
    return the index path."""
    directory.mkdir(parents=True, exist_ok=True)
    index = []
    for utterance in report.utterances:
        uid = utterance.id
        audio = report.audio.get(uid)
        entry: dict[str, object] = {"id": uid, "file": None}
        if audio is not None and audio.pcm and audio.format.fits_wav:
            path = directory / f"{uid}.wav"
            path.write_bytes(wav_bytes(audio))  # the bytes and format exactly as the server declared them
            entry.update(file=path.name, rate=audio.rate_hz, width=audio.width_bytes, channels=audio.channels,
                         duration_s=round(audio.duration_s, 3))  # fmt: skip
        entry.update(
            passed=utterance.passed,
            text=utterance.transcript,
            back_transcript=utterance.back_transcript,
            findings=[f.rule for f in utterance.findings],
        )
        index.append(entry)
    index_path = directory / "index.json"
    index_path.write_text(json.dumps(index, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return index_path

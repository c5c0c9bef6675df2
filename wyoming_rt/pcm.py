"""Conversion of PCM audio to what Home Assistant sends (16 kHz, 16-bit, mono), and to a WAV file."""

from __future__ import annotations

import io
import wave

import numpy as np
import soxr

from wyoming_rt.records.audio import HA_FORMAT, HA_RATE_HZ, PcmAudio


def from_float(samples: np.ndarray, rate_hz: int) -> PcmAudio:
    """16-bit PCM from float samples of shape (frames,) or (frames, channels)."""
    if samples.ndim == 1:
        samples = samples[:, None]
    ints = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    return PcmAudio(ints.tobytes(), rate_hz, 2, int(samples.shape[1]))


def to_ha_format(audio: PcmAudio) -> PcmAudio:
    """Convert PCM of a playable format to 16 kHz, 16-bit, mono (average of channels; soxr
    high-quality resampling). Raises `ValueError` for any other format, before any work."""
    if audio.format == HA_FORMAT:
        return audio
    if not audio.format.is_playable:
        raise ValueError(f"not a playable audio format: {audio.rate_hz} Hz, {audio.width_bytes} bytes, {audio.channels} channels")
    mono = audio.samples().mean(axis=1)
    if audio.rate_hz != HA_RATE_HZ:
        mono = soxr.resample(mono, audio.rate_hz, HA_RATE_HZ, quality="HQ")
    return from_float(np.asarray(mono, dtype=np.float32), HA_RATE_HZ)


def wav_bytes(audio: PcmAudio) -> bytes:
    """A WAV file of ``audio`` in its declared format, the bytes exactly as they are (whole frames
    only). The format must fit a WAV file (`AudioFormat.fits_wav`)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(audio.channels)
        wav.setsampwidth(audio.width_bytes)
        wav.setframerate(audio.rate_hz)
        wav.writeframes(audio.pcm[: audio.frames * audio.frame_bytes])
    return buffer.getvalue()

"""One audio format: `AudioFormat`'s playable limits for untrusted values, and one WAV writer."""

from __future__ import annotations

import io
import wave

import pytest

from wyoming_rt.pcm import wav_bytes
from wyoming_rt.records.audio import HA_FORMAT, AudioFormat, PcmAudio


@pytest.mark.parametrize(
    "values",
    [(4000, 1, 1), (16000, 2, 1), (22050, 2, 2), (192_000, 4, 8), (44100, 3, 6)],
)
def test_a_playable_format_is_returned_as_a_format(values: tuple[int, int, int]) -> None:
    fmt = AudioFormat.playable(*values)
    assert fmt == AudioFormat(*values) and fmt.is_playable
    assert fmt.frame_bytes == values[1] * values[2] and fmt.bytes_per_s == values[0] * values[1] * values[2]


@pytest.mark.parametrize(
    "values",
    [
        (3999, 2, 1),
        (192_001, 2, 1),
        (10**15, 2, 1),
        (16000, 0, 1),
        (16000, 5, 1),
        (16000, 2, 0),
        (16000, 2, 9),
        (16000.0, 2, 1),  # a float is not a rate, even a whole one
        (True, 2, 1),  # nor is a bool
        ("16000", 2, 1),
        (None, 2, 1),
        (16000, 2, [1]),
    ],
)
def test_anything_else_is_not_playable(values: tuple[object, object, object]) -> None:
    assert AudioFormat.playable(*values) is None
    assert not AudioFormat(*values).is_playable  # type: ignore[arg-type]


def test_the_limits_are_class_constants_and_ha_format_is_playable() -> None:
    limits = (AudioFormat.MIN_RATE_HZ, AudioFormat.MAX_RATE_HZ, AudioFormat.WIDTHS_BYTES, AudioFormat.MAX_CHANNELS)
    assert limits == (4000, 192_000, (1, 2, 3, 4), 8)
    assert AudioFormat(16000, 2, 1) == HA_FORMAT and HA_FORMAT.is_playable
    assert PcmAudio(b"", 16000, 2, 1).format == HA_FORMAT


def test_a_wav_file_holds_formats_no_speaker_plays() -> None:
    assert AudioFormat(1, 2, 16).fits_wav and not AudioFormat(1, 2, 16).is_playable
    assert not AudioFormat(16000, 2, 17).fits_wav
    assert not AudioFormat(16000, 5, 1).fits_wav
    assert not AudioFormat(0, 2, 1).fits_wav


def test_wav_bytes_keeps_the_declared_format_and_whole_frames() -> None:
    audio = PcmAudio(bytes(range(11)), 22050, 2, 2)  # two whole 4-byte frames and 3 bytes over
    with wave.open(io.BytesIO(wav_bytes(audio))) as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels(), wav.getnframes()) == (22050, 2, 2, 2)
        assert wav.readframes(2) == bytes(range(8))

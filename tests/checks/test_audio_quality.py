"""Audio analysis on real speech (the bundled corpus) and on faults made from it."""

from __future__ import annotations

import numpy as np
import pytest

from wyoming_rt.checks.audio_quality import (
    FRAME_S,
    SPEECH_EDGE_FRAMES,
    AudioThresholds,
    active_seconds,
    analyse,
    voiced_seconds,
)
from wyoming_rt.corpus import load_bundled_corpus
from wyoming_rt.pcm import from_float
from wyoming_rt.records.audio import PcmAudio

CORPUS = list(load_bundled_corpus())
SPEECH = CORPUS[0]  # "What is the weather in Kansas?", 16 kHz
SAMPLES = SPEECH.audio.samples()[:, 0]


def rules(audio: PcmAudio, text: str = SPEECH.reference, thresholds: AudioThresholds | None = None) -> set[str]:
    return {f.rule for f in analyse(audio, text, thresholds).findings}


def test_real_speech_has_no_findings_and_sane_measurements() -> None:
    for utterance in CORPUS:
        quality = analyse(utterance.audio, utterance.reference)
        assert quality.findings == [], utterance.id
        assert 0.1 <= quality.leading_silence_s <= 0.3 and 0.05 <= quality.trailing_silence_s <= 0.3
        assert 0.5 * utterance.audio.duration_s < quality.speech_s <= utterance.audio.duration_s
        assert quality.chars_per_speech_s is not None and 8 < quality.chars_per_speech_s < 25
        assert -4 < quality.peak_dbfs < -2  # the corpus is normalised to -3 dBFS


def test_silence() -> None:
    assert rules(from_float(np.zeros_like(SAMPLES), 16000)) == {"audio.silent"}


def test_noise_is_not_speech() -> None:
    noise = 0.2 * np.random.default_rng(1).standard_normal(len(SAMPLES)).astype(np.float32)
    assert rules(from_float(noise, 16000)) == {"audio.no-speech"}


def test_clipping() -> None:
    assert "audio.clipping" in rules(from_float(np.clip(SAMPLES * 20, -1, 1), 16000))


@pytest.mark.parametrize("keep", [0.6, 0.8, 0.9])
def test_cut_off_tail(keep: float) -> None:
    assert "audio.truncated" in rules(from_float(SAMPLES[: int(len(SAMPLES) * keep)], 16000))


def test_rate_declared_twice_too_high() -> None:
    assert rules(PcmAudio(SPEECH.audio.pcm, 32000, 2, 1)) == {"audio.speaking-rate"}


def test_speaking_rate_not_judged_for_a_voice_of_another_language() -> None:
    quality = analyse(PcmAudio(SPEECH.audio.pcm, 32000, 2, 1), SPEECH.reference, judge_rate=False)
    assert quality.findings == [] and quality.chars_per_speech_s is not None  # measured, not judged


def test_dc_offset_is_a_warning_and_does_not_hide_the_silence_at_the_ends() -> None:
    quality = analyse(from_float(SAMPLES * 0.5 + 0.1, 16000), SPEECH.reference)
    assert [(f.rule, f.severity) for f in quality.findings] == [("audio.dc-offset", "warning")]


def test_long_leading_silence() -> None:
    padded = np.concatenate([np.zeros(16000 * 2, dtype=np.float32), SAMPLES])
    assert rules(from_float(padded, 16000)) == {"audio.leading-silence"}


def test_thresholds_can_be_changed_and_unknown_names_are_refused() -> None:
    loose = AudioThresholds().with_overrides({"leading_silence_max_s": 5.0})
    padded = np.concatenate([np.zeros(16000 * 2, dtype=np.float32), SAMPLES])
    assert rules(from_float(padded, 16000), thresholds=loose) == set()
    with pytest.raises(ValueError, match="unknown audio threshold"):
        AudioThresholds().with_overrides({"loudness": 1.0})


def test_speech_time_by_energy_agrees_with_the_voice_detector() -> None:
    """`speech_s` is the energy-based active time; on real speech it stays close to what the
    Silero VAD, run over the whole stream, calls voiced, and its median is the same: the
    speaking-rate thresholds were set on the VAD's figure."""
    ratios = []
    for utterance in CORPUS:
        voiced = voiced_seconds(utterance.audio, 0.5)
        ratios.append(analyse(utterance.audio, utterance.reference).speech_s / voiced)
        assert 0.85 < ratios[-1] < 1.25, utterance.id
    assert 0.95 < float(np.median(ratios)) < 1.05


def test_deciding_there_is_speech_stops_once_enough_was_heard() -> None:
    whole = voiced_seconds(SPEECH.audio, 0.5)
    enough = voiced_seconds(SPEECH.audio, 0.5, enough_s=0.1)
    assert 0.1 <= enough < 0.2 < whole


def test_short_pauses_count_as_speech_and_long_ones_do_not() -> None:
    loud, quiet = -20.0, -70.0
    short_pause = int(0.05 / FRAME_S)
    long_pause = int(0.3 / FRAME_S)
    levels = np.array(
        [quiet] * 20 + [loud] * 10 + [quiet] * short_pause + [loud] * 10 + [quiet] * long_pause + [loud] * 10 + [quiet] * 20
    )
    edges = 2 * 2 * SPEECH_EDGE_FRAMES  # each of the two runs of speech widened on both sides
    assert active_seconds(levels, -50.0) == pytest.approx((30 + short_pause + edges) * FRAME_S)
    assert active_seconds(np.full(20, quiet), -50.0) == 0.0


def test_real_chinese_speech_is_not_too_slow() -> None:
    """The bundled Chinese corpus (Kokoro, natural Mandarin pace): under five characters a second,
    which would read as far too slow if a character counted as one letter."""
    for utterance in load_bundled_corpus("zh"):
        quality = analyse(utterance.audio, utterance.reference)
        assert "audio.speaking-rate" not in {f.rule for f in quality.findings}, utterance.id
        assert quality.chars_per_speech_s is not None and quality.speech_s > 0
        assert len(utterance.reference) / quality.speech_s < 6.0  # unweighted: below the natural minimum

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from wyoming_rt.corpus import bundled_corpus_dir, load_bundled_corpus, load_corpus
from wyoming_rt.records.errors import CorpusError


def write_pair(directory: Path, name: str, samples: np.ndarray, rate: int, text: str | bytes | None = "hello there") -> Path:
    wav = directory / f"{name}.wav"
    soundfile.write(wav, samples, rate, subtype="PCM_16")
    if isinstance(text, str):
        (directory / f"{name}.txt").write_text(text, encoding="utf-8")
    elif isinstance(text, bytes):
        (directory / f"{name}.txt").write_bytes(text)
    return wav


def tone(seconds: float, rate: int, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    mono = 0.3 * np.sin(2 * np.pi * 440 * t)
    return np.stack([mono] * channels, axis=1) if channels > 1 else mono


def test_bundled_corpus_meets_its_contract() -> None:
    directory = bundled_corpus_dir()
    corpus = load_bundled_corpus()
    assert len(corpus) >= 20 and not corpus.problems
    manifest = {m["id"]: m for m in json.loads((directory / "manifest.json").read_text())}
    assert len({m["voice"] for m in manifest.values()}) >= 2
    for utterance in corpus:
        info = soundfile.info(str(directory / f"{utterance.id}.wav"))
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16"), utterance.id
        assert 0.5 <= utterance.audio.duration_s <= 5.0, utterance.id
        assert utterance.reference == manifest[utterance.id]["text"]


def test_bundled_negative_clips_have_no_speech_and_an_empty_reference() -> None:
    negatives = load_bundled_corpus().negatives
    assert sorted(n.id for n in negatives) == ["negative/pink_noise", "negative/silence", "negative/white_noise"]
    assert all(n.reference == "" and n.audio.duration_s == pytest.approx(2.0) for n in negatives)


def test_user_corpus_negative_folder(tmp_path: Path) -> None:
    write_pair(tmp_path, "speech", tone(1, 16000), 16000)
    (tmp_path / "negative").mkdir()
    soundfile.write(tmp_path / "negative" / "hum.wav", tone(1, 44100), 44100, subtype="PCM_16")
    corpus = load_corpus(tmp_path)
    assert [n.id for n in corpus.negatives] == ["negative/hum"]
    assert corpus.negatives[0].audio.rate_hz == 16000


def test_user_corpus_of_any_rate_and_channels_becomes_16k_mono(tmp_path: Path) -> None:
    write_pair(tmp_path, "b_stereo", tone(1.5, 44100, channels=2), 44100)
    write_pair(tmp_path, "a_mono", tone(0.8, 8000), 8000, text="  Turn on\nthe lights \n")
    corpus = load_corpus(tmp_path)
    assert [u.id for u in corpus] == ["a_mono", "b_stereo"]
    assert corpus.utterances[0].reference == "Turn on the lights"
    for utterance, seconds in zip(corpus, (0.8, 1.5), strict=True):
        audio = utterance.audio
        assert (audio.rate_hz, audio.width_bytes, audio.channels) == (16000, 2, 1)
        assert audio.duration_s == pytest.approx(seconds, abs=0.002)
        assert np.abs(audio.samples()).max() == pytest.approx(0.3, abs=0.02)


def test_bad_files_are_named_and_the_good_ones_still_load(tmp_path: Path) -> None:
    write_pair(tmp_path, "good", tone(1, 16000), 16000)
    write_pair(tmp_path, "no_text", tone(1, 16000), 16000, text=None)
    write_pair(tmp_path, "latin1", tone(1, 16000), 16000, text="caf\xe9".encode("latin-1"))
    write_pair(tmp_path, "blank", tone(1, 16000), 16000, text="  \n")
    write_pair(tmp_path, "empty_audio", np.zeros(0), 16000)
    (tmp_path / "garbage.wav").write_bytes(b"RIFF nonsense")
    (tmp_path / "garbage.txt").write_text("text")

    corpus = load_corpus(tmp_path)
    assert [u.id for u in corpus] == ["good"]
    problems = sorted(str(p) for p in corpus.problems)
    assert len(problems) == 5
    expected = {
        "blank.txt": "transcript is empty",
        "empty_audio.wav": "no samples",
        "garbage.wav": "unreadable audio file",
        "latin1.txt": "not UTF-8",
        "no_text.txt": "missing transcript",
    }
    for problem, (name, reason) in zip(problems, sorted(expected.items()), strict=True):
        assert str(tmp_path / name) in problem and reason in problem


def test_a_corpus_with_nothing_usable_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no usable utterance"):
        load_corpus(tmp_path)
    with pytest.raises(CorpusError, match="not found"):
        load_corpus(tmp_path / "missing")

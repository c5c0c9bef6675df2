"""A corpus in any format libsndfile reads (FLAC, OGG, MP3, ...), and the files it cannot use named."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile

from wyoming_rt import corpus as corpus_module
from wyoming_rt.cli import main
from wyoming_rt.corpus import audio_extensions, bundled_corpus_dir, load_corpus, read_audio

BUNDLED = sorted(bundled_corpus_dir().glob("*.wav"))[0]
"""A bundled utterance: real speech with its transcript."""

FORMATS = [
    ("flac", "FLAC", "PCM_16"),
    ("ogg", "OGG", "VORBIS"),
    ("opus", "OGG", "OPUS"),
    ("mp3", "MP3", "MPEG_LAYER_III"),
]


def available(container: str, subtype: str) -> bool:
    return container in soundfile.available_formats() and subtype in soundfile.available_subtypes(container)


def write_copy(directory: Path, name: str, container: str, subtype: str, extension: str) -> Path:
    """The bundled utterance re-encoded with soundfile, its transcript next to it."""
    samples, rate = soundfile.read(BUNDLED, dtype="float32")
    target = directory / f"{name}.{extension}"
    soundfile.write(target, samples, rate, format=container, subtype=subtype)
    shutil.copy(BUNDLED.with_suffix(".txt"), directory / f"{name}.txt")
    return target


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n].ravel(), b[:n].ravel())[0, 1])


def test_flac_ogg_and_mp3_load_with_their_text_and_the_audio_survives(tmp_path: Path) -> None:
    formats = [f for f in FORMATS if available(f[1], f[2])]
    assert {"flac", "ogg"} <= {f[0] for f in formats}  # libsndfile has had these for ever
    for extension, container, subtype in formats:
        write_copy(tmp_path, f"as_{extension}", container, subtype, extension)
    corpus = load_corpus(tmp_path)
    assert not corpus.problems
    assert [u.id for u in corpus] == sorted(f"as_{f[0]}" for f in formats)
    original = read_audio(BUNDLED)
    reference = BUNDLED.with_suffix(".txt").read_text(encoding="utf-8").strip()
    for utterance in corpus:
        assert utterance.reference == reference
        audio = utterance.audio
        assert (audio.rate_hz, audio.width_bytes, audio.channels) == (16000, 2, 1)
        assert audio.duration_s == pytest.approx(original.duration_s, abs=0.03), utterance.id
        assert correlation(audio.samples(), original.samples()) > 0.95, utterance.id  # lossy, but the same speech


def test_mp3_is_read_when_libsndfile_has_it() -> None:
    assert (".mp3" in audio_extensions()) is available("MP3", "MPEG_LAYER_III")


def test_speech_free_clips_in_flac(tmp_path: Path) -> None:
    write_copy(tmp_path, "speech", "WAV", "PCM_16", "wav")
    (tmp_path / "negative").mkdir()
    soundfile.write(tmp_path / "negative" / "hum.flac", np.zeros(16000), 16000, format="FLAC")
    corpus = load_corpus(tmp_path)
    assert [n.id for n in corpus.negatives] == ["negative/hum"] and not corpus.problems
    assert corpus.negatives[0].audio.duration_s == pytest.approx(1.0)


def test_what_cannot_be_used_is_named_not_skipped(tmp_path: Path) -> None:
    write_copy(tmp_path, "good", "FLAC", "PCM_16", "flac")
    (tmp_path / "lonely.txt").write_text("turn on the lights")
    (tmp_path / "song.m4a").write_bytes(b"\0\0\0 ftypM4A ")  # an audio format libsndfile does not read
    (tmp_path / "song.txt").write_text("play a song")
    (tmp_path / "clip.xyz").write_bytes(b"data")
    (tmp_path / "clip.txt").write_text("what is this")
    write_copy(tmp_path, "twice", "WAV", "PCM_16", "wav")
    write_copy(tmp_path, "twice", "FLAC", "PCM_16", "flac")
    (tmp_path / "README.md").write_text("notes about this corpus")  # not audio, no transcript: no problem
    (tmp_path / "manifest.json").write_text("{}")

    corpus = load_corpus(tmp_path)
    assert [u.id for u in corpus] == ["good"]
    problems = sorted(str(p) for p in corpus.problems)
    assert problems == [
        f"{tmp_path / 'clip.xyz'}: not an audio format libsndfile reads here (it reads {reads()})",
        f"{tmp_path / 'lonely.txt'}: transcript with no audio file next to it (expected lonely.wav, or {reads()})",
        f"{tmp_path / 'song.m4a'}: not an audio format libsndfile reads here (it reads {reads()})",
        f"{tmp_path / 'twice'}: 2 audio files for one name (twice.flac, twice.wav): keep one",
    ]


def reads() -> str:
    return corpus_module._readable_list()


def test_the_message_lists_the_common_formats_read_here() -> None:
    assert reads().startswith(".wav, .flac, .ogg")


def test_an_mp3_is_named_when_libsndfile_lacks_mp3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    formats = {name: text for name, text in soundfile.available_formats().items() if name != "MP3"}
    monkeypatch.setattr(soundfile, "available_formats", lambda: formats)
    corpus_module.audio_extensions.cache_clear()
    try:
        write_copy(tmp_path, "good", "WAV", "PCM_16", "wav")
        (tmp_path / "voice.mp3").write_bytes(b"ID3")
        (tmp_path / "voice.txt").write_text("hello")
        problems = [str(p) for p in load_corpus(tmp_path).problems]
    finally:
        corpus_module.audio_extensions.cache_clear()
    assert problems == [f"{tmp_path / 'voice.mp3'}: not an audio format libsndfile reads here (it reads {reads()})"]


def test_a_file_given_as_the_corpus_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    music = tmp_path / "music.txt"
    music.write_text("not a directory")
    code = main(["validate", "--stt", "127.0.0.1:1", "--tts", "127.0.0.1:1", "--corpus", str(music)])
    assert code == 2
    err = capsys.readouterr().err
    assert f"wyoming-rt: error: {music} is a file, not a directory: a corpus is a directory of NAME.wav + NAME.txt pairs" in err
    assert err.count("\n") == 1

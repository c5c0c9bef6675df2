"""The bundled non-English corpora (``corpus/<lang>/``, made by ``corpus/generate_languages.py``)
load cleanly and keep their contract: language, manifest, size, voices and clip format."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import soundfile

from wyoming_rt.corpus import load_corpus

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
LANGUAGE_DIRS = sorted(p.parent for p in CORPUS.glob("*/corpus.json"))
REQUIRED = {"de", "es", "fr", "it", "nl", "pl", "pt", "ru", "zh"}
"""Issue 17's languages besides English (the corpus in ``corpus/`` itself), with Chinese as the one
written without spaces."""


def test_every_required_language_has_a_corpus() -> None:
    assert {d.name for d in LANGUAGE_DIRS} >= REQUIRED


@pytest.fixture(params=LANGUAGE_DIRS, ids=lambda d: d.name)
def language_dir(request: pytest.FixtureRequest) -> Path:
    return request.param


def test_loads_without_problems_and_names_its_language(language_dir: Path) -> None:
    corpus = load_corpus(language_dir)
    assert not corpus.problems, corpus.problems
    assert not corpus.negatives  # speech-free clips come from the English corpus
    meta = json.loads((language_dir / "corpus.json").read_text(encoding="utf-8"))
    assert meta["language"] == language_dir.name
    assert set(meta) <= {"language", "name", "source"}


def test_manifest_lists_exactly_the_files_with_their_texts(language_dir: Path) -> None:
    manifest = json.loads((language_dir / "manifest.json").read_text(encoding="utf-8"))
    ids = [m["id"] for m in manifest]
    assert len(ids) == len(set(ids))
    assert {p.stem for p in language_dir.glob("*.flac")} == set(ids)
    assert {p.stem for p in language_dir.glob("*.txt")} == set(ids)
    assert not [p for p in language_dir.iterdir() if p.suffix.lower() in (".wav", ".ogg", ".mp3")]
    for item in manifest:
        text = (language_dir / f"{item['id']}.txt").read_text(encoding="utf-8")
        assert text == item["text"] + "\n", item["id"]
        assert {"id", "text", "voice", "engine", "intent", "duration_s"} <= set(item)


def test_enough_sentences_and_voices(language_dir: Path) -> None:
    manifest = json.loads((language_dir / "manifest.json").read_text(encoding="utf-8"))
    texts = Counter(m["text"] for m in manifest)
    assert len(texts) >= 25
    per_voice = Counter(m["voice"] for m in manifest)
    assert sum(n >= 3 for n in per_voice.values()) >= 2, per_voice
    voices_of: dict[str, set[str]] = {}
    for m in manifest:
        voices_of.setdefault(m["text"], set()).add(m["voice"])
    assert sum(len(v) >= 2 for v in voices_of.values()) >= 3


def test_clips_are_16_khz_mono_and_half_a_second_to_six_seconds(language_dir: Path) -> None:
    manifest = {m["id"]: m for m in json.loads((language_dir / "manifest.json").read_text(encoding="utf-8"))}
    for path in sorted(language_dir.glob("*.flac")):
        info = soundfile.info(str(path))
        assert (info.samplerate, info.channels, info.format, info.subtype) == (16000, 1, "FLAC", "PCM_16"), path.name
        seconds = info.frames / info.samplerate
        assert 0.5 <= seconds <= 6.0, path.name
        assert manifest[path.stem]["duration_s"] == pytest.approx(seconds, abs=0.001)

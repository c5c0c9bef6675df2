"""HA's end-of-speech plans are computed once per clip and kept on disk (wyoming_rt.cache)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from wyoming_rt import cache
from wyoming_rt.corpus import load_bundled_corpus
from wyoming_rt.endpointing import PLAN_CACHE, _plan_in_memory, end_of_speech, end_of_speech_cached, plan_all
from wyoming_rt.records.audio import PcmAudio

CLIPS = [u.audio.pcm for u in list(load_bundled_corpus())[:3]]


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path))
    _plan_in_memory.cache_clear()
    yield tmp_path
    _plan_in_memory.cache_clear()


def entries(root: Path) -> list[Path]:
    return sorted((root / PLAN_CACHE).rglob("*.json"))


def test_a_plan_is_computed_once_and_then_read_from_disk(cache_dir: Path) -> None:
    first = plan_all(CLIPS)
    assert (first.clips, first.from_cache) == (3, 0) and len(entries(cache_dir)) == 3
    _plan_in_memory.cache_clear()  # a new run: only the disk remembers
    second = plan_all(CLIPS)
    assert (second.clips, second.from_cache) == (3, 3)
    for pcm in CLIPS:
        assert end_of_speech_cached(pcm) == end_of_speech(PcmAudio(pcm, 16000, 2, 1))


@pytest.mark.parametrize(
    "entry",
    [
        "not json",
        json.dumps([1, 2]),
        json.dumps({"chunks": 10**9, "speech_end_chunk": 5, "ended_by": "silence"}),  # longer than the clip
        json.dumps({"chunks": 50, "speech_end_chunk": 60, "ended_by": "silence"}),  # speech after the end
        json.dumps({"chunks": 50, "speech_end_chunk": 40, "ended_by": "whenever"}),
        json.dumps({"chunks": 50, "speech_end_chunk": 40, "ended_by": "silence", "pad": "x" * 5000}),  # too large
    ],
)
def test_an_entry_that_is_not_a_plan_for_the_clip_is_computed_again(cache_dir: Path, entry: str) -> None:
    plan_all(CLIPS[:1])
    [path] = entries(cache_dir)
    path.write_text(entry)
    _plan_in_memory.cache_clear()
    stats = plan_all(CLIPS[:1])
    assert stats.from_cache == 0
    assert end_of_speech_cached(CLIPS[0]) == end_of_speech(PcmAudio(CLIPS[0], 16000, 2, 1))


def test_the_cache_can_be_turned_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(cache.ENV_VAR, "off")
    assert cache.cache_dir() is None
    cache.store("kind", "abcd", {"x": 1})
    assert cache.load("kind", "abcd") is None


def test_a_cache_that_cannot_be_written_is_skipped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(cache.ENV_VAR, str(blocker / "cache"))  # under a file: no directory can be made
    cache.store("kind", "abcd", {"x": 1})
    assert cache.load("kind", "abcd") is None


def test_keys_name_every_part() -> None:
    assert cache.content_key("settings", b"pcm") != cache.content_key("settings", b"pcm2")
    assert cache.content_key("ab", b"c") != cache.content_key("a", b"bc")

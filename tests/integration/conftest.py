"""Integration tests run against real servers: the upstream ones and ours (fixtures from wyoming_rt.pytest_plugin)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wyoming_rt.corpus import bundled_corpus_dir


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """Three bundled utterances in their own directory (quicker than the whole corpus)."""
    wavs = sorted(bundled_corpus_dir().glob("*.wav"))[:3]
    target = tmp_path / "small"
    target.mkdir()
    for wav in wavs:
        shutil.copy(wav, target / wav.name)
        shutil.copy(wav.with_suffix(".txt"), target / wav.with_suffix(".txt").name)
    return target

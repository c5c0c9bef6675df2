"""A corpus as data: utterances (id, reference text, audio in HA's format) and where they came from."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from wyoming_rt.records.audio import PcmAudio
from wyoming_rt.records.errors import CorpusError


@dataclass(frozen=True)
class Corpus:
    """An ordered collection of utterances and where it came from."""

    name: str
    utterances: Sequence[Utterance]
    problems: Sequence[CorpusError] = ()
    """Files that could not be used; each names its file. The usable ones still run."""
    negatives: Sequence[Utterance] = ()
    """Clips with no speech (``negative/*.wav``): the expected transcript is empty."""
    language: str | None = None
    """The language the utterances are spoken in (``corpus.json``), ``None`` when unsaid."""

    def __iter__(self) -> Iterator[Utterance]:
        return iter(self.utterances)

    def __len__(self) -> int:
        return len(self.utterances)


@dataclass(frozen=True)
class Utterance:
    """One input: an id, the exact reference text, and the audio in HA's format."""

    id: str
    reference: str
    audio: PcmAudio
    source: Path | None = None

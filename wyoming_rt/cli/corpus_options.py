"""``--only`` and ``--repeat``: the corpus a ``validate`` run sends, shaped before the run
(``--corpus`` names it: `wyoming_rt.corpus.load_named_corpus`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from fnmatch import fnmatchcase

from wyoming_rt.records.corpus import Corpus
from wyoming_rt.records.errors import UsageError

SHOWN_IDS = 5
"""How many of the corpus's ids a "no match" error names."""


def only(corpus: Corpus, patterns: Sequence[str]) -> Corpus:
    """The utterances (and speech-free clips) whose id matches any of the glob ``patterns``
    (`fnmatch`, case-sensitive); the corpus itself when none is given. `UsageError` when no
    utterance matches, naming a few ids."""
    if not patterns:
        return corpus

    def chosen(uid: str) -> bool:
        return any(fnmatchcase(uid, pattern) for pattern in patterns)

    utterances = [u for u in corpus if chosen(u.id)]
    if not utterances:
        ids = [u.id for u in corpus]
        shown = ", ".join(ids[:SHOWN_IDS]) + (", ..." if len(ids) > SHOWN_IDS else "")
        given = " ".join(f"--only {p}" for p in patterns)
        raise UsageError(f"{given}: no utterance id matches (the corpus has {len(ids)}: {shown})")
    negatives = [n for n in corpus.negatives if chosen(n.id)]
    return replace(corpus, name=f"{corpus.name} (only {', '.join(patterns)})", utterances=utterances, negatives=negatives)


def repeat(corpus: Corpus, times: int) -> Corpus:
    """Every utterance ``times`` times, the whole corpus once per pass; the copies' ids end in
    ``#2`` .. ``#N``, so that each round trip has its own row and latency percentiles more samples.
    The speech-free clips are sent once."""
    if times <= 1:
        return corpus
    copies = [replace(u, id=f"{u.id}#{n}") for n in range(2, times + 1) for u in corpus]
    return replace(corpus, name=f"{corpus.name} (x{times})", utterances=[*corpus, *copies])

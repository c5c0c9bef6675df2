"""Shards: a deterministic share of a corpus, so that one corpus can run as N jobs and merge.

An utterance belongs to shard ``1 + H(id) mod N``, where H is the first 8 bytes of the SHA-256 of
its id: a shard's share depends on its own ids only, so it does not change when files are added or
removed elsewhere in the corpus, and every machine computes the same split.
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from wyoming_rt.records.corpus import Corpus

MAX_SHARDS = 10_000
"""More shards than this is a typo, not a plan."""


def shard_number(utterance_id: str, count: int) -> int:
    """The shard (1 .. ``count``) the utterance ``utterance_id`` belongs to."""
    digest = hashlib.sha256(utterance_id.encode("utf-8", "surrogatepass")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % count


def ids_digest(ids: Iterable[str]) -> str:
    """A fingerprint of a set of ids (sorted, so order does not count): how shards show that they
    were cut from the same corpus, and a merge that it has all of it."""
    joined = "\n".join(sorted(ids)).encode("utf-8", "surrogatepass")
    return hashlib.sha256(joined).hexdigest()


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based, as ``--shard 2/3`` writes it)."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count <= MAX_SHARDS:
            raise ValueError(f"shard {self.index}/{self.count}: expected I/N with 1 <= I <= N <= {MAX_SHARDS}")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @property
    def runs_probes(self) -> bool:
        """The conformance probes test the servers, not the corpus: shard 1 alone runs them."""
        return self.index == 1

    def holds(self, utterance_id: str) -> bool:
        return shard_number(utterance_id, self.count) == self.index

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``I/N`` (the command line's form); `argparse.ArgumentTypeError` otherwise."""
        index, sep, count = text.partition("/")
        try:
            if not sep:
                raise ValueError
            return cls(int(index), int(count))
        except ValueError as exc:
            detail = f": {exc}" if str(exc) else ""
            raise argparse.ArgumentTypeError(f"expected a shard as I/N, e.g. 2/3, got {text!r}{detail}") from exc


@dataclass(frozen=True)
class ShardedCorpus:
    """A shard's share of a corpus, and what the whole corpus was (for the merge's checks)."""

    corpus: Corpus
    shard: Shard
    corpus_utterances: int
    corpus_negatives: int
    corpus_ids_sha256: str

    def settings(self) -> dict[str, Any]:
        """What the report records of the shard (``settings.shard``)."""
        return {
            "index": self.shard.index,
            "count": self.shard.count,
            "utterances": len(self.corpus.utterances),
            "negatives": len(self.corpus.negatives),
            "corpus_utterances": self.corpus_utterances,
            "corpus_negatives": self.corpus_negatives,
            "corpus_ids_sha256": self.corpus_ids_sha256,
            "probes": self.shard.runs_probes,
        }


def shard_corpus(corpus: Corpus, shard: Shard) -> ShardedCorpus:
    """The utterances and speech-free clips of ``corpus`` that belong to ``shard`` (corpus order
    kept); the corpus's name is kept, so that every shard's report names the same corpus."""
    ids = [u.id for u in corpus.utterances] + [n.id for n in corpus.negatives]
    share = replace(
        corpus,
        utterances=[u for u in corpus.utterances if shard.holds(u.id)],
        negatives=[n for n in corpus.negatives if shard.holds(n.id)],
    )
    return ShardedCorpus(share, shard, len(corpus.utterances), len(corpus.negatives), ids_digest(ids))

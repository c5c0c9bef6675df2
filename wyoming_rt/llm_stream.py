"""An LLM's answer as Home Assistant streams it into a TTS server: token-sized text deltas at a
steady rate, grouped as HA's assist pipeline groups them before it writes ``synthesize-chunk``s.

HA (assist_pipeline, ``STREAM_RESPONSE_CHARS``) starts streaming into TTS only once the answer
is longer than 60 characters: the first chunk is everything so far, every later delta is a chunk
of its own. A shorter answer goes as one chunk when the LLM has finished.

The deltas are cut with a regular expression that mimics a BPE tokenizer's pieces (a word piece
of up to four letters with its leading space, up to three digits, punctuation); a real tokenizer
(tiktoken) needs its vocabulary downloaded, which a CI job cannot count on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STREAM_RESPONSE_CHARS = 60
"""HA streams an answer into TTS once it is longer than this (assist_pipeline)."""
DEFAULT_TOKENS_PER_S = 20.0
"""A typical local LLM on modest hardware."""

_TOKEN = re.compile(r" ?[^\W\d_]{1,4}| ?\d{1,3}| ?[^\w\s]{1,2}|\s+|.", re.DOTALL)


def token_deltas(text: str) -> list[str]:
    """Token-sized pieces that join back to exactly ``text``."""
    return _TOKEN.findall(text)


@dataclass(frozen=True)
class TimedChunk:
    """One ``synthesize-chunk`` and when HA writes it, in seconds after the first delta."""

    at_s: float
    text: str


def ha_tts_chunks(text: str, tokens_per_s: float = DEFAULT_TOKENS_PER_S) -> list[TimedChunk]:
    """The ``synthesize-chunk``s HA writes for ``text`` produced by an LLM at ``tokens_per_s``."""
    deltas = token_deltas(text)
    if not deltas:
        return [TimedChunk(0.0, text)]
    step = 1.0 / tokens_per_s if tokens_per_s > 0 else 0.0
    chunks: list[TimedChunk] = []
    pending = ""
    for index, delta in enumerate(deltas):
        at_s = index * step
        if chunks:
            chunks.append(TimedChunk(at_s, delta))
            continue
        pending += delta
        if len(pending) > STREAM_RESPONSE_CHARS:
            chunks.append(TimedChunk(at_s, pending))
    if not chunks:  # a short answer: one chunk when the LLM is done
        chunks.append(TimedChunk((len(deltas) - 1) * step, pending))
    return chunks


__all__ = ["DEFAULT_TOKENS_PER_S", "STREAM_RESPONSE_CHARS", "TimedChunk", "ha_tts_chunks", "token_deltas"]

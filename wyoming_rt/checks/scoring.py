"""Word and character error rates, raw and after English normalisation (jiwer).

"Raw" compares the words as written (case and punctuation count). "Normalised" first applies
Whisper's English normaliser, so "ten" and "10", "Kansas?" and "kansas", "50 percent" and
"50%" agree: the figure that says whether the server understood the words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import jiwer
from whisper_normalizer.english import EnglishTextNormalizer


@lru_cache(maxsize=1)
def _normalizer() -> EnglishTextNormalizer:
    return EnglishTextNormalizer()


# Clock times: "7:30", "7.30" (Whisper's usual spelling) and "7 30" must agree; the
# Whisper normaliser keeps "7.30" as a decimal and splits "7:30" into two words.
_CLOCK_TIME = re.compile(r"\b([01]?\d|2[0-3])[:.]([0-5]\d)\b")


@lru_cache(maxsize=1024)
def normalize(text: str) -> str:
    """Whisper's English normalisation (clock times split first), whitespace folded. Kept for the
    texts seen last: a run normalises each reference many times (WER, back WER, crosstalk checks),
    and the normaliser's regular expressions are most of what scoring costs."""
    return " ".join(_normalizer()(_CLOCK_TIME.sub(r"\1 \2", text)).split())


def _raw(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Score:
    """Error rates of one hypothesis (or a whole corpus) against its reference."""

    wer: float | None
    cer: float | None
    wer_raw: float | None
    cer_raw: float | None
    capped: bool = False
    """A text was longer than `MAX_SCORED_CHARS`: the rates cover its beginning only."""


def _rates(references: list[str], hypotheses: list[str]) -> tuple[float | None, float | None]:
    pairs = [(r, h) for r, h in zip(references, hypotheses, strict=True) if r]
    if not pairs:
        return None, None
    refs = [r for r, _ in pairs]
    hyps = [h for _, h in pairs]
    return float(jiwer.wer(refs, hyps)), float(jiwer.cer(refs, hyps))


def score(reference: str, hypothesis: str) -> Score:
    """Score one transcript. Rates are ``None`` when the reference has no words."""
    return score_corpus([reference], [hypothesis])


MAX_SCORED_CHARS = 5_000
"""Each text is scored over at most this many characters (cut at a word): alignment grows with
the product of the lengths, and a server can send a megabyte of transcript."""


def cap_text(text: str) -> str:
    """``text`` cut to `MAX_SCORED_CHARS` at a word boundary (unchanged when shorter)."""
    if len(text) <= MAX_SCORED_CHARS:
        return text
    cut = text[:MAX_SCORED_CHARS]
    return cut[: cut.rfind(" ")] if " " in cut else cut


def score_corpus(references: Sequence[str], hypotheses: Sequence[str]) -> Score:
    """Corpus-level rates: total errors over total reference words (not a mean of rates)."""
    if len(references) != len(hypotheses):
        raise ValueError("references and hypotheses differ in length")
    capped = any(len(t) > MAX_SCORED_CHARS for t in (*references, *hypotheses))
    references, hypotheses = [cap_text(r) for r in references], [cap_text(h) for h in hypotheses]
    wer, cer = _rates([normalize(r) for r in references], [normalize(h) for h in hypotheses])
    wer_raw, cer_raw = _rates([_raw(r) for r in references], [_raw(h) for h in hypotheses])
    return Score(wer=wer, cer=cer, wer_raw=wer_raw, cer_raw=cer_raw, capped=capped)

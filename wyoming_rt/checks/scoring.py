"""Word and character error rates, raw and after normalisation for the language (jiwer).

"Raw" compares the words as written (case and punctuation count). "Normalised" first applies
Whisper's English normaliser (other languages: `wyoming_rt.checks.language_text`), so "ten" and
"10", "Kansas?" and "kansas", "50 percent" and "50%" agree: the figure that says whether the
server understood the words. A language written without spaces (Chinese, Japanese) has its
normalised WER counted over characters, so that WER = CER there: the headline rate and the WER
gate mean the same thing in every language.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import jiwer

from wyoming_rt.checks.language_text import is_unspaced, normalize_for_language


@lru_cache(maxsize=1024)
def normalize(text: str, language: str | None = None) -> str:
    """The normalised words of ``text``, single-spaced: `normalize_for_language` (Whisper's English
    normaliser, clock times split first, for English or no language), and a language written
    without spaces as its characters, space-separated. Kept for the texts seen last: a run
    normalises each reference many times (WER, back WER, crosstalk checks), and the normalisers'
    regular expressions are most of what scoring costs."""
    normalised = normalize_for_language(text, language)
    return " ".join(normalised.replace(" ", "")) if is_unspaced(language) else normalised


def _raw(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class ErrorCounts:
    """The edit operations aligning a hypothesis with its reference (jiwer), in words or characters:
    what corpus rates are made of, summed exactly over utterances, runs and shards."""

    substitutions: int
    deletions: int
    insertions: int
    reference: int
    """Words (or characters) in the reference: hits + substitutions + deletions."""

    @property
    def rate(self) -> float | None:
        """(S + D + I) / reference; ``None`` for an empty reference."""
        if not self.reference:
            return None
        return (self.substitutions + self.deletions + self.insertions) / self.reference

    def __add__(self, other: ErrorCounts) -> ErrorCounts:
        return ErrorCounts(
            self.substitutions + other.substitutions,
            self.deletions + other.deletions,
            self.insertions + other.insertions,
            self.reference + other.reference,
        )

    def to_dict(self) -> dict[str, int]:
        return {"substitutions": self.substitutions, "deletions": self.deletions, "insertions": self.insertions,
                "reference": self.reference}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, int]) -> ErrorCounts:
        return cls(int(data["substitutions"]), int(data["deletions"]), int(data["insertions"]), int(data["reference"]))


MEASURES = ("wer", "cer", "wer_raw", "cer_raw")
"""The four rates of a `Score`, in the order of its fields."""


@dataclass(frozen=True)
class ScoreCounts:
    """The counts behind a `Score`: each measure's `ErrorCounts`, ``None`` where the reference is
    empty (after normalisation, for the normalised measures)."""

    wer: ErrorCounts | None = None
    cer: ErrorCounts | None = None
    wer_raw: ErrorCounts | None = None
    cer_raw: ErrorCounts | None = None

    def __add__(self, other: ScoreCounts) -> ScoreCounts:
        def add(a: ErrorCounts | None, b: ErrorCounts | None) -> ErrorCounts | None:
            return b if a is None else a if b is None else a + b

        return ScoreCounts(*(add(getattr(self, m), getattr(other, m)) for m in MEASURES))

    def to_dict(self) -> dict[str, dict[str, int] | None]:
        return {m: (c.to_dict() if (c := getattr(self, m)) is not None else None) for m in MEASURES}

    @classmethod
    def from_dict(cls, data: dict[str, dict[str, int] | None]) -> ScoreCounts:
        return cls(*(None if (c := data.get(m)) is None else ErrorCounts.from_dict(c) for m in MEASURES))


@dataclass(frozen=True)
class Score:
    """Error rates of one hypothesis (or a whole corpus) against its reference."""

    wer: float | None
    cer: float | None
    wer_raw: float | None
    cer_raw: float | None
    capped: bool = False
    """A text was longer than `MAX_SCORED_CHARS`: the rates cover its beginning only."""
    counts: ScoreCounts | None = None
    """The edit counts the rates come from (``None`` in a report written before they were kept)."""

    @classmethod
    def of_counts(cls, counts: ScoreCounts, capped: bool = False) -> Score:
        """The rates of summed counts: total errors over total reference words (or characters)."""

        def rate(c: ErrorCounts | None) -> float | None:
            return None if c is None else c.rate

        return cls(rate(counts.wer), rate(counts.cer), rate(counts.wer_raw), rate(counts.cer_raw), capped, counts)


def _counts(reference: str, hypothesis: str, characters: bool) -> ErrorCounts | None:
    if not reference:
        return None
    out = jiwer.process_characters(reference, hypothesis) if characters else jiwer.process_words(reference, hypothesis)
    return ErrorCounts(out.substitutions, out.deletions, out.insertions, out.hits + out.substitutions + out.deletions)


def count_errors(reference: str, hypothesis: str, language: str | None = None) -> ScoreCounts:
    """The edit counts of one transcript, normalised for ``language`` and raw (texts capped as
    `score` caps them). Without spaces between words (`is_unspaced`), the normalised CER is over
    the characters alone, not the spaces `normalize` puts between them."""
    reference, hypothesis = cap_text(reference), cap_text(hypothesis)
    norm_ref, norm_hyp = normalize(reference, language), normalize(hypothesis, language)
    raw_ref, raw_hyp = _raw(reference), _raw(hypothesis)
    char_ref, char_hyp = (norm_ref.replace(" ", ""), norm_hyp.replace(" ", "")) if is_unspaced(language) else (norm_ref, norm_hyp)
    return ScoreCounts(
        _counts(norm_ref, norm_hyp, characters=False),
        _counts(char_ref, char_hyp, characters=True),
        _counts(raw_ref, raw_hyp, characters=False),
        _counts(raw_ref, raw_hyp, characters=True),
    )


def score(reference: str, hypothesis: str, language: str | None = None) -> Score:
    """Score one transcript (normalised for ``language``: default English). Rates are ``None``
    when the reference has no words."""
    return score_corpus([reference], [hypothesis], language)


MAX_SCORED_CHARS = 5_000
"""Each text is scored over at most this many characters (cut at a word): alignment grows with
the product of the lengths, and a server can send a megabyte of transcript."""


def cap_text(text: str) -> str:
    """``text`` cut to `MAX_SCORED_CHARS` at a word boundary (unchanged when shorter)."""
    if len(text) <= MAX_SCORED_CHARS:
        return text
    cut = text[:MAX_SCORED_CHARS]
    return cut[: cut.rfind(" ")] if " " in cut else cut


def score_corpus(references: Sequence[str], hypotheses: Sequence[str], language: str | None = None) -> Score:
    """Corpus-level rates: total errors over total reference words (not a mean of rates)."""
    if len(references) != len(hypotheses):
        raise ValueError("references and hypotheses differ in length")
    capped = any(len(t) > MAX_SCORED_CHARS for t in (*references, *hypotheses))
    counts = (count_errors(r, h, language) for r, h in zip(references, hypotheses, strict=True))
    return Score.of_counts(sum_counts(counts), capped)


def sum_counts(counts: Iterable[ScoreCounts]) -> ScoreCounts:
    """The counts of many transcripts together (exact: integers)."""
    total = ScoreCounts()
    for c in counts:
        total += c
    return total

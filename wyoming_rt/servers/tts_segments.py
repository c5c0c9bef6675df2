"""Cutting text into the pieces the TTS server renders one at a time.

Text arrives in deltas (an LLM's answer, token by token) or at once; `ClauseSegmenter` hands out
a piece as soon as the text so far ends one:

- at a clause mark (comma, semicolon, colon, dash) once the piece has `MIN_CLAUSE_WORDS` words,
  fewer than that makes choppy speech ("Sure," alone);
- at a sentence end (``.``, ``!``, ``?``, ``…``, a line break), whatever its length, except
  after an abbreviation (``Dr.``, ``e.g.``, an initial);
- with no such boundary, after ``first_piece_words`` words for the first piece (so that an
  unpunctuated answer still starts) and ``max_piece_words`` for the others (so that a long
  sentence does not hold audio back), unless the text already there ends a clause within
  `LOOKAHEAD_WORDS` more; never longer than `MAX_PIECE_CHARS`.

A boundary counts only once the text after it has begun (a space, a new word): ``3.5``,
``10:30`` and ``1,000`` are never cut, nor is any word. The phoneme level keeps its own bound
(`split_long`), whatever the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_CLAUSE_WORDS = 4
"""A clause mark ends a piece only after this many words (about 18 phonemes): enough for Piper to
give the clause its own natural intonation."""
FIRST_PIECE_WORDS = 8
"""With no boundary, the first piece ends after this many words."""
MAX_PIECE_WORDS = 20
"""With no boundary, a later piece ends after this many words (about 100-130 phonemes, well under
`MAX_SEGMENT_PHONEMES`)."""
LOOKAHEAD_WORDS = 4
"""Past the word limit, a clause boundary that has already arrived within this many more words
ends the piece rather than a cut between two words of a clause (HA sends an LLM's first 60
characters at once)."""
MAX_PIECE_CHARS = 200
"""No piece is longer: words are cut at a word gap before it, a single longer "word" hard."""
MAX_SEGMENT_PHONEMES = 200
"""No segment is synthesised longer than this (about 12 s of speech): Piper's memory grows with
the length of what it renders at once, and one unpunctuated sentence of 20,000 characters would
take it past 4 GB."""

_WORD = re.compile(r"[^\s—–]+[—–]*|[—–]+")  # an em or en dash ends a word even without a space
_LINE_BREAK = re.compile(r"[^\S\n]*\n")
_CLOSERS = "\"')]}’”»*"
_OPENERS = "\"'([{‘“«*"
_CLAUSE_END = (",", ";", ":", "—", "–")
_DASHES = {"-", "--", "—", "–"}
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "vs", "etc", "approx", "fig", "mt", "ft", "no", "nos",
    "inc", "ltd", "co", "dept", "est", "min", "max", "avg", "gen", "gov", "sgt", "capt", "rev", "hon",
}  # fmt: skip
"""Words whose final dot does not end a sentence (``No. 5``; a bare "No." then waits for the next boundary)."""
_WORD_ASTERISKS = re.compile(r"\*+([^*]+)\*+")
_LINE_MARKERS = re.compile(r"(?m)^\s*(?:[*#>]+|[-•](?=\s))\s*")


@dataclass(frozen=True)
class PieceLimits:
    """How the text is cut: see the module's docstring."""

    first_piece_words: int = FIRST_PIECE_WORDS
    """0: the first piece is cut like any other."""
    max_piece_words: int = MAX_PIECE_WORDS
    min_clause_words: int = MIN_CLAUSE_WORDS


class ClauseSegmenter:
    """Text in (``add`` each delta, then ``finish``), speakable pieces out, in order."""

    def __init__(self, limits: PieceLimits | None = None) -> None:
        self.limits = limits or PieceLimits()
        self.buffer = ""
        self.pieces = 0

    def add(self, delta: str) -> list[str]:
        """The pieces this delta completes."""
        self.buffer += delta
        return self._take(final=False)

    def finish(self) -> list[str]:
        """The rest of the text, cut the same way."""
        pieces = self._take(final=True)
        rest = clean(self.buffer)
        self.buffer = ""
        return [*pieces, rest] if rest else pieces

    def _take(self, *, final: bool) -> list[str]:
        pieces = []
        while (cut := self._next_cut(final)) is not None:
            piece = clean(self.buffer[:cut])
            self.buffer = self.buffer[cut:].lstrip()
            if piece:
                pieces.append(piece)
                self.pieces += 1
        return pieces

    def _word_limit(self) -> int:
        limits = self.limits
        return limits.first_piece_words if self.pieces == 0 and limits.first_piece_words > 0 else limits.max_piece_words

    def _next_cut(self, final: bool) -> int | None:
        """Where the next piece ends in the buffer, or None while it has not ended yet."""
        text = self.buffer
        limit = max(1, self._word_limit())
        words = 0
        last_end = 0
        at_limit: int | None = None
        for match in _WORD.finditer(text):
            start, end = match.span()
            if end - start > MAX_PIECE_CHARS:
                return last_end or start + MAX_PIECE_CHARS  # one "word" longer than a piece: cut it hard
            if end > MAX_PIECE_CHARS and last_end:
                return at_limit or last_end  # the piece is full: it ends before this word
            if end == len(text) and not final:
                return at_limit  # the word may go on in the next delta
            word = match.group()
            words += word not in _DASHES
            if _LINE_BREAK.match(text, end) or _ends_sentence(word):
                return end
            if words >= self.limits.min_clause_words and _ends_clause(word):
                return end
            if words >= limit + LOOKAHEAD_WORDS:
                return at_limit or end
            if words >= limit and at_limit is None:
                at_limit = end  # cut here, unless the text already there ends a clause soon after
            last_end = end
        return at_limit


def _ends_sentence(word: str) -> bool:
    core = word.rstrip(_CLOSERS)
    if core.endswith(("!", "?", "…", "..")):
        return True
    if not core.endswith("."):
        return False
    stem = core[:-1].lstrip(_OPENERS)
    if not stem or "." in stem or stem.lower() in _ABBREVIATIONS:
        return False  # "Dr.", "e.g.", "U.S.", "a.m."
    return not (len(stem) == 1 and stem.isalpha())  # an initial: "J. Smith"


def _ends_clause(word: str) -> bool:
    if word in _DASHES:
        return True
    return word.rstrip(_CLOSERS).endswith(_CLAUSE_END)


def clean(text: str) -> str:
    """A piece as it is spoken: markdown emphasis, bullets and headings dropped, one space between words."""
    text = _LINE_MARKERS.sub("", _WORD_ASTERISKS.sub(r"\1", text))
    return " ".join(text.split())


def segment(text: str, limits: PieceLimits | None = None) -> list[str]:
    """A whole text's pieces, as the streamed text would give them."""
    segmenter = ClauseSegmenter(limits)
    return [*segmenter.add(text), *segmenter.finish()]


# -- the phoneme level ---------------------------------------------------------------------

_PHONEME_CLAUSE_END = {",", ";", ":", "—", "–"}
_WORD_GAP = " "


def _cut(phonemes: list[str], target: int) -> tuple[list[str], list[str]]:
    """Split a sentence's phonemes near ``target``: after a clause mark if there is one before
    it, else at the last word gap before it. No cut when either part would be tiny."""
    minimum = max(6, target // 3)
    if len(phonemes) < target + minimum:
        return phonemes, []
    window = range(min(target, len(phonemes) - minimum), minimum - 1, -1)
    for i in window:
        if phonemes[i - 1] in _PHONEME_CLAUSE_END:
            return phonemes[:i], phonemes[i:]
    for i in window:
        if phonemes[i] == _WORD_GAP:
            return phonemes[:i], phonemes[i + 1 :]
    return phonemes, []


def split_long(phonemes: list[str], limit: int) -> list[list[str]]:
    """``phonemes`` in pieces of at most ``limit``: at clause marks or word gaps where there are
    some (`_cut`), else hard at the limit. Every sentence, so that memory per piece is bounded
    whatever the text."""
    pieces = []
    while len(phonemes) > limit:
        head, tail = _cut(phonemes, limit)
        if not tail or len(head) > limit:
            head, tail = phonemes[:limit], phonemes[limit:]
        pieces.append(head)
        phonemes = tail
    return [*pieces, phonemes] if phonemes else pieces

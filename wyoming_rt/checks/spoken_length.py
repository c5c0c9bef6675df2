"""How much speech a text asks for, counted in letters of an alphabetic script: a Chinese character
or a Korean syllable block is a whole syllable (about three letters' worth of speech), a kana one
mora (about two). The TTS duration and speaking-rate checks measure a text with it, so that a
Chinese voice at a natural four to five characters a second is not taken for a slow one."""

from __future__ import annotations

SYLLABLE_LETTERS = 3
"""Letters' worth of speech in one CJK ideograph or Hangul syllable block."""
KANA_LETTERS = 2
"""Letters' worth of speech in one kana (a mora)."""

_SYLLABLES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xAC00, 0xD7AF), (0x20000, 0x3134F))
_KANA = ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F))


def _within(code: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(low <= code <= high for low, high in ranges)


def letter_weight(char: str) -> int:
    """How many letters of speech one character stands for."""
    code = ord(char)
    if _within(code, _SYLLABLES):
        return SYLLABLE_LETTERS
    return KANA_LETTERS if _within(code, _KANA) else 1


def spoken_letters(text: str) -> int:
    """The text's length in letters of speech (its characters, spaces and punctuation included,
    as the checks' thresholds were set on; a syllabic character counts for its weight)."""
    return sum(letter_weight(char) for char in text.strip())


def weighting_note(text: str) -> str:
    """What the checks' messages add when the text was weighted, else ""."""
    return (
        " (a Chinese, Japanese or Korean character counted as 2-3 letters)" if spoken_letters(text) != len(text.strip()) else ""
    )

"""Streaming transcripts by local agreement: a word is sent once two consecutive decodes of the
audio so far agree on it (and on every word before it), never the last word of a decode, which
may be cut off mid-word. The chunks are deltas: joined, they are the start of the transcript."""

from __future__ import annotations

import string

_PUNCTUATION = str.maketrans("", "", string.punctuation)


def _key(word: str) -> str:
    """A word as agreement compares it: case and punctuation do not count."""
    return word.lower().translate(_PUNCTUATION)


def _keys(words: list[str]) -> list[str]:
    return [_key(w) for w in words]


class LocalAgreement:
    """The words sent so far as ``transcript-chunk`` deltas, and the last decode."""

    def __init__(self) -> None:
        self.previous: list[str] = []
        self.sent: list[str] = []

    def update(self, text: str) -> str | None:
        """Take a decode of the audio so far; the delta now stable enough to send, or None."""
        words = text.split()
        previous, self.previous = _keys(self.previous), words
        agreed = 0
        for a, b in zip(previous, _keys(words[:-1]), strict=False):
            if a != b:
                break
            agreed += 1
        if agreed <= len(self.sent) or _keys(words[: len(self.sent)]) != _keys(self.sent):
            return None
        return self._send(words[len(self.sent) : agreed])

    def remainder(self, final: str) -> str | None:
        """The last delta: the final transcript's words after those already sent (None: none left)."""
        rest = final.split()[len(self.sent) :]
        return self._send(rest) if rest else None

    def agrees_with(self, final: str) -> bool:
        """Whether the words already sent start the final transcript."""
        return _keys(final.split()[: len(self.sent)]) == _keys(self.sent)

    def _send(self, words: list[str]) -> str:
        delta = (" " if self.sent else "") + " ".join(words)
        self.sent.extend(words)
        return delta


__all__ = ["LocalAgreement"]

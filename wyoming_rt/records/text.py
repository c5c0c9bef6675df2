"""Whether a text can be passed on as UTF-8.

A Python string can hold what UTF-8 cannot encode: a lone surrogate (U+D800-U+DFFF), which a
JSON ``\\ud800`` escape from a server or a file name that is not UTF-8 puts there."""

from __future__ import annotations


def first_unencodable(text: str) -> int | None:
    """The index of the first character of ``text`` that UTF-8 cannot encode, or ``None``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def is_encodable(text: str) -> bool:
    """True when ``text`` encodes as UTF-8 (it holds no lone surrogate)."""
    return first_unencodable(text) is None

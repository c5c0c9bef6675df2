"""Language tags as Home Assistant, Whisper and Piper write them (``de``, ``de-DE``, ``pt_BR``,
``zh-Hans``), and the base language two tags share."""

from __future__ import annotations

import re

LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")
"""A language tag: a 2–3 letter language code, then optional region/script subtags."""


def base_language(tag: str | None) -> str | None:
    """The language code of a tag, lower case: ``de-DE`` → ``de``, ``pt_BR`` → ``pt``,
    ``zh-Hans`` → ``zh``; ``None`` for ``None`` or a blank tag."""
    if tag is None or not tag.strip():
        return None
    return re.split(r"[-_]", tag.strip(), maxsplit=1)[0].lower()


def same_language(a: str | None, b: str | None) -> bool:
    """Whether two tags name the same language (their base codes agree), as HA matches a
    pipeline's language against the languages a server lists."""
    return base_language(a) is not None and base_language(a) == base_language(b)

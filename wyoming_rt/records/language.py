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


def lists_language(tags: list[str], asked: str | None) -> bool:
    """Whether any of the listed ``tags`` names the language of ``asked`` (`same_language`)."""
    return any(same_language(asked, tag) for tag in tags)


def listed_language(asked: str | None, listed: list[str] | None) -> str | None:
    """The tag HA sends for ``asked`` to a server that lists ``listed``: HA's pipeline holds one of
    the engine's own tags, so ``asked`` itself when listed, else the first listed tag of the same
    language (``de-DE`` to a server listing ``de`` is sent as ``de``), else ``asked`` unchanged."""
    if asked is None or not listed or asked in listed:
        return asked
    return next((tag for tag in listed if same_language(tag, asked)), asked)

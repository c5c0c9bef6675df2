"""Reading a server's info defensively: a list where a list belongs, dicts inside it, whatever
the server sent (``"asr": 5``, ``"voices": 3``, ``null``). Shapes that are wrong read as empty,
so the info rules name them instead of the run crashing."""

from __future__ import annotations

from typing import Any


def entries(container: Any, key: str) -> list[dict[str, Any]]:
    """The dicts in ``container[key]`` when that is a list; nothing otherwise."""
    value = container.get(key) if isinstance(container, dict) else None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def installed(container: Any, key: str) -> list[dict[str, Any]]:
    """The entries of ``container[key]`` marked installed."""
    return [item for item in entries(container, key) if item.get("installed")]


def languages_of(artifacts: list[dict[str, Any]]) -> list[str]:
    """The language tags the artifacts (models or voices) list, in order, once each; entries that
    are not strings are skipped."""
    seen: dict[str, None] = {}
    for artifact in artifacts:
        listed = artifact.get("languages")
        if isinstance(listed, list):
            seen.update((tag, None) for tag in listed if isinstance(tag, str))
    return list(seen)


def stt_languages(info_data: Any) -> list[str] | None:
    """The languages HA offers an STT server for: those of the installed models of its first
    installed asr program; ``None`` when it has no such program (another rule names that)."""
    programs = installed(info_data, "asr")
    return languages_of(installed(programs[0], "models")) if programs else None


def tts_languages(info_data: Any) -> list[str] | None:
    """The languages HA offers a TTS server for: those of the installed voices of its first
    installed tts program; ``None`` when it has no such program."""
    programs = installed(info_data, "tts")
    return languages_of(installed(programs[0], "voices")) if programs else None

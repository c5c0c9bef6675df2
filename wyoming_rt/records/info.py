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

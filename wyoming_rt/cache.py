"""An on-disk cache of facts the run derives from audio at a CPU cost, keyed by content.

What it holds is cheap to keep (a few numbers per clip) and costly to compute: HA's end-of-speech
plan takes the voice detector about 13 ms of CPU per second of audio, more than the rest of a
run together. A corpus is sent again run after run, so each clip's plan is computed once.

Entries live in the user's cache directory (`platformdirs`; ``~/.cache/wyoming-rt`` on Linux), or
in ``$WYOMING_RT_CACHE_DIR``; ``WYOMING_RT_CACHE_DIR=off`` (or empty) turns the cache off. A key
names everything the value depends on (the content's hash, the library version, the settings),
so an entry is never stale, only unused. Each entry is its own small JSON file written
atomically, so that runs in parallel (CI shards) share the cache safely. Any entry that cannot be
read is treated as missing: the cache can make a run faster, never wrong or failed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

ENV_VAR = "WYOMING_RT_CACHE_DIR"
MAX_ENTRY_BYTES = 4096
"""An entry is a few numbers; anything larger is not ours and is ignored."""


def cache_dir() -> Path | None:
    """Where entries live, or None when the cache is off."""
    configured = os.environ.get(ENV_VAR)
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0", "none") else Path(configured)
    from platformdirs import user_cache_path

    return user_cache_path("wyoming-rt")


def content_key(*parts: bytes | str) -> str:
    """A key from the content and every setting the value depends on."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def _entry(kind: str, key: str) -> Path | None:
    root = cache_dir()
    return None if root is None else root / kind / key[:2] / f"{key}.json"


def load(kind: str, key: str) -> dict[str, Any] | None:
    """The entry stored under ``kind``/``key``, or None (missing, unreadable, or not an object)."""
    path = _entry(kind, key)
    if path is None:
        return None
    try:
        with path.open("rb") as file:
            data = file.read(MAX_ENTRY_BYTES + 1)
        value = json.loads(data) if len(data) <= MAX_ENTRY_BYTES else None
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def store(kind: str, key: str, value: dict[str, Any]) -> None:
    """Store an entry; a cache that cannot be written (read-only, full) is silently skipped."""
    path = _entry(kind, key)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "w") as file:
                json.dump(value, file)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return


__all__ = ["ENV_VAR", "cache_dir", "content_key", "load", "store"]

"""The upstream servers (wyoming-faster-whisper, wyoming-piper) on the packaged models.

Needs the ``reference`` extra: ``pip install 'wyoming-rt[reference]'``.
"""

from __future__ import annotations

import os
from pathlib import Path

from wyoming_rt.servers.models import packaged_piper_voice, packaged_whisper_model, require_module
from wyoming_rt.servers.process import python_module_argv


def faster_whisper_argv(
    port: int, data_dir: Path, model: Path | None = None, *, host: str = "127.0.0.1", language: str = "en"
) -> list[str]:
    """Command line of ``wyoming-faster-whisper`` on a local model, never downloading; ``language``
    is its default (HA sends one with every request)."""
    require_module("wyoming_faster_whisper")
    model = model or packaged_whisper_model()
    threads = str(max(1, os.cpu_count() or 1))
    return python_module_argv(
        "wyoming_faster_whisper",
        "--uri", f"tcp://{host}:{port}",
        "--model", str(model),
        "--data-dir", str(data_dir),
        "--language", language,
        "--cpu-threads", threads,
        "--local-files-only",
    )  # fmt: skip


def piper_argv(port: int, data_dir: Path, voice: Path | None = None, *, host: str = "127.0.0.1") -> list[str]:
    """Command line of ``wyoming-piper`` on a local voice file."""
    require_module("wyoming_piper")
    voice = voice or packaged_piper_voice()
    return python_module_argv(
        "wyoming_piper",
        "--uri", f"tcp://{host}:{port}",
        "--voice", str(voice),
        "--data-dir", str(data_dir),
    )  # fmt: skip

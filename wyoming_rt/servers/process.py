"""A Wyoming server run as a child process: started, waited on until it answers, stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
from anyio.abc import Process
from wyoming.info import Describe

from wyoming_rt.endpoint import Endpoint, connect
from wyoming_rt.records.errors import ServerStartError, WyomingRTError
from wyoming_rt.wire import EventReader, encode_event


@dataclass
class RunningServer:
    """A started server: where it listens, its process, and its log file."""

    name: str
    endpoint: Endpoint
    process: Process
    log_path: Path

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(text[-lines:])


async def wait_until_ready(server: RunningServer, startup_timeout_s: float = 120.0) -> None:
    """Poll ``describe`` until the server answers; `ServerStartError` when it exits or never does."""
    with anyio.move_on_after(startup_timeout_s):
        while True:
            if server.process.returncode is not None:
                raise ServerStartError(
                    f"{server.name} exited with code {server.process.returncode} during start-up: {server.log_tail()}"
                )
            try:
                if await _answers_describe(server.endpoint):
                    return
            except WyomingRTError:
                pass
            await anyio.sleep(0.1)
    raise ServerStartError(f"{server.name} did not answer describe within {startup_timeout_s:g} s: {server.log_tail()}")


async def _answers_describe(endpoint: Endpoint, timeout_s: float = 2.0) -> bool:
    """One ``describe`` over the wire layer: True when an ``info`` event comes back in time."""
    stream = await connect(endpoint, timeout_s)
    async with stream:
        with anyio.move_on_after(timeout_s):
            await stream.send(encode_event(Describe().event()))
            received = await EventReader(stream).read()
            return received is not None and received.event.type == "info"
    return False


async def _stop(process: Process, grace_s: float = 5.0) -> None:
    with anyio.CancelScope(shield=True):
        if process.returncode is None:
            try:
                process.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                return
            with anyio.move_on_after(grace_s):
                await process.wait()
            if process.returncode is None:
                process.kill()
                await process.wait()


@asynccontextmanager
async def run_server(
    name: str,
    argv: Sequence[str],
    endpoint: Endpoint,
    *,
    startup_timeout_s: float = 120.0,
    log_dir: Path | None = None,
    env: dict[str, str] | None = None,
    wait: bool = True,
) -> AsyncIterator[RunningServer]:
    """Start ``argv`` (a server listening on ``endpoint``), wait until it answers ``describe``
    (unless ``wait`` is false: then the caller calls `wait_until_ready`, e.g. for several
    servers at once), yield it, and stop it on exit, on error and on cancellation (Ctrl-C)."""
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="wyoming-rt-"))
    log_path = log_dir / f"{name}.log"
    with open(log_path, "wb") as log:  # noqa: ASYNC230 (a local log file, opened once per server start)
        try:
            process = await anyio.open_process(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                start_new_session=True,  # Ctrl-C reaches us once; we stop the child ourselves
            )
        except OSError as exc:
            raise ServerStartError(f"cannot start {name}: {exc}") from exc
    server = RunningServer(name, endpoint, process, log_path)
    try:
        if wait:
            await wait_until_ready(server, startup_timeout_s)
        yield server
    finally:
        await _stop(process)


def python_module_argv(module: str, *args: str) -> list[str]:
    """``python -m module args`` with this interpreter."""
    return [sys.executable, "-m", module, *args]

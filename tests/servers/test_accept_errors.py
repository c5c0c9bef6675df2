"""A reference server that runs out of file descriptors keeps serving once some are free."""

from __future__ import annotations

import resource
import socket

import anyio
import pytest
from wyoming.info import Describe, Info

from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.endpoint import Endpoint, free_tcp_port
from wyoming_rt.servers.base import serve
from wyoming_rt.wire import encode_event

pytestmark = pytest.mark.anyio


class NoSession:
    async def handle(self, received: object) -> None:
        return None

    async def close(self) -> None:
        return None


async def test_running_out_of_file_descriptors_is_survived() -> None:
    endpoint = Endpoint("127.0.0.1", free_tcp_port())
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    clients: list[socket.socket] = []
    async with anyio.create_task_group() as tg:
        started = anyio.Event()
        tg.start_soon(lambda: serve(endpoint, Info, lambda conn: NoSession(), on_ready=started.set))
        await started.wait()
        import os

        open_now = len(os.listdir("/proc/self/fd"))
        resource.setrlimit(resource.RLIMIT_NOFILE, (open_now + 40, hard))
        try:
            for _ in range(60):  # more than the process may hold: accept hits EMFILE
                try:
                    client = socket.create_connection(("127.0.0.1", endpoint.port), timeout=1)
                except OSError:
                    break
                client.sendall(encode_event(Describe().event()))
                clients.append(client)
            await anyio.sleep(0.5)  # the server meets EMFILE and backs off
        finally:
            for client in clients:
                client.close()
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        with anyio.fail_after(20):
            described = await HAEmulator(EmulatorConfig(describe_timeout_s=5)).describe(endpoint)  # still serving
        assert described.info is not None
        tg.cancel_scope.cancel()

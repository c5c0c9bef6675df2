"""The reference TTS server's connection budget, on a real server started with ``serve tts --max-connections``."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import pytest
from anyio.from_thread import start_blocking_portal

from tests.servers.test_connection_budget import check_connection_budget
from wyoming_rt.endpoint import Endpoint, free_tcp_port
from wyoming_rt.servers.process import RunningServer, run_server
from wyoming_rt.servers.reference import server_argv

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

LIMIT = 2


@pytest.fixture(scope="module")
def tts_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    port, work = free_tcp_port(), tmp_path_factory.mktemp("tts")
    argv = [*server_argv("ours", "tts", port, work), "--max-connections", str(LIMIT)]
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(
        run_server("wyoming-rt tts", argv, Endpoint("127.0.0.1", port), log_dir=work)
    ) as server:
        yield server


async def test_a_connection_past_max_connections_gets_busy(tts_server: RunningServer) -> None:
    with anyio.fail_after(120):
        await check_connection_budget(tts_server.endpoint, LIMIT)

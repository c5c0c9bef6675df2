"""The reference TTS server's budgets, on a real server started with ``serve tts --max-connections``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from anyio.from_thread import start_blocking_portal
from wyoming.ping import Ping
from wyoming.tts import Synthesize

from tests.servers.test_connection_budget import check_connection_budget
from wyoming_rt.endpoint import Endpoint, connect, free_tcp_port
from wyoming_rt.servers.process import RunningServer, run_server
from wyoming_rt.servers.reference import server_argv
from wyoming_rt.wire import EventReader, encode_event

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

LIMIT = 2


@pytest.fixture(scope="module")
def tts_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    port, work = free_tcp_port(), tmp_path_factory.mktemp("tts")
    argv = [*server_argv("ours", "tts", port, work), "--max-connections", str(LIMIT)]
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(
            run_server("wyoming-rt tts", argv, Endpoint("127.0.0.1", port), log_dir=work)
        ) as server,
    ):
        yield server


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """A field of ``/proc/PID/status``, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"{field} not in /proc/{pid}/status")


async def test_a_connection_past_max_connections_gets_busy(tts_server: RunningServer) -> None:
    with anyio.fail_after(120):
        await check_connection_budget(tts_server.endpoint, LIMIT)


async def speak_then_ping(endpoint: Endpoint, text: str) -> list[str]:
    """Event types answering ``synthesize`` and then a ``ping`` on the same connection: the
    ``pong`` comes once the server has finished with the request, memory release included."""
    async with await connect(endpoint, 5.0) as stream:
        await stream.send(encode_event(Synthesize(text=text).event()) + encode_event(Ping().event()))
        reader, kinds = EventReader(stream), []
        while (received := await reader.read()) is not None and received.type != "pong":
            kinds.append(received.type)
        return kinds


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
async def test_memory_is_given_back_after_a_long_request(tts_server: RunningServer) -> None:
    pid = tts_server.process.pid
    before = rss_mb(pid)
    text = " ".join(["lights"] * 120)  # one unpunctuated sentence: several 200-phoneme pieces
    with anyio.fail_after(120):
        kinds = await speak_then_ping(tts_server.endpoint, text)
    after, peak = rss_mb(pid), rss_mb(pid, "VmHWM")
    assert kinds[0] == "audio-start" and kinds[-1] == "audio-stop" and kinds.count("audio-chunk") > 100
    assert after - before < 100, f"RSS {before:.0f} MB before, {after:.0f} MB after (peak {peak:.0f} MB)"

"""Fake servers on a thread of their own, for tests that run the command line (``main`` in this
thread, or ``python -m wyoming_rt`` as a subprocess) against them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import anyio
from anyio.abc import SocketStream
from anyio.from_thread import start_blocking_portal

from tests.fake_servers import TEXT, FakeStt, FakeTts, fake_pair, send_transcript
from wyoming_rt.endpoint import Endpoint


@contextmanager
def servers_in_thread(stt: FakeStt, tts: FakeTts | None = None) -> Iterator[tuple[Endpoint, Endpoint]]:
    """The fake pair, served by an event loop on another thread until the block exits."""
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(fake_pair(stt, tts)) as endpoints:
        yield endpoints


class Transcripts:
    """An STT answer hook: TEXT for the first ``answered`` transcriptions, then each of
    ``then`` in turn ("": an empty transcript; None: never answer)."""

    def __init__(self, answered: int, *then: str | None) -> None:
        self.answered, self.then = answered, list(then)

    async def __call__(self, stream: SocketStream, audio: bytes) -> None:
        if self.answered > 0:
            self.answered -= 1
            await send_transcript(stream, TEXT)
            return
        text = self.then.pop(0) if self.then else TEXT
        if text is None:
            await anyio.sleep_forever()
        await send_transcript(stream, text)

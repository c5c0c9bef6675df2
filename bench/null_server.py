"""A null Wyoming STT server: reads every frame, answers each audio-stop with an empty transcript.

Run as a separate process so that its CPU is not counted against the client:
    python bench/null_server.py PORT
Plain asyncio and the wyoming package's own reader, so it is independent of wyoming_rt.
"""

from __future__ import annotations

import asyncio
import sys

from wyoming.asr import Transcript
from wyoming.event import async_read_event, async_write_event


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while (event := await async_read_event(reader)) is not None:
            if event.type == "audio-stop":
                await async_write_event(Transcript(text="").event(), writer)
                break
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))

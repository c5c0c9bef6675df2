"""The null server run on its own, keeping ``LEAK_MB`` more memory for every connection it
answers: a scripted leak for the ``resource.memory-growth`` test (and, with 0, the same server
without one). No real server leaks on cue, so this one is scripted.

    python tests/leaky_server.py PORT LEAK_MB
"""

from __future__ import annotations

import sys

import anyio

from wyoming_rt.endpoint import Endpoint
from wyoming_rt.servers import null

_kept: list[bytes] = []


def main() -> None:
    port, leak_mb = int(sys.argv[1]), float(sys.argv[2])
    answer = null._handle

    async def leaking(*args: object) -> None:
        if leak_mb:
            _kept.append(b"\x01" * int(leak_mb * 1024 * 1024))  # written, so resident
        await answer(*args)  # type: ignore[arg-type]

    null._handle = leaking  # type: ignore[assignment]

    async def serve() -> None:
        async with null.run_null_server(Endpoint("127.0.0.1", port)):
            await anyio.sleep_forever()

    anyio.run(serve)


if __name__ == "__main__":
    main()

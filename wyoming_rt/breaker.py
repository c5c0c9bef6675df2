"""A circuit breaker for hung servers: a hung server costs one watchdog, not one per utterance."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from .errors import WatchdogTimeout

Result = TypeVar("Result")


class HangBreaker:
    """After ``limit`` watchdog timeouts in a row from one server (no answer in between), later
    requests to it fail at once with `WatchdogTimeout` instead of each waiting out the watchdog.

    With ``limit`` at least the concurrency, a server that hangs only on some inputs never trips
    it; one that stopped answering altogether does after the first wave of requests.
    """

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.consecutive = 0
        self.last_timeout: WatchdogTimeout | None = None

    @property
    def tripped(self) -> bool:
        return self.consecutive >= self.limit

    async def call(self, request: Callable[[], Awaitable[Result]]) -> Result:
        if self.tripped:
            raise WatchdogTimeout(
                f"not sent: the server timed out on {self.consecutive} requests in a row (last: {self.last_timeout})"
            )
        try:
            result = await request()
        except WatchdogTimeout as exc:
            self.consecutive += 1
            self.last_timeout = exc
            raise
        self.consecutive = 0
        return result

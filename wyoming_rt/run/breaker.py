"""Tells a slow server from a dead one, so that a hung server costs about two watchdogs, not
one per utterance, and a slow one still gets every request.

One `HangBreaker` per server lives for the whole run; each phase sets how many timeouts in a
row trip it (its number of sessions). Once tripped, the next request waits a pause, checks
that the server still answers ``describe`` (under the request watchdog) and goes out as the one
trial (other requests wait for it). An answer of any kind closes the breaker again. A server
that does not answer that ``describe`` is dead at once (a server that hangs for good: two
watchdogs); one that answers it but times out on `MAX_FAILED_TRIALS` trials in a row is dead
too (its event loop lives, its work does not: at most four watchdogs). A dead server is sent
nothing more.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

import anyio

from wyoming_rt.records.errors import NotSentError, WatchdogTimeout, WyomingRTError

Result = TypeVar("Result")
State = Literal["closed", "open", "dead"]

TRIAL_PAUSE_S = 0.5
"""How long a tripped breaker waits before its liveness check and trial request."""
MAX_FAILED_TRIALS = 3
"""Trial requests that may time out in a row (describe still answered) before the server is dead:
a server slow on its first few requests (a cold start, a busy machine) is not dead."""


class HangBreaker:
    """Counts one server's consecutive watchdog timeouts in the phase at hand.

    ``liveness`` is awaited before a trial request (typically ``describe`` under the watchdog)
    and must raise `WyomingRTError` when the server does not answer it.
    """

    def __init__(
        self,
        limit: int = 1,
        *,
        liveness: Callable[[], Awaitable[object]] | None = None,
        pause_s: float = TRIAL_PAUSE_S,
        name: str = "the server",
    ) -> None:
        self.limit = max(1, limit)
        self.liveness = liveness
        self.pause_s = pause_s
        self.name = name
        self.state: State = "closed"
        self.consecutive = 0
        self.timeouts = 0
        """Counted watchdog timeouts over the whole run."""
        self.trials = 0
        self.failed_trials = 0
        self.dead_reason: str | None = None
        self.in_flight = 0
        """Requests sent through the breaker and not yet answered (the health checks read it)."""
        self._sent: anyio.Event | None = None
        self._lock = anyio.Lock()

    async def wait_busy(self) -> None:
        """Return once a request is in flight (at once when one already is)."""
        while self.in_flight == 0:
            if self._sent is None or self._sent.is_set():
                self._sent = anyio.Event()
            await self._sent.wait()

    @property
    def dead(self) -> bool:
        return self.state == "dead"

    def new_phase(self, limit: int) -> None:
        """A new phase with ``limit`` sessions: the count starts again; an open or dead breaker stays so."""
        self.limit = max(1, limit)
        if self.state == "closed":
            self.consecutive = 0

    def declare_dead(self, reason: str) -> None:
        self.state = "dead"
        self.dead_reason = reason

    def _raise_if_dead(self) -> None:
        if self.dead:
            raise NotSentError(f"not sent: {self.name} stopped answering ({self.dead_reason})")

    async def call(self, request: Callable[[], Awaitable[Result]], *, counted: bool = True) -> Result:
        """Send ``request`` unless the server is dead. ``counted=False`` marks the validator's own
        extra requests (back transcription): they never trip the breaker and are skipped while it is open."""
        while True:
            self._raise_if_dead()
            if self.state == "closed":
                return await self._run(request, counted, trial=False)
            if not counted:
                raise NotSentError(f"not sent: {self.name} is not answering requests right now")
            async with self._lock:  # one trial at a time; the others wait for its outcome
                if self.state != "open":
                    continue
                await self._check_alive()
                self._raise_if_dead()
                self.trials += 1
                return await self._run(request, counted, trial=True)

    async def _check_alive(self) -> None:
        await anyio.sleep(self.pause_s)
        if self.liveness is None:
            return
        try:
            await self.liveness()
        except WyomingRTError as exc:
            self.declare_dead(f"timed out {self.consecutive} time(s) in a row, then did not answer describe: {exc}")

    async def _run(self, request: Callable[[], Awaitable[Result]], counted: bool, *, trial: bool) -> Result:
        self.in_flight += 1
        if self._sent is not None:
            self._sent.set()
        try:
            result = await request()
        except WatchdogTimeout as exc:
            if counted and not isinstance(exc, NotSentError):
                self._timed_out(trial)
            raise
        except WyomingRTError:
            if counted:
                self._answered()  # an error is an answer: the server is alive
            raise
        finally:
            self.in_flight -= 1
        if counted:
            self._answered()
        return result

    def _timed_out(self, trial: bool) -> None:
        self.timeouts += 1
        self.consecutive += 1
        if trial:
            self.failed_trials += 1
            if self.failed_trials >= MAX_FAILED_TRIALS:
                self.declare_dead(
                    f"timed out {self.consecutive} times in a row, {self.failed_trials} of them on trial requests after a pause, "
                    "though it still answers describe"
                )
        elif self.consecutive >= self.limit and self.state == "closed":
            self.state = "open"

    def _answered(self) -> None:
        if self.state != "dead":
            self.state = "closed"
            self.consecutive = 0
            self.failed_trials = 0

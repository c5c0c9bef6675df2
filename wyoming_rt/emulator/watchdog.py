"""The emulator's watchdog over one STT or TTS operation (Home Assistant itself has none)."""

from __future__ import annotations

from types import TracebackType

import anyio

from wyoming_rt.records.errors import ErrorThenHangTimeout, ServerClosedError, WatchdogTimeout
from wyoming_rt.records.trace import Trace


class Watchdog:
    """``fail_after`` that turns a timeout into `WatchdogTimeout` carrying the trace."""

    def __init__(self, timeout_s: float, trace: Trace, what: str) -> None:
        self._scope = anyio.fail_after(timeout_s)
        self._timeout_s = timeout_s
        self._trace = trace
        self._what = what

    def __enter__(self) -> None:
        self._scope.__enter__()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            self._scope.__exit__(exc_type, exc, tb)
        except TimeoutError as timeout:
            self._trace.ended = "timeout"
            last = self._trace.entries[-1].type if self._trace.entries else "nothing"
            if any(e.type == "error" for e in self._trace.received()):
                raise ErrorThenHangTimeout(
                    f"{self._what}: an error event, then neither a close nor an end of the answer within the "
                    f"{self._timeout_s:g} s watchdog (last event: {last}); Home Assistant 2026.2 waits for ever",
                    trace=self._trace,
                ) from timeout
            raise WatchdogTimeout(
                f"{self._what} timed out after {self._timeout_s:g} s (last event: {last})", trace=self._trace
            ) from timeout
        if isinstance(exc, (anyio.BrokenResourceError, anyio.ClosedResourceError, ConnectionError)):
            self._trace.ended = "closed"
            raise ServerClosedError(
                f"{self._what}: connection lost while sending ({type(exc).__name__})", trace=self._trace
            ) from exc

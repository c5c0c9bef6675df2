"""What ``validate`` shows on stderr while it runs: a live bar and status lines at a terminal;
in CI logs and pipes, where a bar cannot be drawn, a line per phase and per finished round trip.
Stdout stays the report's."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from wyoming_rt.cli.parser import status
from wyoming_rt.records.results import RoundTripResult
from wyoming_rt.report.model import format_ms


def status_lines(err: Console, *, quiet: bool = False) -> Callable[[str], None]:
    """Where status lines go: stderr (`status`), or nowhere with ``quiet``."""
    return _nowhere if quiet else partial(status, err)


def _nowhere(line: str) -> None:
    del line


class RunProgress:
    """The progress of one conformance run (``with`` it while the run goes on). ``quiet``: no
    lines at all; the terminal's bar is transient and stays."""

    def __init__(self, err: Console, total: int, *, quiet: bool = False) -> None:
        self.err, self.total = err, total
        self.line = status_lines(err, quiet=quiet)
        """A status line (none with ``quiet``)."""
        self.done = self.failed = 0
        self.bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal,
        )  # fmt: skip
        self.task = self.bar.add_task("round trips", total=total, failed=0)

    def __enter__(self) -> None:
        self.bar.start()

    def __exit__(self, *exc_info: object) -> None:
        self.bar.stop()

    def phase(self, name: str) -> None:
        self.line(f"phase: {name}")

    def result(self, result: RoundTripResult) -> None:
        """A latency-phase round trip ended: the bar moves; off a terminal, its line: id, ok or
        FAIL, STT and round-trip ms, and why it failed (on the wire: the analysis comes later)."""
        failure = result.failure
        self.done += 1
        self.failed += failure is not None
        self.bar.update(self.task, advance=1, failed=self.failed)
        if self.err.is_terminal:
            return
        stt = format_ms(result.stt.latency_s * 1000 if result.stt is not None and result.stt_error is None else None)
        total = format_ms(None if result.round_trip_s is None else result.round_trip_s * 1000)
        width = len(str(self.total))
        self.line(
            f"[{self.done:>{width}}/{self.total}] {result.utterance.id} {'ok' if failure is None else 'FAIL'}"
            f"  STT {stt} ms  round trip {total} ms" + (f"  ({failure})" if failure else "")
        )

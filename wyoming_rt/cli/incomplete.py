"""A run that stops before its end (Ctrl-C, a fatal error) still leaves its outputs: a report of
what finished, marked incomplete with the reason."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import anyio

from wyoming_rt.report.model import Report
from wyoming_rt.run.validate import ValidationRun


def leaves(exc: BaseException) -> Iterator[BaseException]:
    """The exceptions inside (nested) exception groups, or ``exc`` itself."""
    inner = getattr(exc, "exceptions", None)
    if isinstance(inner, (list, tuple)) and inner:
        for e in inner:
            yield from leaves(e)
    else:
        yield exc


def incomplete_reason(exc: BaseException, phase: str) -> str | None:
    """Why a run that raised ``exc`` during ``phase`` is incomplete; ``None`` for an exit
    (`SystemExit`), which is no failure of the run."""
    found = list(leaves(exc))
    if any(isinstance(e, (KeyboardInterrupt, anyio.get_cancelled_exc_class())) for e in found):
        return f"interrupted during phase {phase}"
    if not isinstance(found[0], Exception):
        return None
    text = str(found[0]).strip()
    return f"fatal error during phase {phase}: {text.splitlines()[0] if text else type(found[0]).__name__}"


def write_incomplete(run: ValidationRun, exc: BaseException, write: Callable[[Report], None], say: Callable[[str], None]) -> None:
    """``write`` the report of what ``run`` finished, marked incomplete: synchronous, without the
    network, bounded by the partial analysis's deadline. A failure here never hides ``exc``."""
    reason = incomplete_reason(exc, run.current_phase)
    if reason is None:
        return
    try:
        report = run.incomplete_report(reason)
        write(report)
    except Exception as error:  # the run's own error is the one to report
        say(f"could not write the incomplete report: {error}")
        return
    say(f"incomplete report written ({reason}): {len(report.utterances)} finished round trip(s)")

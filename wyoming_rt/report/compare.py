"""Compare two reports (a baseline and a new run): what got worse, what got better.

Pure: works on `Report` values; `load_report` reads one back from a ``--json`` file (schema
``wyoming-rt/report/1``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wyoming_rt.records.errors import UsageError
from wyoming_rt.records.resources import ServerResources
from wyoming_rt.report.model import REPORT_SCHEMA, STAGES, Report
from wyoming_rt.report.server_cost import COST_PHASE


@dataclass(frozen=True)
class Margins:
    """How much worse a figure may get before it counts as a regression."""

    wer: float = 0.01
    """Absolute increase allowed in corpus WER and back WER."""
    latency: float = 0.10
    """Relative increase allowed in a latency percentile (0.10 = 10 %)."""
    latency_floor_ms: float = 20.0
    """Changes smaller than this many milliseconds never count (timer noise on fast stages)."""
    rss: float = 0.20
    """Relative increase allowed in a server's peak resident memory (0.20 = 20 %)."""
    rss_floor_mb: float = 50.0
    """Memory changes smaller than this many MB never count (allocator and page-cache noise)."""
    cpu: float = 0.20
    """Relative increase allowed in a server's CPU-seconds per request in the latency phase."""
    cpu_floor_s: float = 0.005
    """CPU changes smaller than this many seconds per request never count (the clock's ticks,
    spread over the phase's requests)."""


@dataclass(frozen=True)
class Change:
    metric: str
    base: float | None
    new: float | None
    verdict: str
    """``regression``, ``improvement`` or ``same``."""


@dataclass
class Comparison:
    changes: list[Change]
    new_rules: list[str] = field(default_factory=list)
    """Error-severity rules the new run breaks and the baseline did not."""
    fixed_rules: list[str] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        return bool(self.new_rules) or any(c.verdict == "regression" for c in self.changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "regressed": self.regressed,
            "changes": [c.__dict__ for c in self.changes],
            "new_rules": self.new_rules,
            "fixed_rules": self.fixed_rules,
        }


MAX_REPORT_BYTES = 1 << 30
"""A report file larger than this (1 GiB, some 300,000 utterances) is refused before it is read."""


def load_report(path: Path) -> Report:
    """Read a ``--json`` report back into a `Report`; a one-line `UsageError` when it is not one."""
    try:
        size = path.stat().st_size
        if size > MAX_REPORT_BYTES:
            raise UsageError(f"{path}: {size / 2**20:.0f} MB, over the {MAX_REPORT_BYTES >> 20} MB a report may have")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not a readable JSON report ({exc})") from exc
    if not isinstance(data, dict) or data.get("schema") != REPORT_SCHEMA:
        raise UsageError(f"{path}: not a wyoming-rt report with schema {REPORT_SCHEMA} (write one with validate --json)")
    try:
        return Report.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UsageError(f"{path}: a malformed wyoming-rt report ({type(exc).__name__}: {exc})") from exc


def _verdict(base: float | None, new: float | None, allowed: float) -> str:
    if base is None or new is None:
        return "same"
    if new > base + allowed:
        return "regression"
    if new < base - allowed:
        return "improvement"
    return "same"


def compare(base: Report, new: Report, margins: Margins | None = None) -> Comparison:
    """Every summary figure side by side, judged against the margins."""
    margins = margins or Margins()
    b, n = base.summary, new.summary
    changes = [
        Change("wer", b.score.wer, n.score.wer, _verdict(b.score.wer, n.score.wer, margins.wer)),
        Change("back_wer", _back_wer(base), _back_wer(new), _verdict(_back_wer(base), _back_wer(new), margins.wer)),
        Change("failed", b.failed, n.failed, _verdict(b.failed, n.failed, 0)),
    ]
    for stage in STAGES:
        old_stats, new_stats = b.latency.get(stage), n.latency.get(stage)
        for pick in ("p50", "p95", "p99"):
            old_value = getattr(old_stats, pick) if old_stats else None
            new_value = getattr(new_stats, pick) if new_stats else None
            allowed = max(margins.latency_floor_ms, (old_value or 0) * margins.latency)
            changes.append(Change(f"{stage}.{pick}_ms", old_value, new_value, _verdict(old_value, new_value, allowed)))
    changes += _cost_changes(base, new, margins)
    return Comparison(changes, sorted(_error_rules(new) - _error_rules(base)), sorted(_error_rules(base) - _error_rules(new)))


def _cpu_per_request(r: ServerResources) -> float | None:
    phase = r.phase(COST_PHASE)
    return phase.cpu_per_request_s if phase else None


def _cost_changes(base: Report, new: Report, margins: Margins) -> list[Change]:
    """Each server's peak memory and latency-phase CPU per request, where both runs measured it."""
    changes = []
    for role in sorted(base.resources.keys() & new.resources.keys()):
        old, now = base.resources[role], new.resources[role]
        for metric, pick, relative, floor in (
            ("rss_peak_mb", lambda r: r.rss_peak_mb, margins.rss, margins.rss_floor_mb),
            ("cpu_per_request_s", _cpu_per_request, margins.cpu, margins.cpu_floor_s),
        ):
            old_value, new_value = pick(old), pick(now)
            if old_value is None or new_value is None:
                continue  # not measured in one of the runs: nothing to compare
            allowed = max(floor, old_value * relative)
            changes.append(Change(f"{role}.{metric}", old_value, new_value, _verdict(old_value, new_value, allowed)))
    return changes


FIGURE_SETTINGS = ("language", "ha_mode", "upload", "endpointing", "concurrency", "tts_streaming", "timeout_s")
"""Settings (``Report.settings`` keys) that change the figures: two runs that differ in one of
them measured different things. ``upload`` is ``--pace``."""
_SETTING_NAMES = {"upload": "pace"}


@dataclass(frozen=True)
class Differences:
    """How two runs differ in what they ran, beyond their results."""

    corpus: str | None
    """Why the two runs did not run the same corpus (different utterance ids), else ``None``:
    their figures are not comparable at all."""
    settings: list[str] = field(default_factory=list)
    """Settings that change the figures and differ (``ha_mode latest -> 2026.2``), a corpus
    of the same utterances under another name, and a server's cost measured another way
    (``stt cost measured by pid -> container``)."""


def differences(base: Report, new: Report) -> Differences:
    """What differs between the runs of ``base`` and ``new`` (not their results)."""
    base_ids, new_ids = {u.id for u in base.utterances}, {u.id for u in new.utterances}
    base_name, new_name = base.settings.get("corpus", "?"), new.settings.get("corpus", "?")
    corpus = None
    if base_ids != new_ids:
        only_base, only_new = len(base_ids - new_ids), len(new_ids - base_ids)
        corpus = (
            f"the reports ran different corpora: {base_name} ({len(base_ids)} utterances) and {new_name}"
            f" ({len(new_ids)} utterances; {only_base} only in the base, {only_new} only in the new one)"
        )
    settings = [f"corpus {base_name} -> {new_name} (the same utterance ids)"] if corpus is None and base_name != new_name else []
    for key in FIGURE_SETTINGS:
        old, now = base.settings.get(key), new.settings.get(key)
        if old != now:
            settings.append(f"{_SETTING_NAMES.get(key, key)} {_shown(old)} -> {_shown(now)}")
    for role in sorted(base.resources.keys() & new.resources.keys()):
        # a container's cgroup counts more than the server's process: its memory is not the same figure
        was, now_source = base.resources[role].source, new.resources[role].source
        if was and now_source and was != now_source:
            settings.append(f"{role} cost measured by {was} -> {now_source}")
    return Differences(corpus, settings)


def _shown(value: Any) -> str:
    return "(not recorded)" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _back_wer(report: Report) -> float | None:
    back = report.summary.back_score
    return back.wer if back else None


def _error_rules(report: Report) -> set[str]:
    return {f.rule for f in report.findings if f.severity == "error"}

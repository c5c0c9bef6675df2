"""What a server under test cost: its CPU and memory, idle and per phase, sampled on this machine.

Plain data (stdlib only): the sampler lives in `wyoming_rt.run.resources`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

ResourceSource = Literal["started", "pid", "port", "container"]
"""How the server's process was found: started by this run, given by ``--stt-pid``/``--tts-pid``,
found listening on the server's port, or a container's cgroup."""

MB = 1024 * 1024


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


@dataclass
class PhaseResources:
    """One server during one phase."""

    phase: str
    wall_s: float
    cpu_s: float
    """CPU-seconds the server (every process and thread of it) used during the phase."""
    rss_peak_mb: float
    rss_mean_mb: float
    threads_max: int | None = None
    connections_max: int | None = None
    requests: int | None = None
    """Requests this server answered in the phase, where the run counts them."""
    work_s: float | None = None
    """STT: seconds of audio it transcribed; TTS: seconds of speech it produced (where counted)."""

    @property
    def cpu_utilisation(self) -> float | None:
        """CPU-seconds per wall second: 1.0 is one core busy throughout. (A report read back may
        hold null figures: every derived figure is then None.)"""
        return self.cpu_s / self.wall_s if self.cpu_s is not None and self.wall_s else None

    @property
    def cpu_per_request_s(self) -> float | None:
        return self.cpu_s / self.requests if self.cpu_s is not None and self.requests else None

    @property
    def cpu_per_work_s(self) -> float | None:
        """CPU-seconds per second of audio (STT) or of speech produced (TTS)."""
        return self.cpu_s / self.work_s if self.cpu_s is not None and self.work_s else None

    def rounded(self) -> PhaseResources:
        """The figures as the JSON report keeps them: derived figures are taken from these, so
        that a report read back writes the same document."""
        return replace(
            self, wall_s=_r(self.wall_s), cpu_s=_r(self.cpu_s), rss_peak_mb=_r(self.rss_peak_mb, 1),  # type: ignore[arg-type]
            rss_mean_mb=_r(self.rss_mean_mb, 1), work_s=_r(self.work_s),  # type: ignore[arg-type]
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        kept = self.rounded()
        return {
            "phase": kept.phase,
            "wall_s": kept.wall_s,
            "cpu_s": kept.cpu_s,
            "cpu_utilisation": _r(kept.cpu_utilisation),
            "rss_peak_mb": kept.rss_peak_mb,
            "rss_mean_mb": kept.rss_mean_mb,
            "threads_max": kept.threads_max,
            "connections_max": kept.connections_max,
            "requests": kept.requests,
            "work_s": kept.work_s,
            "cpu_per_request_s": _r(kept.cpu_per_request_s, 4),
            "cpu_per_work_s": _r(kept.cpu_per_work_s, 4),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PhaseResources:
        return cls(
            data["phase"], data["wall_s"], data["cpu_s"], data["rss_peak_mb"], data["rss_mean_mb"],
            data.get("threads_max"), data.get("connections_max"), data.get("requests"), data.get("work_s"),
        )  # fmt: skip


@dataclass
class ResourceSample:
    """One sample: seconds since the run started, resident memory, and CPU use since the previous sample."""

    t_s: float
    rss_mb: float
    cpu_utilisation: float

    def to_list(self) -> list[float]:
        return [round(self.t_s, 2), round(self.rss_mb, 1), round(self.cpu_utilisation, 3)]


@dataclass
class ServerResources:
    """One server's cost over the run, or why it could not be measured (``unavailable``)."""

    role: str
    source: ResourceSource | None = None
    pid: int | None = None
    unavailable: str | None = None
    """Why nothing was measured (a remote server, a process this user may not read, ...)."""
    idle_rss_mb: float | None = None
    idle_cpu_utilisation: float | None = None
    rss_after_warm_up_mb: float | None = None
    rss_at_end_mb: float | None = None
    requests_after_warm_up: int | None = None
    phases: list[PhaseResources] = field(default_factory=list)
    timeline: list[ResourceSample] = field(default_factory=list)
    """Samples over the run (thinned to at most a few hundred), for charts."""
    phase_starts: list[tuple[str, float]] = field(default_factory=list)
    """Each phase's name and start, in seconds since the run started (the chart's boundaries)."""

    @property
    def measured(self) -> bool:
        return self.unavailable is None and bool(self.timeline)

    @property
    def rss_peak_mb(self) -> float | None:
        peaks = [p.rss_peak_mb for p in self.phases if p.rss_peak_mb is not None]
        return max(peaks) if peaks else None

    @property
    def memory_growth_mb(self) -> float | None:
        """RSS at the end of the latency phase against after the warm-up (its start)."""
        if self.rss_after_warm_up_mb is None or self.rss_at_end_mb is None:
            return None
        return self.rss_at_end_mb - self.rss_after_warm_up_mb

    def phase(self, name: str) -> PhaseResources | None:
        return next((p for p in self.phases if p.phase == name), None)

    def to_dict(self) -> dict[str, Any]:
        after, end = _r(self.rss_after_warm_up_mb, 1), _r(self.rss_at_end_mb, 1)
        return {
            "source": self.source,
            "pid": self.pid,
            "unavailable": self.unavailable,
            "idle_rss_mb": _r(self.idle_rss_mb, 1),
            "idle_cpu_utilisation": _r(self.idle_cpu_utilisation),
            "rss_peak_mb": _r(self.rss_peak_mb, 1),
            "rss_after_warm_up_mb": after,
            "rss_at_end_mb": end,
            "memory_growth_mb": None if after is None or end is None else round(end - after, 1),
            "requests_after_warm_up": self.requests_after_warm_up,
            "phases": [p.to_dict() for p in self.phases],
            "phase_starts": [[name, round(start, 2)] for name, start in self.phase_starts],
            "timeline": [s.to_list() for s in self.timeline],
        }

    @classmethod
    def from_dict(cls, role: str, data: dict[str, Any]) -> ServerResources:
        return cls(
            role,
            data.get("source"),
            data.get("pid"),
            data.get("unavailable"),
            data.get("idle_rss_mb"),
            data.get("idle_cpu_utilisation"),
            data.get("rss_after_warm_up_mb"),
            data.get("rss_at_end_mb"),
            data.get("requests_after_warm_up"),
            [PhaseResources.from_dict(p) for p in data.get("phases", [])],
            [ResourceSample(*s) for s in data.get("timeline", [])],
            [(name, start) for name, start in data.get("phase_starts", [])],
        )


__all__ = ["MB", "PhaseResources", "ResourceSample", "ResourceSource", "ServerResources"]

"""Sampling what the servers under test cost while a run goes on: resident memory and CPU
every `SAMPLE_INTERVAL_S`, a reading at each phase boundary, an idle baseline before the first
request, and the memory-growth check.

Reading a server costs this process about 0.3 ms (psutil reads /proc; the processes below it
are looked for every 5 s), so sampling two servers costs well under 1 % of a core.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import anyio

from wyoming_rt.endpoint import Endpoint
from wyoming_rt.records.findings import Finding, finding
from wyoming_rt.records.resources import MB, PhaseResources, ResourceSample, ServerResources
from wyoming_rt.records.rules import RESOURCE_MEMORY_GROWTH
from wyoming_rt.run.options import ValidateOptions
from wyoming_rt.run.resource_sources import Found, Reading, find_source

SAMPLE_INTERVAL_S = 0.25
IDLE_WINDOW_S = 0.5
"""How long the servers are watched, idle, before the first request."""
MAX_TIMELINE_POINTS = 400
GROWTH_MIN_MB = 50.0
GROWTH_MIN_SHARE = 0.25
_END = "<end of the run>"


@dataclass
class _Track:
    """One server's readings."""

    found: Found
    readings: list[tuple[str, Reading]] = field(default_factory=list)
    """Each reading with the phase it was taken in."""
    boundaries: dict[str, Reading] = field(default_factory=dict)
    """The reading taken as each phase started."""
    idle: list[Reading] = field(default_factory=list)
    gone: bool = False


@dataclass(frozen=True)
class PhaseWork:
    """What a server was asked to do in one phase: requests, and seconds of audio (STT) or of
    speech produced (TTS)."""

    requests: int
    work_s: float | None = None


class ResourceMonitor:
    """Samples each found server until stopped; `phase` follows the run's phases."""

    def __init__(self, found: Mapping[str, Found]) -> None:
        self.tracks = {role: _Track(f) for role, f in found.items()}
        self._phase = "preflight"
        self._phase_starts: list[tuple[str, float]] = []
        self._origin_s = time.monotonic()
        """Where the timeline and the phase starts count from (readings are monotonic seconds)."""
        self._growth_end: dict[str, Reading] = {}

    @property
    def measuring(self) -> bool:
        return any(t.found.source is not None for t in self.tracks.values())

    def _read(self, track: _Track) -> Reading | None:
        if track.found.source is None or track.gone:
            return None
        reading = track.found.source.read()
        if reading is None:
            track.gone = True
        return reading

    def _sample(self) -> dict[str, Reading]:
        """A reading of each server still readable, kept with the phase it was taken in."""
        readings = {}
        for role, track in self.tracks.items():
            if (reading := self._read(track)) is not None:
                track.readings.append((self._phase, reading))
                readings[role] = reading
        return readings

    @property
    def phase(self) -> str:
        return self._phase

    @phase.setter
    def phase(self, name: str) -> None:
        """A phase starts: a reading now, so that each phase's CPU is exact at its edges."""
        self._phase = name
        self._phase_starts.append((name, time.monotonic() - self._origin_s))
        for role, reading in self._sample().items():
            self.tracks[role].boundaries[name] = reading

    def finish(self) -> None:
        """The run is over: the reading the last phase ends at."""
        for role, reading in self._sample().items():
            self.tracks[role].boundaries[_END] = reading

    def latency_phase_over(self) -> None:
        """The latency phase ended: the reading the memory-growth check ends at. Growth is taken
        over that phase only (after the warm-up, one request at a time), so that the concurrency
        phase's larger working set is not mistaken for a leak."""
        self._growth_end.update(self._sample())

    async def idle_baseline(self, window_s: float = IDLE_WINDOW_S) -> None:
        """Watch the servers, idle, for ``window_s`` before the first request."""
        if not self.measuring:
            return
        end = anyio.current_time() + window_s
        while True:
            for track in self.tracks.values():
                if (reading := self._read(track)) is not None:
                    track.idle.append(reading)
            if anyio.current_time() >= end:
                return
            await anyio.sleep(min(SAMPLE_INTERVAL_S, max(0.0, end - anyio.current_time())))

    async def run(self, stop: anyio.Event) -> None:
        """Sample every `SAMPLE_INTERVAL_S` until ``stop`` is set."""
        if not self.measuring:
            return
        while not stop.is_set():
            self._sample()
            with anyio.move_on_after(SAMPLE_INTERVAL_S):
                await stop.wait()
        self._sample()

    def results(self, work: Mapping[str, Mapping[str, PhaseWork]]) -> dict[str, ServerResources]:
        """Each server's figures; ``work[role][phase]`` says what it was asked in a phase."""
        return {role: self._result(role, track, work.get(role, {})) for role, track in self.tracks.items()}

    def _result(self, role: str, track: _Track, work: Mapping[str, PhaseWork]) -> ServerResources:
        found = track.found
        if found.source is None or not track.readings:
            why = found.unavailable or "the server could not be read during the run"
            return ServerResources(role, found.kind, found.pid, unavailable=why)
        result = ServerResources(role, found.kind, found.pid, phase_starts=list(self._phase_starts))
        if len(track.idle) >= 2:
            first, last = track.idle[0], track.idle[-1]
            result.idle_rss_mb = sum(r.rss_bytes for r in track.idle) / len(track.idle) / MB
            span = last.at_s - first.at_s
            result.idle_cpu_utilisation = (last.cpu_s - first.cpu_s) / span if span > 0 else None
        names = [name for name, _ in self._phase_starts] + [_END]
        for index, name in enumerate(names[:-1]):
            start = track.boundaries.get(name)
            later = [track.boundaries[n] for n in names[index + 1 :] if n in track.boundaries]
            in_phase = [r for phase, r in track.readings if phase == name]
            end = later[0] if later else (in_phase[-1] if in_phase else None)
            if start is None or end is None or not in_phase:
                continue
            rss = [r.rss_bytes / MB for r in in_phase]
            threads = [r.threads for r in in_phase if r.threads is not None]
            connections = [r.connections for r in in_phase if r.connections is not None]
            asked = work.get(name)
            result.phases.append(
                PhaseResources(
                    name, end.at_s - start.at_s, max(0.0, end.cpu_s - start.cpu_s), max(rss), sum(rss) / len(rss),
                    max(threads) if threads else None, max(connections) if connections else None,
                    asked.requests if asked else None, asked.work_s if asked else None,
                )
            )  # fmt: skip
        after_warm_up = track.boundaries.get("latency")
        end_reading = self._growth_end.get(role)
        if after_warm_up is not None and end_reading is not None:
            result.rss_after_warm_up_mb = after_warm_up.rss_bytes / MB
            result.rss_at_end_mb = end_reading.rss_bytes / MB
            latency = work.get("latency")
            result.requests_after_warm_up = latency.requests if latency else None
        result.timeline = _timeline([*(("idle", r) for r in track.idle), *track.readings], self._origin_s)
        return result


def _timeline(readings: list[tuple[str, Reading]], origin_s: float) -> list[ResourceSample]:
    """Samples with the CPU utilisation between consecutive readings, thinned to `MAX_TIMELINE_POINTS`."""
    samples = []
    for (_, before), (_, after) in itertools.pairwise(readings):
        span = after.at_s - before.at_s
        if span <= 0:
            continue
        samples.append(ResourceSample(after.at_s - origin_s, after.rss_bytes / MB, max(0.0, (after.cpu_s - before.cpu_s) / span)))
    step = max(1, -(-len(samples) // MAX_TIMELINE_POINTS))
    return samples[::step]


def resource_sources(stt: Endpoint, tts: Endpoint, options: ValidateOptions) -> dict[str, Found]:
    """Where each server's figures are read from, as the options say (a pid, a container, or
    the process listening on its port)."""
    return {
        role: find_source(endpoint, pid=pid, container=container, started=pid is not None and pid in options.started_pids)
        for role, endpoint, pid, container in (
            ("stt", stt, options.stt_pid, options.stt_container),
            ("tts", tts, options.tts_pid, options.tts_container),
        )
    }


def memory_growth_findings(resources: Mapping[str, ServerResources]) -> list[Finding]:
    """`resource.memory-growth` for a server whose RSS grew past both thresholds over the latency phase."""
    findings = []
    for role, r in resources.items():
        growth = r.memory_growth_mb
        if growth is None or r.rss_after_warm_up_mb is None:
            continue
        if growth > GROWTH_MIN_MB and growth > GROWTH_MIN_SHARE * r.rss_after_warm_up_mb:
            requests = f" over {r.requests_after_warm_up} requests" if r.requests_after_warm_up else ""
            findings.append(
                finding(
                    RESOURCE_MEMORY_GROWTH,
                    f"{role.upper()} server: resident memory grew by {growth:.0f} MB{requests} after the warm-up "
                    f"({r.rss_after_warm_up_mb:.0f} MB -> {r.rss_at_end_mb:.0f} MB, read from its {_source_word(r)})",
                )
            )
    return findings


def _source_word(r: ServerResources) -> str:
    return "container's cgroup" if r.source == "container" else f"process {r.pid}"


__all__ = ["IDLE_WINDOW_S", "SAMPLE_INTERVAL_S", "PhaseWork", "ResourceMonitor", "memory_growth_findings"]

"""Where a server's CPU and memory are read from: its process tree (psutil) or its container's
cgroup, found from a pid, the listening port, or a container name; or why none can be.
"""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import psutil

from wyoming_rt.endpoint import Endpoint
from wyoming_rt.records.resources import ResourceSource

CGROUP_ROOT = Path("/sys/fs/cgroup")
INSPECT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Reading:
    """One look at a server: when (monotonic seconds), resident memory, CPU-seconds used so far,
    threads and open connections (None where the source cannot tell)."""

    at_s: float
    rss_bytes: int
    cpu_s: float
    threads: int | None
    connections: int | None


class Source(Protocol):
    """Something a server's figures can be read from."""

    def read(self) -> Reading | None:
        """A reading, or None once the server is gone or unreadable."""


CHILDREN_REFRESH_S = 5.0
"""How often the processes below a server are looked for again: finding them scans every process
on the machine (about 2 ms), reading one costs a tenth of that."""


class ProcessSource:
    """A process and every process below it (a server may fork workers)."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.pid = pid
        self._children: list[psutil.Process] = []
        self._children_at = -CHILDREN_REFRESH_S

    def read(self) -> Reading | None:
        try:
            if time.monotonic() - self._children_at >= CHILDREN_REFRESH_S:
                self._children, self._children_at = self.process.children(recursive=True), time.monotonic()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return None
        family = [self.process, *self._children]
        rss = threads = connections = 0
        cpu = 0.0
        for process in family:
            try:
                with process.oneshot():
                    rss += process.memory_info().rss
                    times = process.cpu_times()
                    cpu += times.user + times.system
                    threads += process.num_threads()
                    connections += len(process.net_connections(kind="inet"))
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                if process is self.process:
                    return None
                self._children_at = -CHILDREN_REFRESH_S  # a child ended: look again next time
            except psutil.AccessDenied:
                return None
        return Reading(time.monotonic(), rss, cpu, threads, connections)


class CgroupSource:
    """A container's cgroup (v2): ``memory.current`` and ``cpu.stat``'s ``usage_usec``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> Reading | None:
        try:
            rss = int((self.path / "memory.current").read_text())
            usage = next(
                int(line.split()[1])
                for line in (self.path / "cpu.stat").read_text().splitlines()
                if line.startswith("usage_usec")
            )
            pids = self.path / "pids.current"
            threads = int(pids.read_text()) if pids.exists() else None
        except (OSError, ValueError, StopIteration):
            return None
        return Reading(time.monotonic(), rss, usage / 1e6, threads, None)


@dataclass(frozen=True)
class Found:
    """The source of one server's figures, or why there is none."""

    source: Source | None
    kind: ResourceSource | None = None
    pid: int | None = None
    unavailable: str | None = None


def _is_local(host: str | None) -> bool:
    if host is None:
        return True
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _process(pid: int, kind: ResourceSource) -> Found:
    try:
        source = ProcessSource(pid)
    except psutil.NoSuchProcess:
        return Found(None, unavailable=f"no process {pid} on this machine")
    except psutil.AccessDenied:
        return Found(None, unavailable=f"not allowed to read process {pid}")
    if source.read() is None:
        return Found(None, unavailable=f"not allowed to read process {pid} or the processes it started")
    return Found(source, kind, pid)


def listening_pid(port: int) -> int | None:
    """The process listening on TCP ``port`` on this machine, if this user may see it."""
    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return None
    return next((c.pid for c in connections if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port), None)


def cgroup_of_container(name: str) -> tuple[Path | None, str | None]:
    """The cgroup directory of a running container (docker or podman), or why not."""
    engine = shutil.which("docker") or shutil.which("podman")
    if engine is None:
        return None, "neither docker nor podman is installed here"
    try:
        done = subprocess.run(
            [engine, "inspect", "--format", "{{.Id}}", name],
            capture_output=True,
            text=True,
            timeout=INSPECT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"{Path(engine).name} inspect failed ({exc})"
    if done.returncode != 0 or not done.stdout.strip():
        return None, f"no container {name!r} ({done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'not found'})"
    container_id = done.stdout.strip()
    for path in CGROUP_ROOT.rglob(f"*{container_id}*"):
        if path.is_dir() and (path / "memory.current").exists():
            return path, None
    return None, f"container {name!r} has no cgroup v2 directory under {CGROUP_ROOT} readable here"


def find_source(endpoint: Endpoint, *, pid: int | None = None, container: str | None = None, started: bool = False) -> Found:
    """Where to read the server behind ``endpoint``: the pid (``started`` when this run started
    it), the container's cgroup, or the process listening on its port when it runs here."""
    if pid is not None:
        return _process(pid, "started" if started else "pid")
    if container is not None:
        path, why = cgroup_of_container(container)
        if path is None:
            return Found(None, unavailable=why)
        source = CgroupSource(path)
        if source.read() is None:
            return Found(None, unavailable=f"cannot read the cgroup {path}")
        return Found(source, "container")
    if endpoint.path is not None:
        return Found(None, unavailable="a Unix socket server: give its pid (--stt-pid/--tts-pid) to measure it")
    if not _is_local(endpoint.host):
        return Found(
            None, unavailable=f"{endpoint.host} is not this machine: run wyoming-rt where the server runs, or give its pid"
        )
    assert endpoint.port is not None
    found = listening_pid(endpoint.port)
    if found is None:
        return Found(
            None, unavailable=f"no process this user may see listens on port {endpoint.port} (a container? give its name)"
        )
    result = _process(found, "port")
    return result


__all__ = [
    "CgroupSource",
    "Found",
    "ProcessSource",
    "Reading",
    "Source",
    "cgroup_of_container",
    "find_source",
    "listening_pid",
]

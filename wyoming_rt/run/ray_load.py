"""Load levels on Ray (``validate --ray ADDRESS``): the load generators run as Ray async actors
spread over a cluster's nodes, each an `HAEmulator` on the actor's own asyncio loop.

Describing the servers and sampling their resources stay in the driver (`load.load_validate`);
this module only runs the levels. Every level starts at a barrier: the driver waits until each
actor has planned its uploads, then gives all one wall-clock start time a moment ahead, and each
actor sleeps until it, so the nodes' clocks must agree (NTP). Open model: request ``i`` is due at
``start + i / R`` and actor ``k`` of ``A`` sends the requests ``i ≡ k (mod A)``, so the actors
together send exactly the single-machine schedule, each latency counted from its due time. Closed
model: the level's sessions are dealt out to the actors in turn, each session keeping its share of
the requests. The actors send back compact per-request records (`RequestRecord`); the driver
builds a level per actor and pools them exactly (`pool_levels`).

Imported only when ``--ray`` is given; ``ray`` itself is imported inside the functions, so the
single-machine path neither needs nor loads it.
"""

from __future__ import annotations

import logging
import math
import os
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from types import ModuleType
from typing import Any

import anyio

from wyoming_rt.checks.load_stats import LevelResult, RequestRecord, level_result, pool_levels
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.records.corpus import Utterance
from wyoming_rt.records.errors import UsageError, WyomingRTError
from wyoming_rt.run.load import LevelRunner, RunnerFactory, Target, closed_sessions, open_arrivals, open_count

RAY_EXTRA = "pip install 'wyoming-rt[ray]'"
LOCAL = "local"
"""``--ray local``: start a Ray cluster on this machine for the run, and stop it after."""
START_TIMEOUT_S = 300.0
"""For the actors to start and plan their uploads (HA's voice detector over the corpus)."""
REACH_TIMEOUT_S = 10.0
"""For a cluster's address to accept a connection, before ``ray.init`` is given it."""
BARRIER_LEAD_S = 2.0
"""How far ahead of the driver's clock a level's common start is set."""
LEVEL_SLACK_S = 120.0
"""Added to a level's longest plausible duration for its watchdog."""


class RayLoadError(WyomingRTError):
    """A load run on Ray could not go on: an actor died or failed, or a wait ran out."""

    kind = "ray"


@dataclass(frozen=True)
class RaySettings:
    """Where to run the load generators: ``address`` (`LOCAL`, or a cluster's address for
    ``ray.init``), and how many actors (default: one per CPU of the cluster)."""

    address: str
    actors: int | None = None


def import_ray() -> ModuleType:
    """``ray``, or a one-line `UsageError` naming the extra to install."""
    try:
        import ray
    except ImportError as exc:
        raise UsageError(f"--ray needs Ray, which is not installed: {RAY_EXTRA}") from exc
    return ray


class LoadActor:
    """One load generator (a Ray async actor): an `HAEmulator` and the corpus, the emulator
    running on the actor's asyncio loop."""

    def __init__(self, config: EmulatorConfig, utterances: list[Utterance], target: Target) -> None:
        self.emulator = HAEmulator(config)
        self.utterances = utterances
        self.target = target

    async def ready(self) -> str:
        """Plan every upload (HA's voice detector), then answer with this actor's node."""
        import ray

        await self.emulator.plan_uploads(u.audio for u in self.utterances)
        return str(ray.get_runtime_context().get_node_id())

    async def open(
        self, start_at: float, rate_per_s: float, count: int, shard: tuple[int, int]
    ) -> tuple[list[RequestRecord], float]:
        """This actor's share of an open-model level starting at ``start_at`` (wall clock)."""
        return await open_arrivals(
            self.emulator, self.utterances, self.target, rate_per_s=rate_per_s, count=count,
            start_in_s=start_at - time.time(), shard=shard,
        )  # fmt: skip

    async def closed(self, start_at: float, indices: list[int], concurrency: int) -> tuple[list[RequestRecord], float]:
        """Requests ``indices`` of a closed-model level (utterance ``i`` mod the corpus) in
        ``concurrency`` sessions, starting at ``start_at`` (wall clock)."""
        work = [self.utterances[i % len(self.utterances)] for i in indices]
        return await closed_sessions(
            self.emulator, work, self.utterances, self.target, concurrency=concurrency, start_in_s=start_at - time.time()
        )


def ray_runner(settings: RaySettings) -> RunnerFactory:
    """The `RunnerFactory` for `load.load_validate` that runs the levels on Ray."""
    return partial(_ray_runner, settings)


@asynccontextmanager
async def _ray_runner(
    settings: RaySettings, emulator: HAEmulator, utterances: Sequence[Utterance], target: Target
) -> AsyncIterator[LevelRunner]:
    ray = import_ray()
    started = not ray.is_initialized()  # a cluster this process joined already (tests) is left as it is
    if started:
        await _start(ray, settings.address)
    actors: list[Any] = []
    try:
        cpus = float(ray.cluster_resources().get("CPU", 1.0))
        count = settings.actors or max(1, int(cpus))
        remote = ray.remote(LoadActor)
        corpus = ray.put(list(utterances))  # once: a cluster's nodes do not share the corpus path
        run = uuid.uuid4().hex[:8]
        for k in range(count):
            options = remote.options(
                name=f"wyoming-rt-load-{run}-{k + 1}",
                num_cpus=min(1.0, cpus / count),
                scheduling_strategy="SPREAD",
            )
            actors.append(options.remote(emulator.config, corpus, target))
        runner = _RayRunner(ray, actors, emulator.config.timeout_s)
        nodes = await runner.gather([actor.ready.remote() for actor in actors], START_TIMEOUT_S, "starting")
        runner.settings["ray"] = {
            "address": settings.address,
            "actors": count,
            "nodes": len(set(nodes)),
            "round_trips_per_actor": runner.per_actor,
        }
        yield runner
    finally:
        for actor in actors:
            ray.kill(actor, no_restart=True)
        if started:
            ray.shutdown()


async def _start(ray: ModuleType, address: str) -> None:
    """Start or join the cluster; a failure is one line. ``ray.init`` runs on this thread, blocking
    the event loop for its few seconds before any load: the processes of a local cluster die with
    the thread that started them (PR_SET_PDEATHSIG), so a worker thread cannot start them."""
    where = "start a local Ray cluster" if address == LOCAL else f"join the Ray cluster at {address}"
    await _reachable(address, where)
    try:
        _init(ray, address)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RayLoadError(f"could not {where}: {reason}") from exc


async def _reachable(address: str, where: str) -> None:
    """A cluster given as ``[ray://]host:port`` must accept a connection within 10 s: ``ray.init``
    itself keeps retrying an address that does not answer for minutes."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if address == LOCAL or not host or not port.isdigit():
        return  # "auto", or a form ray.init resolves itself
    try:
        with anyio.fail_after(REACH_TIMEOUT_S):
            stream = await anyio.connect_tcp(host.strip("[]"), int(port))
        await stream.aclose()
    except (OSError, TimeoutError) as exc:
        raise RayLoadError(f"could not {where}: nothing answers at {host}:{port} ({exc or 'timed out'})") from None


def _init(ray: ModuleType, address: str) -> None:
    quiet: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}  # the library never prints
    if address == LOCAL:
        ray.init(num_cpus=os.cpu_count() or 1, include_dashboard=False, **quiet)
    else:
        ray.init(address=address, **quiet)


@dataclass
class _RayRunner:
    ray: ModuleType
    actors: list[Any]
    timeout_s: float
    settings: dict[str, Any] = field(default_factory=dict)
    per_actor: dict[str, list[int]] = field(default_factory=dict)
    """Round trips each actor sent, per level label (the report's settings)."""
    parts: dict[str, list[LevelResult]] = field(default_factory=dict)
    """Each actor's own level, per level label, before pooling."""

    async def open(self, *, rate_per_s: float, duration_s: float) -> LevelResult:
        label, count, n = f"{rate_per_s:g}/s", open_count(rate_per_s, duration_s), len(self.actors)
        start_at = time.time() + BARRIER_LEAD_S
        calls = [actor.open.remote(start_at, rate_per_s, count, (k, n)) for k, actor in enumerate(self.actors)]
        watchdog = BARRIER_LEAD_S + count / rate_per_s + 4 * self.timeout_s + LEVEL_SLACK_S
        outcomes = await self.gather(calls, watchdog, label)
        parts = [
            level_result(f"{label} actor {k + 1}", records, elapsed_s, concurrency=None, offered_per_s=rate_per_s / n)
            for k, (records, elapsed_s) in enumerate(outcomes)
        ]
        pooled = pool_levels(label, parts, wall_s=max(elapsed_s for _, elapsed_s in outcomes))
        return self._keep(label, parts, replace(pooled, offered_per_s=rate_per_s))

    async def closed(self, *, concurrency: int, count: int) -> LevelResult:
        """Session ``j`` goes to actor ``j mod A`` and keeps the requests ``i ≡ j (mod concurrency)``:
        each actor's share of the requests follows its share of the sessions."""
        label = f"concurrency {concurrency}"
        active = self.actors[:concurrency]
        shares = [
            ([i for i in range(count) if (i % concurrency) % len(active) == k], len(range(k, concurrency, len(active))))
            for k in range(len(active))
        ]
        start_at = time.time() + BARRIER_LEAD_S
        calls = [
            actor.closed.remote(start_at, indices, sessions) for actor, (indices, sessions) in zip(active, shares, strict=True)
        ]
        longest = max(math.ceil(len(indices) / sessions) for indices, sessions in shares)
        outcomes = await self.gather(calls, BARRIER_LEAD_S + longest * 2 * self.timeout_s + LEVEL_SLACK_S, label)
        parts = [
            level_result(f"{label} actor {k + 1}", records, elapsed_s, concurrency=sessions, offered_per_s=None)
            for k, ((records, elapsed_s), (_, sessions)) in enumerate(zip(outcomes, shares, strict=True))
        ]
        return self._keep(label, parts, pool_levels(label, parts, wall_s=max(elapsed_s for _, elapsed_s in outcomes)))

    def _keep(self, label: str, parts: list[LevelResult], pooled: LevelResult) -> LevelResult:
        self.parts[label] = parts
        self.per_actor[label] = [part.round_trips for part in parts]
        return pooled

    async def gather(self, calls: Sequence[Any], timeout_s: float, what: str) -> list[Any]:
        """The results of one call per actor, awaited on this event loop (which goes on serving);
        an actor that dies or fails, or a wait past ``timeout_s``, is a one-line `RayLoadError`."""
        results: list[Any] = [None] * len(calls)
        pending = set(range(len(calls)))
        failures: list[RayLoadError] = []

        async def wait_for(k: int, call: Any) -> None:
            try:
                results[k] = await call
            except self.ray.exceptions.RayError as exc:
                failures.append(self._failure(k, what, exc))
                tg.cancel_scope.cancel()
            pending.discard(k)

        try:
            with anyio.fail_after(timeout_s):
                async with anyio.create_task_group() as tg:
                    for k, call in enumerate(calls):
                        tg.start_soon(wait_for, k, call)
        except TimeoutError:
            names = ", ".join(str(k + 1) for k in sorted(pending))
            raise RayLoadError(f"Ray actor(s) {names} of {len(calls)} did not finish {what} within {timeout_s:g} s") from None
        if failures:
            raise failures[0]
        return results

    def _failure(self, k: int, what: str, exc: BaseException) -> RayLoadError:
        name = f"Ray actor {k + 1} of {len(self.actors)}"
        if isinstance(exc, self.ray.exceptions.RayActorError):
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return RayLoadError(f"{name} died during {what}: {reason}")
        cause = getattr(exc, "cause", None) or exc
        reason = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        return RayLoadError(f"{name} failed during {what}: {type(cause).__name__}: {reason}")

"""Health checks during a run, as Home Assistant 2026.11 makes them: every configured server is
described again every 30 s (one attempt, the describe timeout), and a miss makes its entities
unavailable. The monitor also checks each server once while it is busy in the concurrency phase,
where a server that stalls its event loop while working is caught the way HA users meet it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import anyio

from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.endpoint import Endpoint
from wyoming_rt.records.errors import WyomingRTError
from wyoming_rt.records.findings import Finding, finding
from wyoming_rt.records.health import HealthCheck, Reason
from wyoming_rt.records.rules import INFO_UNAVAILABLE, INFO_UNAVAILABLE_UNDER_LOAD
from wyoming_rt.run.breaker import HangBreaker


class HealthMonitor:
    """Describes each server every ``interval_s`` (and on demand while it is busy); it never
    checks a server its breaker has given up on."""

    def __init__(
        self, config: EmulatorConfig, endpoints: Mapping[str, Endpoint], breakers: Mapping[str, HangBreaker], interval_s: float
    ) -> None:
        self.emulator = HAEmulator(replace(config, describe_attempts=1))
        self.endpoints = dict(endpoints)
        self.breakers = dict(breakers)
        self.interval_s = interval_s
        self.phase = "preflight"
        self.checks: list[HealthCheck] = []
        self._started = anyio.current_time()

    async def check(self, role: str, reason: Reason) -> None:
        """One describe of one server, recorded."""
        breaker = self.breakers[role]
        if breaker.dead:
            return
        at_s, phase, in_flight = anyio.current_time() - self._started, self.phase, breaker.in_flight
        try:
            described = await self.emulator.describe(self.endpoints[role])
        except WyomingRTError as exc:
            self.checks.append(HealthCheck(role, at_s, phase, reason, in_flight, None, str(exc)))
            return
        self.checks.append(HealthCheck(role, at_s, phase, reason, in_flight, round(described.latency_s * 1000, 1), None))

    async def run_periodically(self, stop: anyio.Event) -> None:
        """Every server every ``interval_s``, all at once, until ``stop`` is set; a check already
        sent then still gets its answer or its timeout (a miss is not lost)."""
        while True:
            with anyio.move_on_after(self.interval_s):
                await stop.wait()
            if stop.is_set():
                return
            async with anyio.create_task_group() as tg:
                for role in self.endpoints:
                    tg.start_soon(self.check, role, "interval")

    async def check_when_busy(self, role: str, give_up: anyio.Event) -> None:
        """Check the server once, as soon as one of the run's requests to it is in flight;
        return without a check when ``give_up`` is set first."""
        async with anyio.create_task_group() as tg:

            async def stop_waiting() -> None:
                await give_up.wait()
                tg.cancel_scope.cancel()

            tg.start_soon(stop_waiting)
            await self.breakers[role].wait_busy()
            tg.cancel_scope.cancel()
        if not give_up.is_set():
            await self.check(role, "busy")

    def findings(self) -> list[Finding]:
        """Per server: ``info.unavailable`` for checks missed with at most one of the run's
        requests in flight (what one HA user meets), ``info.unavailable-under-load`` for checks
        missed only while several were (that depends on the load and the machine)."""
        found = []
        for role in self.endpoints:
            made = [c for c in self.checks if c.role == role]
            missed = [c for c in made if not c.answered]
            alone = [c for c in missed if c.in_flight <= 1]
            rule_, misses = (INFO_UNAVAILABLE, alone) if alone else (INFO_UNAVAILABLE_UNDER_LOAD, missed)
            if not misses:
                continue
            first = misses[0]
            load = f"with {first.in_flight} of the run's requests in flight" if first.in_flight else "while idle"
            found.append(
                finding(
                    rule_,
                    f"{role.upper()} server missed {len(misses)} of {len(made)} health checks; first at "
                    f"{first.at_s:.1f} s in the {first.phase} phase {load}: {first.error}",
                )
            )
        return found


__all__ = ["INFO_UNAVAILABLE", "INFO_UNAVAILABLE_UNDER_LOAD", "HealthCheck", "HealthMonitor"]

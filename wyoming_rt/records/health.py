"""A health check made during a run: the record the health monitor produces and the report holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Reason = Literal["interval", "busy"]
"""Why a check was made: HA's periodic check, or once while the server was busy."""


@dataclass(frozen=True)
class HealthCheck:
    """One health check of one server."""

    role: str
    at_s: float
    """Seconds since the monitor started."""
    phase: str
    reason: Reason
    in_flight: int
    """The run's requests to this server not yet answered when the check was sent."""
    latency_ms: float | None
    error: str | None

    @property
    def answered(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": self.role, "at_s": round(self.at_s, 3), "phase": self.phase, "reason": self.reason,
            "in_flight": self.in_flight, "latency_ms": self.latency_ms, "error": self.error,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HealthCheck:
        """The inverse of `to_dict`."""
        return cls(
            data["role"], data["at_s"], data["phase"], data["reason"], data["in_flight"], data["latency_ms"], data["error"]
        )

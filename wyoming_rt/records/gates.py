"""A gate as checked: the record the gates produce and the report holds."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class GateResult:
    """One gate as checked: its threshold, what was measured, and whether it held."""

    gate: str
    threshold: float
    measured: float | None
    passed: bool
    samples: int | None = None
    """How many utterances the figure was measured over..."""
    of: int | None = None
    """...out of how many in the corpus."""

    @property
    def over(self) -> str:
        """``"over 37 of 38"``, or ``""`` when not known."""
        return "" if self.samples is None or self.of is None else f"over {self.samples} of {self.of}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "over": self.over}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateResult:
        """The inverse of `to_dict` (``over`` is derived)."""
        return cls(data["gate"], data["threshold"], data["measured"], data["passed"], data.get("samples"), data.get("of"))

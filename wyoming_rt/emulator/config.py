"""How the emulator talks: `EmulatorConfig` (Home Assistant's defaults), its upload `Pace` and `Endpointing`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from wyoming_rt.records.ha_release import HaMode, HaRelease, ha_release
from wyoming_rt.wire import WireLimits

Endpointing = Literal["vad", "none"]

Pace = Literal["burst", "realtime"]
"""``burst`` uploads as fast as the connection takes it; ``realtime`` sends 10 ms of audio every
10 ms, as a microphone does, so that a server working while audio arrives gets its chance."""


@dataclass(frozen=True)
class EmulatorConfig:
    """How the emulator talks; the defaults are Home Assistant's."""

    timeout_s: float = 30.0
    """Watchdog for one whole STT or TTS operation (HA itself has none)."""
    connect_timeout_s: float = 5.0
    describe_timeout_s: float = 0.0
    """describe -> info per attempt (the TCP connect is not covered); 0: the HA release's (5 s in
    2026.11, 1 s in 2026.2)."""
    describe_attempts: int = 4
    describe_retry_sleep_s: float = 2.0
    language: str = "en"
    voice: str | None = None
    speaker: str | None = None
    version: str = ""
    """The ``version`` written in every header; empty: the HA release's wyoming version."""
    limits: WireLimits = field(default_factory=WireLimits)
    ha_mode: HaMode = "latest"
    """The Home Assistant release to reproduce (`wyoming_rt.records.ha_release`)."""
    drop_partial_chunk: bool = True
    """Never send a chunk shorter than 10 ms: HA's assist pipeline drops the partial tail."""
    endpointing: Endpointing = "vad"
    """``vad``: end the STT upload where HA's assist pipeline does, at the end of speech heard by
    its voice detector (`wyoming_rt.endpointing`); ``none``: send the whole clip, as HA's STT
    entity called directly does."""
    requires_external_vad: bool = True
    """What the STT server's info says (wyoming's default: true); HA 2026.11 runs its voice
    detector only for servers that require it, 2026.2 for every server."""
    error_grace_s: float = 2.0
    """When an ``error`` event fails a request, keep reading this long (or until the server closes
    or ends the answer) to see what the server does next: audio after an error, or a hang."""
    pace: Pace = "burst"
    linger_s: float = 0.0
    """After the final event, keep reading this long (or until the server closes) to record
    events a server sends too many. HA closes at once (0); the conformance probes linger."""
    max_answer_audio_s: float = 600.0
    max_answer_audio_bytes: int = 128 << 20
    """Budget for the audio of one TTS answer (seconds at its declared format, and bytes): past
    it the rest is read and dropped and the answer fails as over budget."""
    max_trace_events: int = 30_000
    """Received events kept in one connection's trace; past it they are counted, not kept, and
    the answer fails as over budget (what the emulator sends is bounded by the corpus budgets)."""

    def __post_init__(self) -> None:
        release = ha_release(self.ha_mode)
        if not self.version:
            object.__setattr__(self, "version", release.wyoming_version)
        if self.describe_timeout_s <= 0:
            object.__setattr__(self, "describe_timeout_s", release.describe_timeout_s)

    @property
    def release(self) -> HaRelease:
        return ha_release(self.ha_mode)

"""How the emulator talks: `EmulatorConfig` (Home Assistant's defaults), its upload `Pace` and `Endpointing`."""

from __future__ import annotations

from dataclasses import dataclass, field

from wyoming_rt.records.emulator_options import EmulatorOptions
from wyoming_rt.records.emulator_options import Endpointing as Endpointing
from wyoming_rt.records.emulator_options import Pace as Pace
from wyoming_rt.records.ha_release import HaRelease, ha_release
from wyoming_rt.wire import WireLimits

DEFAULT_LANGUAGE = "en"
"""What the emulator sends with transcribe when no language is set."""


@dataclass(frozen=True)
class EmulatorConfig(EmulatorOptions):
    """How the emulator talks; the defaults are Home Assistant's. The user options (timeout,
    language, voice, HA release, pace, endpointing) are declared on `EmulatorOptions`."""

    connect_timeout_s: float = 5.0
    describe_timeout_s: float = 0.0
    """describe -> info per attempt (the TCP connect is not covered); 0: the HA release's (5 s in
    2026.11, 1 s in 2026.2)."""
    describe_attempts: int = 4
    describe_retry_sleep_s: float = 2.0
    version: str = ""
    """The ``version`` written in every header; empty: the HA release's wyoming version."""
    limits: WireLimits = field(default_factory=WireLimits)
    drop_partial_chunk: bool = True
    """Never send a chunk shorter than 10 ms: HA's assist pipeline drops the partial tail."""
    requires_external_vad: bool = True
    """What the STT server's info says (wyoming's default: true); HA 2026.11 runs its voice
    detector only for servers that require it, 2026.2 for every server."""
    error_grace_s: float = 2.0
    """When an ``error`` event fails a request, keep reading this long (or until the server closes
    or ends the answer) to see what the server does next: audio after an error, or a hang."""
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
        if self.language is None:  # HA always sends one
            object.__setattr__(self, "language", DEFAULT_LANGUAGE)
        if self.describe_timeout_s <= 0:
            object.__setattr__(self, "describe_timeout_s", release.describe_timeout_s)

    @property
    def release(self) -> HaRelease:
        return ha_release(self.ha_mode)

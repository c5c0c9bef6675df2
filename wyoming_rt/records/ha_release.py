"""The Home Assistant releases the emulator reproduces, and what differs between them on the wire.

Each `HaRelease` is a recorded fact about one release (see docs/ha-fidelity.md for where each
lives in Home Assistant's code). What both releases do the same way (10 ms chunks, the dropped
partial tail, voice-activity endpointing in the assist pipeline) is not here but in
`EmulatorConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

HaMode = Literal["latest", "2026.11", "2026.2"]
"""Which Home Assistant to reproduce; ``latest`` is 2026.11."""

HA_MODES: tuple[str, ...] = get_args(HaMode)


@dataclass(frozen=True)
class HaRelease:
    """How one Home Assistant release speaks Wyoming where releases differ."""

    name: str
    wyoming_version: str
    """The ``version`` HA writes in every header: that of the wyoming library it pins."""
    describe_timeout_s: float
    """describe -> info, per attempt (the TCP connect is not covered)."""
    stt_reads_while_uploading: bool
    """Reads while it uploads, and takes a transcript that comes before ``audio-stop``."""
    stt_error_fails: bool
    """An ``error`` event fails the STT request (else it is skipped while waiting for a transcript)."""
    tts_error_fails: bool
    """An ``error`` event fails the TTS request, plain or streaming, even when audio follows it."""
    health_check_interval_s: float | None
    """Seconds between the re-describes of every configured server (one attempt each), or None."""
    vad_only_when_required: bool
    """The pipeline's voice detector ends the upload only for servers that say
    ``requires_external_vad`` (the default); else for every server."""


HA_2026_2 = HaRelease(
    name="2026.2",
    wyoming_version="1.7.2",
    describe_timeout_s=1.0,
    stt_reads_while_uploading=False,
    stt_error_fails=False,
    tts_error_fails=False,
    health_check_interval_s=None,
    vad_only_when_required=False,
)
HA_2026_11 = HaRelease(
    name="2026.11",
    wyoming_version="1.10.2",
    describe_timeout_s=5.0,
    stt_reads_while_uploading=True,
    stt_error_fails=True,
    tts_error_fails=True,
    health_check_interval_s=30.0,
    vad_only_when_required=True,
)
_RELEASES = {"latest": HA_2026_11, "2026.11": HA_2026_11, "2026.2": HA_2026_2}


def ha_release(mode: str) -> HaRelease:
    """The release an ``--ha-mode`` value means."""
    try:
        return _RELEASES[mode]
    except KeyError:
        raise ValueError(f"unknown HA mode {mode!r}; known: {', '.join(HA_MODES)}") from None


__all__ = ["HA_2026_2", "HA_2026_11", "HA_MODES", "HaMode", "HaRelease", "ha_release"]

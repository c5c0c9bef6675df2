"""What a user sets of the emulator: the options `EmulatorConfig` and `ValidateOptions` share.

They live here, apart from the emulator, so that the pytest plugin can build its options
without loading the emulator (and numpy) when pytest starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from wyoming_rt.records.ha_release import HA_MODES, HaMode
from wyoming_rt.records.options import Group, option, positive_float

Endpointing = Literal["vad", "none"]

Pace = Literal["burst", "realtime"]
"""``burst`` uploads as fast as the connection takes it; ``realtime`` sends 10 ms of audio every
10 ms, as a microphone does, so that a server working while audio arrives gets its chance."""

_HA: Group = "Home Assistant behaviour"


@dataclass(frozen=True)
class EmulatorOptions:
    """The emulator's user options: its watchdog, what HA sends, and how."""

    timeout_s: float = option(
        30.0, flag="--timeout", metavar="SECONDS", parse=positive_float, group="Phases and probes",
        help="watchdog for each STT or TTS request (default: 30)",
    )  # fmt: skip
    """Watchdog for one whole STT or TTS operation (HA itself has none)."""
    language: str | None = option(
        None, group=_HA,
        help="language HA sends with transcribe, e.g. de or de-DE (default: the corpus's; en for the bundled one); "
        "with the bundled corpus it also picks that language's corpus",
    )  # fmt: skip
    """The language HA sends; ``None``: the corpus's (`ValidateOptions.for_corpus`), else English."""
    voice: str | None = option(None, group=_HA, help="voice name HA sends with synthesize (default: none, the server's default)")
    speaker: str | None = option(None, group=_HA, help="speaker of the voice (with --voice)")
    ha_mode: HaMode = option(
        "latest", choices=HA_MODES, group=_HA,
        help="which Home Assistant release to reproduce: 2026.11 (= latest, the default: wyoming 1.10.2, describe "
        "5 s, health checks every 30 s, error events fail requests) or 2026.2 (wyoming 1.7.2, describe 1 s, error "
        "events ignored); see docs/ha-fidelity.md",
    )  # fmt: skip
    """The Home Assistant release to reproduce (`wyoming_rt.records.ha_release`)."""
    pace: Pace = option(
        "burst", choices=get_args(Pace), group=_HA,
        help="burst: upload audio as fast as possible (default); realtime: 10 ms every 10 ms, like a microphone",
    )  # fmt: skip
    endpointing: Endpointing = option(
        "vad", choices=get_args(Endpointing), group=_HA,
        help="vad: end each upload where HA's assist pipeline does, 0.7 s after its voice detector (pymicro-vad) "
        "hears the end of speech (default); none: send whole clips, as HA's STT entity called directly does",
    )  # fmt: skip
    """``vad``: end the STT upload where HA's assist pipeline does, at the end of speech heard by
    its voice detector (`wyoming_rt.endpointing`); ``none``: send the whole clip, as HA's STT
    entity called directly does."""

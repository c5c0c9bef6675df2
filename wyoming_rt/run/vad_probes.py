"""Probes for an STT server that says ``requires_external_vad: false``: HA 2026.11 then runs no
voice detector of its own, so the server must end the utterance itself (a transcript on trailing
silence, before ``audio-stop``), and must still answer a client that stops early."""

from __future__ import annotations

from dataclasses import replace

from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.endpoint import Endpoint
from wyoming_rt.pcm import to_ha_format
from wyoming_rt.records.audio import HA_CHUNK_BYTES, PcmAudio
from wyoming_rt.records.corpus import Utterance
from wyoming_rt.records.errors import WyomingRTError
from wyoming_rt.records.results import ProbeName, ProbeOutcome

TRAILING_SILENCE_S = 3.0
"""Silence after the speech, sent at microphone pace: time enough for any endpointer."""


async def probe_own_endpointing(stt: Endpoint, config: EmulatorConfig, sample: Utterance) -> ProbeOutcome:
    """The sample and 3 s of silence at microphone pace: the transcript must come before the audio ends."""
    speech = to_ha_format(sample.audio)
    audio = PcmAudio(speech.pcm + bytes(int(TRAILING_SILENCE_S * 16000) * 2), 16000, 2, 1)
    realtime = replace(config, pace="realtime", endpointing="none", timeout_s=config.timeout_s + audio.duration_s)
    try:
        result = await HAEmulator(realtime).transcribe(stt, audio)
    except WyomingRTError as exc:
        return ProbeOutcome(ProbeName.OWN_ENDPOINTING, "stt", False, f"speech and {TRAILING_SILENCE_S:g} s of silence: {exc}")
    if result.transcript_before_audio_stop:
        return ProbeOutcome(ProbeName.OWN_ENDPOINTING, "stt", True, traces=(result.trace,))
    return ProbeOutcome(
        ProbeName.OWN_ENDPOINTING, "stt", False,
        f"no transcript during {TRAILING_SILENCE_S:g} s of silence after the speech; it came only after audio-stop",
        traces=(result.trace,),
    )  # fmt: skip


async def probe_early_stop(stt: Endpoint, config: EmulatorConfig, sample: Utterance) -> ProbeOutcome:
    """The first half of the sample, then ``audio-stop``: a transcript must still come."""
    speech = to_ha_format(sample.audio)
    half = len(speech.pcm) // 2 // HA_CHUNK_BYTES * HA_CHUNK_BYTES
    try:
        result = await HAEmulator(replace(config, endpointing="none")).transcribe(stt, PcmAudio(speech.pcm[:half], 16000, 2, 1))
    except WyomingRTError as exc:
        return ProbeOutcome(ProbeName.EARLY_STOP, "stt", False, f"audio-stop after half the speech: {exc}")
    return ProbeOutcome(ProbeName.EARLY_STOP, "stt", True, traces=(result.trace,))


__all__ = ["TRAILING_SILENCE_S", "probe_early_stop", "probe_own_endpointing"]

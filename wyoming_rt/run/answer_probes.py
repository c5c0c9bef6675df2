"""Probes for the answers users complain about: a long text (several paragraphs) and an LLM's
answer streamed into TTS as HA streams it (token-sized deltas over seconds).

Each returns a `ProbeOutcome` with its measures; `checks.long_answers` judges them. Watchdogs
grow with the speed the server showed in the latency phase, so a slow machine is not taken for
a server that cannot finish.
"""

from __future__ import annotations

from dataclasses import replace

import anyio

from wyoming_rt.checks.audio_quality import FRAME_S, AudioThresholds, frame_rms_dbfs
from wyoming_rt.checks.scoring import score
from wyoming_rt.checks.timing import longest_stall_s, stream_timing
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.endpoint import Endpoint
from wyoming_rt.llm_stream import ha_tts_chunks, token_deltas
from wyoming_rt.records.errors import WyomingRTError
from wyoming_rt.records.results import ProbeName, ProbeOutcome, TtsResult
from wyoming_rt.run.long_text import LLM_ANSWER, LONG_ANSWER

SPEED_FACTOR = 3.0
"""A long request's watchdog: this many times the synthesis time the latency phase predicts."""
LLM_PROBE_TEXT = LLM_ANSWER
"""A typical LLM answer of a few sentences (long enough for HA to stream it, short enough that
transcribing it back twice stays cheap)."""


def watchdog_s(config: EmulatorConfig, chars: int, s_per_char: float | None, sending_s: float = 0.0) -> float:
    """The run's watchdog, or more when the measured speed says the text needs longer."""
    predicted = SPEED_FACTOR * s_per_char * chars if s_per_char else 0.0
    return max(config.timeout_s, sending_s + predicted)


def _audio_measures(result: TtsResult) -> dict[str, float | None]:
    audio = result.audio
    if audio is None or audio.frame_bytes <= 0 or audio.rate_hz <= 0 or not audio.pcm:
        return {"audio_s": 0.0, "longest_stall_s": None, "first_audible_s": None}
    bytes_per_s = audio.rate_hz * audio.frame_bytes
    head = audio.samples()[: audio.rate_hz * 10].mean(axis=1)  # the first 10 s hold the first sound
    loud = (frame_rms_dbfs(head, audio.rate_hz) > AudioThresholds().silence_dbfs).nonzero()[0]
    leading_s = float(loud[0]) * FRAME_S if loud.size else None
    return {
        "audio_s": round(audio.duration_s, 3),
        "longest_stall_s": round(longest_stall_s(result.trace, bytes_per_s), 3),
        "first_audible_s": stream_timing(result.trace, leading_s, bytes_per_s).first_audible_s,
    }


async def _back_wer(emulator: HAEmulator, stt: Endpoint, result: TtsResult, text: str) -> float | None:
    """WER of ``result``'s audio transcribed back (whole, without HA's voice detector), or None
    when there is no audio or the transcription failed."""
    audio = result.audio
    if audio is None or not audio.pcm:
        return None
    try:
        back = await emulator.transcribe(stt, audio, endpointing=False)
    except (WyomingRTError, ValueError):
        return None
    return score(text, back.text).wer


async def probe_long_text(
    tts: Endpoint, config: EmulatorConfig, *, streaming: bool, s_per_char: float | None, text: str = LONG_ANSWER
) -> ProbeOutcome:
    """Several paragraphs as HA sends them without an LLM (one ``synthesize``, or one chunk when
    streaming): all of it must come back, within the watchdog, without long breaks."""
    timeout_s = watchdog_s(config, len(text), s_per_char)
    measures: dict[str, object] = {"chars": len(text), "watchdog_s": round(timeout_s, 1), "speed_known": s_per_char is not None}
    try:
        result = await HAEmulator(replace(config, timeout_s=timeout_s)).synthesize(tts, text, streaming=streaming)
    except WyomingRTError as exc:
        return ProbeOutcome(ProbeName.LONG_TEXT, "tts", False, str(exc), measures=measures)
    measures.update(await anyio.to_thread.run_sync(_audio_measures, result, abandon_on_cancel=True))
    measures["total_s"] = round(result.total_s, 3)
    return ProbeOutcome(ProbeName.LONG_TEXT, "tts", True, traces=(result.trace,), measures=measures)


async def probe_llm_stream(
    stt: Endpoint,
    tts: Endpoint,
    config: EmulatorConfig,
    *,
    tokens_per_s: float,
    s_per_char: float | None,
    text: str = LLM_PROBE_TEXT,
) -> ProbeOutcome:
    """An LLM's answer streamed as HA streams it, and the same text as one chunk: both answers
    are transcribed back; the streamed one must carry the text as well as the whole one does.
    Measures the wait from the first delta to the first audible audio."""
    chunks = ha_tts_chunks(text, tokens_per_s)
    sending_s = len(token_deltas(text)) / tokens_per_s if tokens_per_s > 0 else 0.0
    timeout_s = watchdog_s(config, len(text), s_per_char, sending_s)
    emulator = HAEmulator(replace(config, timeout_s=timeout_s))
    measures: dict[str, object] = {
        "chars": len(text), "chunks": len(chunks), "tokens_per_s": tokens_per_s, "watchdog_s": round(timeout_s, 1),
    }  # fmt: skip
    try:
        streamed = await emulator.synthesize(tts, text, streaming=True, chunks=chunks)
    except WyomingRTError as exc:
        return ProbeOutcome(
            ProbeName.LLM_STREAM, "tts", False, f"the answer streamed as LLM deltas failed: {exc}", measures=measures
        )
    measures.update({f"streamed_{k}": v for k, v in (await anyio.to_thread.run_sync(_audio_measures, streamed)).items()})
    traces = [streamed.trace]
    measures["streamed_back_wer"] = await _back_wer(emulator, stt, streamed, text)
    try:
        whole: TtsResult | None = await emulator.synthesize(tts, text, streaming=True)
    except WyomingRTError:
        whole = None  # the whole-text request is the round trips' business
    if whole is not None:
        traces.append(whole.trace)
    measures["whole_back_wer"] = None if whole is None else await _back_wer(emulator, stt, whole, text)
    return ProbeOutcome(ProbeName.LLM_STREAM, "tts", True, traces=tuple(traces), measures=measures)


__all__ = ["LLM_PROBE_TEXT", "SPEED_FACTOR", "probe_llm_stream", "probe_long_text", "watchdog_s"]

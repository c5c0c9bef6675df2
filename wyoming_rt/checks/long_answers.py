"""Rules for the long-text and LLM-stream probes (`wyoming_rt.run.answer_probes`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wyoming_rt.checks.audio import MAX_CHARS_PER_S
from wyoming_rt.records.findings import Finding, finding
from wyoming_rt.records.results import ProbeName, ProbeOutcome
from wyoming_rt.records.rules import LLM_STREAM_INCOMPLETE, LONG_TEXT_INCOMPLETE, LONG_TEXT_STALL, MAX_STALL_S

LLM_WER_MARGIN = 0.3
"""The streamed answer's back WER may be this much worse than the whole answer's."""


def check_answer_probes(outcomes: Sequence[ProbeOutcome]) -> list[Finding]:
    """Findings for the ``long-text`` and ``llm-stream`` probes."""
    findings: list[Finding] = []
    for outcome in outcomes:
        if outcome.name == ProbeName.LONG_TEXT:
            findings.extend(_long_text(outcome))
        elif outcome.name == ProbeName.LLM_STREAM:
            findings.extend(_llm_stream(outcome))
    return findings


def _watchdog_words(m: dict[str, Any]) -> str:
    how = "3 times the time the latency phase predicts" if m.get("speed_known") else "the run's watchdog"
    return f"the watchdog of {m.get('watchdog_s')} s ({how})"


def _long_text(outcome: ProbeOutcome) -> list[Finding]:
    m = outcome.measures
    chars = m.get("chars", 0)
    if not outcome.ok:
        return [finding(LONG_TEXT_INCOMPLETE, f"{chars} characters, within {_watchdog_words(m)}: {outcome.detail}")]
    found = []
    shortest_s = chars / MAX_CHARS_PER_S
    if (m.get("audio_s") or 0.0) < shortest_s:
        found.append(
            finding(
                LONG_TEXT_INCOMPLETE,
                f"{chars} characters came back as {m.get('audio_s') or 0:.1f} s of audio; at most {MAX_CHARS_PER_S:g} "
                f"characters a second, the text needs at least {shortest_s:.0f} s: the answer was cut",
            )
        )
    stall = m.get("longest_stall_s")
    if stall is not None and stall > MAX_STALL_S:
        found.append(
            finding(LONG_TEXT_STALL, f"{chars} characters: playback would stop for {stall:.1f} s (at this machine's speed)")
        )
    return found


def _llm_stream(outcome: ProbeOutcome) -> list[Finding]:
    m = outcome.measures
    if not outcome.ok:
        return [finding(LLM_STREAM_INCOMPLETE, f"{m.get('chunks')} chunks at {m.get('tokens_per_s')} tokens/s: {outcome.detail}")]
    streamed, whole = m.get("streamed_back_wer"), m.get("whole_back_wer")
    if not m.get("streamed_audio_s") and whole is not None:
        return [
            finding(
                LLM_STREAM_INCOMPLETE,
                f"streamed as {m.get('chunks')} LLM deltas the answer had no audio; sent in one chunk it had",
            )
        ]
    if streamed is None or whole is None or streamed <= whole + LLM_WER_MARGIN:
        return []
    return [
        finding(
            LLM_STREAM_INCOMPLETE,
            f"streamed as {m.get('chunks')} LLM deltas the answer came back with a back WER of {streamed:.2f}; sent in "
            f"one chunk, {whole:.2f}",
        )
    ]


__all__ = ["LLM_WER_MARGIN", "MAX_STALL_S", "check_answer_probes"]

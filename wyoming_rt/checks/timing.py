"""Timing of a TTS answer from its trace: first audible audio, gaps between chunks, real-time factors."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from wyoming_rt.records.trace import Trace


@dataclass(frozen=True)
class StreamTiming:
    """When the audio of one answer arrived."""

    first_audible_s: float | None
    """Request written -> arrival of the chunk holding the first non-silent frame."""
    chunk_gaps_s: list[float]
    """Time between consecutive ``audio-chunk`` arrivals."""

    @property
    def gap_p50_s(self) -> float | None:
        return float(np.percentile(self.chunk_gaps_s, 50)) if self.chunk_gaps_s else None

    @property
    def gap_p99_s(self) -> float | None:
        return float(np.percentile(self.chunk_gaps_s, 99)) if self.chunk_gaps_s else None

    @property
    def longest_stall_s(self) -> float | None:
        return max(self.chunk_gaps_s) if self.chunk_gaps_s else None


def gap_summary_ms(gaps_s: list[float]) -> dict[str, float | None]:
    """P50, P99 and longest of chunk gaps, in ms, with their count (for reports)."""
    timing = StreamTiming(None, gaps_s)
    ms = {"p50": timing.gap_p50_s, "p99": timing.gap_p99_s, "max": timing.longest_stall_s}
    return {**{k: None if v is None else round(v * 1000, 3) for k, v in ms.items()}, "count": len(gaps_s)}


def stream_timing(trace: Trace, leading_silence_s: float | None, bytes_per_s: float | None) -> StreamTiming:
    """Timing of the ``audio-chunk`` events in a TTS trace.

    ``leading_silence_s`` (from the audio analysis) and the stream's ``bytes_per_s`` locate the
    first audible byte; the chunk that carries it gives the first-audible time.
    """
    sent = trace.sent()
    chunks = trace.received("audio-chunk")
    if not sent or not chunks:
        return StreamTiming(None, [])
    started_ns = sent[0].time_ns
    gaps = [(b.time_ns - a.time_ns) / 1e9 for a, b in itertools.pairwise(chunks)]
    first_audible = None
    if leading_silence_s is not None and bytes_per_s:
        target = leading_silence_s * bytes_per_s
        offset = 0
        for chunk in chunks:
            offset += chunk.payload_length
            if offset > target:
                first_audible = (chunk.time_ns - started_ns) / 1e9
                break
    return StreamTiming(first_audible, gaps)


def longest_stall_s(trace: Trace, bytes_per_s: float) -> float:
    """The longest break a listener hears when playback starts with the first ``audio-chunk``:
    a chunk that arrives after the audio before it has finished playing stalls playback until
    it comes (later chunks are then due that much later)."""
    chunks = trace.received("audio-chunk")
    if not chunks or bytes_per_s <= 0:
        return 0.0
    start_ns = chunks[0].time_ns
    played_bytes = 0
    lag_s = 0.0
    longest = 0.0
    for chunk in chunks:
        due_s = played_bytes / bytes_per_s + lag_s
        stall = (chunk.time_ns - start_ns) / 1e9 - due_s
        if stall > 0:
            lag_s += stall
            longest = max(longest, stall)
        played_bytes += chunk.payload_length
    return longest

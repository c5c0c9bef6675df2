import pytest

from wyoming_rt.checks.timing import stream_timing
from wyoming_rt.records.trace import Trace, TraceEntry


def trace_with_chunks(arrivals_ms: list[float], chunk_bytes: int) -> Trace:
    trace = Trace("tts", "tcp://t:1", started_ns=0)
    trace.entries.append(TraceEntry("sent", "synthesize", {}, 0, 0))
    for t in arrivals_ms:
        trace.entries.append(TraceEntry("received", "audio-chunk", {}, chunk_bytes, int(t * 1e6)))
    return trace


def test_gaps_and_first_audible_chunk() -> None:
    # 4 chunks of 0.1 s at 1000 bytes/s; the first audible sample is 0.25 s in: the third chunk.
    timing = stream_timing(trace_with_chunks([100, 110, 300, 320], 100), leading_silence_s=0.25, bytes_per_s=1000)
    assert timing.first_audible_s == pytest.approx(0.300)
    assert timing.chunk_gaps_s == pytest.approx([0.010, 0.190, 0.020])
    assert timing.longest_stall_s == pytest.approx(0.190)
    assert timing.gap_p50_s == pytest.approx(0.020)


def test_no_chunks_no_timing() -> None:
    timing = stream_timing(trace_with_chunks([], 100), leading_silence_s=0.0, bytes_per_s=1000)
    assert timing.first_audible_s is None and timing.chunk_gaps_s == [] and timing.gap_p99_s is None

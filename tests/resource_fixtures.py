"""What two servers cost, built by hand with plausible figures (a faster-whisper STT and a Piper
TTS on a small machine), for the tests of the reports: the sampler fills the same records."""

from __future__ import annotations

import math

from wyoming_rt.records.resources import PhaseResources, ResourceSample, ResourceSource, ServerResources

PHASE_STARTS = [
    ("preflight", 0.0), ("preparation", 0.8), ("warm-up", 3.5), ("latency", 9.0),
    ("concurrency", 39.0), ("negatives", 61.0), ("probes", 66.0),
]  # fmt: skip
END_S = 98.0


def timeline(idle_mb: float, peak_mb: float, busy: float, samples: int = 50) -> list[ResourceSample]:
    """``samples`` samples from 0 to `END_S`: idle until the warm-up, then memory near its peak and
    the CPU busy while requests come (``busy`` cores in the latency phase, twice that under load)."""
    out = []
    for i in range(samples):
        t = END_S * i / (samples - 1)
        if t < 3.5:
            rss, cpu = idle_mb, 0.01
        else:
            rss = peak_mb - (peak_mb - idle_mb) * 0.2 * math.exp(-(t - 3.5) / 10) - 8 * (i % 3 == 0)
            cpu = busy * (2.0 if 39.0 <= t < 61.0 else 1.0) * (0.9 + 0.05 * (i % 4))
        out.append(ResourceSample(round(t, 2), round(rss, 1), round(cpu, 3)))
    return out


def measured(
    role: str,
    source: ResourceSource,
    pid: int,
    idle_mb: float,
    kept_mb: tuple[float, float],
    busy: float,
    phases: list[PhaseResources],
) -> ServerResources:
    """A server sampled throughout: ``kept_mb`` is its memory after the warm-up and at the end."""
    peak = max(p.rss_peak_mb for p in phases)
    return ServerResources(
        role, source, pid, None, idle_rss_mb=idle_mb, idle_cpu_utilisation=0.003, rss_after_warm_up_mb=kept_mb[0],
        rss_at_end_mb=kept_mb[1], requests_after_warm_up=96, phases=phases, timeline=timeline(idle_mb, peak, busy),
        phase_starts=list(PHASE_STARTS),
    )  # fmt: skip


def stt_resources() -> ServerResources:
    """STT: 180 MB idle, 420 MB at its peak; the latency phase 12.3 CPU-s over 30 s for 38 requests of 95.2 s of audio."""
    return measured("stt", "started", 4242, 180.0, (390.0, 402.5), 0.41, [
        PhaseResources("warm-up", 5.5, 3.1, 385.0, 300.0, 9, 1, 2, 5.0),
        PhaseResources("latency", 30.0, 12.3, 420.0, 395.0, 12, 1, 38, 95.2),
        PhaseResources("concurrency", 22.0, 18.4, 418.0, 405.0, 16, 4, 40, 100.0),
        PhaseResources("negatives", 5.0, 0.9, 402.0, 401.0, 12, 1, 3, 6.0),
        PhaseResources("probes", 32.0, 4.2, 405.0, 403.0, 12, 2, 15, None),
    ])  # fmt: skip


def tts_resources() -> ServerResources:
    """TTS: 120 MB idle, 260 MB at its peak; the latency phase 6.1 CPU-s over 30 s for 38 answers of 88.4 s of speech."""
    return measured("tts", "port", 5151, 120.0, (250.0, 251.0), 0.2, [
        PhaseResources("warm-up", 5.5, 1.2, 240.0, 200.0, 6, 1, 2, 4.6),
        PhaseResources("latency", 30.0, 6.1, 260.0, 250.0, 6, 1, 38, 88.4),
        PhaseResources("concurrency", 22.0, 9.0, 258.0, 252.0, 8, 4, 40, 93.0),
    ])  # fmt: skip


def unavailable(role: str, why: str = "tcp://192.168.1.20:10200 is not on this machine") -> ServerResources:
    return ServerResources(role, unavailable=why)


def resources() -> dict[str, ServerResources]:
    """Both servers measured."""
    return {"stt": stt_resources(), "tts": tts_resources()}

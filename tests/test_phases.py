"""The phases of a run against scripted servers: one request at a time in the latency phase,
lower pressure after timeouts in the concurrency phase, probes that keep a server busy under
every pace, and each phase in the report."""

from __future__ import annotations

import json
from dataclasses import replace

import anyio
import pytest
from anyio.abc import SocketStream

from tests.fake_servers import TEXT, FakeStt, FakeTts, fake_pair, send_transcript, speech_corpus
from tests.report_schema import assert_valid_report
from wyoming_rt.records.corpus import Corpus
from wyoming_rt.run.gates import Gates
from wyoming_rt.run.validate import ValidateOptions, validate

pytestmark = pytest.mark.anyio
OPTIONS = ValidateOptions(timeout_s=5.0, concurrency=2, gates=Gates(max_wer=None), negatives=False)


def many(count: int) -> Corpus:
    base = speech_corpus()
    return replace(base, utterances=[replace(u, id=f"{u.id}-{i}") for i in range(count // 2) for u in base.utterances])


class InFlight:
    """Counts STT requests in flight, and the most seen since the last reset."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0

    def reset(self) -> None:
        self.most = self.now

    async def answer(self, stream: SocketStream, audio: bytes, hold_s: float = 0.05) -> None:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await anyio.sleep(hold_s)  # long enough for overlapping requests to be seen
            await send_transcript(stream, TEXT if audio else "")
        finally:
            self.now -= 1


async def test_the_latency_phase_sends_one_request_at_a_time_and_the_concurrency_phase_many() -> None:
    counter = InFlight()
    most: dict[str, int] = {}
    current: list[str] = []

    def on_phase(name: str) -> None:
        if current:
            most[current[-1]] = counter.most
        current.append(name)
        counter.reset()

    async with fake_pair(FakeStt(after_audio_stop=counter.answer)) as (stt, tts):
        with anyio.fail_after(60):
            report = await validate(stt, tts, many(8), replace(OPTIONS, concurrency=4, probes=False), on_phase=on_phase)
    most[current[-1]] = counter.most
    assert [p.name for p in report.phases] == ["preflight", "preparation", "warm-up", "latency", "concurrency"]
    assert most["preparation"] == 0  # HA's voice detector ran over the clips with no request in flight
    assert report.phases[1].notes["voice_detector_plans"]["clips"] == 8
    # the client's own CPU per phase: the detector's thread is part of what the process spent
    assert all(p.client_cpu_s is not None and p.client_cpu_s >= 0 for p in report.phases)
    assert report.phases[1].client_cpu_s >= report.phases[1].notes["voice_detector_plans"]["cpu_s"] - 0.002
    assert most["latency"] == 1  # one HA user: never two requests at once, back transcription included
    assert most["warm-up"] == 1 and most["concurrency"] >= 2  # the warm-up is one request at a time too
    assert report.concurrency is not None and report.concurrency.level.round_trips == 8
    assert report.summary.latency["stt"] is not None and report.summary.latency["stt"].count == 8
    document = report.to_dict()
    assert_valid_report(json.loads(report.to_json()))
    assert [p["name"] for p in document["phases"]][3:] == ["latency", "concurrency"]
    assert document["concurrency"]["sessions_started"] == 4 and document["concurrency"]["mixed"] == 0


async def test_timeouts_under_load_lower_the_pressure_instead_of_failing_the_rest() -> None:
    """A server that stalls whenever more than two requests are in flight (and only then)."""
    counter = InFlight()

    async def stall_when_crowded(stream: SocketStream, audio: bytes) -> None:
        if counter.now >= 2:
            await anyio.sleep_forever()
        await counter.answer(stream, audio, hold_s=0.3)

    async with fake_pair(FakeStt(after_audio_stop=stall_when_crowded)) as (stt, tts):
        with anyio.fail_after(60):
            report = await validate(stt, tts, many(4), replace(OPTIONS, timeout_s=2.0, concurrency=4, probes=False))
    concurrency = report.concurrency
    assert concurrency is not None
    assert concurrency.timeouts >= 1 and concurrency.sessions_ended < concurrency.sessions_started
    assert concurrency.level.round_trips == 8  # nothing refused: the rest went out with fewer sessions
    load_errors = [f for f in report.findings if f.rule == "load.errors"]
    assert len(load_errors) == 1 and "lowered to" in load_errors[0].message and "busy machine" in load_errors[0].message
    assert all(u.passed for u in report.utterances)  # one at a time, every utterance is fine


@pytest.mark.parametrize("pace", ["burst", "realtime"])
async def test_the_busy_probe_keeps_the_server_busy_under_every_pace(pace: str) -> None:
    stt = FakeStt(lock_long_audio_s=2.0)
    async with fake_pair(stt, FakeTts(lock_long_texts_s=2.0)) as (stt_endpoint, tts_endpoint):
        with anyio.fail_after(90):
            report = await validate(
                stt_endpoint, tts_endpoint, speech_corpus(), replace(OPTIONS, pace=pace, concurrency=0, ha_mode="2026.2")
            )  # type: ignore[arg-type]
    busy = [f.message for f in report.findings if f.rule == "info.slow-while-busy"]
    assert any(m.startswith("STT server") for m in busy) and any(m.startswith("TTS server") for m in busy)
    probes = next(p for p in report.phases if p.name == "probes")
    assert probes.notes["busy_unfinished"] == []  # the busy requests ran to their end: no work left behind
    assert [p.name for p in report.phases] == ["preflight", "preparation", "warm-up", "latency", "probes"]  # concurrency 0: none

"""Info of the wrong shape is a named finding and the rest of the run goes on, never a crash."""

from __future__ import annotations

import anyio
import pytest
from wyoming.event import Event

from tests.fake_servers import FakeStt, FakeTts, fake_pair, speech_corpus, stt_info, tts_info
from wyoming_rt.run.gates import Gates
from wyoming_rt.run.validate import ValidateOptions, validate

pytestmark = pytest.mark.anyio
OPTIONS = ValidateOptions(timeout_s=10, concurrency=0, probes=False, negatives=False, gates=Gates(max_wer=None))


def changed(event: Event, kind: str, inner: str, **change: object) -> Event:
    """``event``'s info with top-level keys replaced, or (``inner=...``) the first program's list."""
    for key, value in change.items():
        if key == inner:
            event.data[kind][0][inner] = value
        else:
            event.data[key] = value
    return event


def stt_with(**change: object) -> Event:
    return changed(stt_info(), "asr", "models", **change)


def tts_with(**change: object) -> Event:
    return changed(tts_info(), "tts", "voices", **change)


@pytest.mark.parametrize(
    ("stt", "tts", "rule"),
    [
        (stt_with(asr=5), None, "info.unparseable"),
        (stt_with(models=7), None, "info.no-asr-program"),
        (stt_with(asr=None), None, "info.unparseable"),
        (None, tts_with(tts=1), "info.unparseable"),
        (None, tts_with(voices=3), "info.no-tts-program"),
        (None, tts_with(voices=[1, "x", None]), "info.unparseable"),
    ],
)
async def test_an_info_of_the_wrong_shape_is_a_finding_and_the_round_trips_still_run(
    stt: Event | None, tts: Event | None, rule: str
) -> None:
    fake_stt = FakeStt(info=stt) if stt is not None else FakeStt()
    fake_tts = FakeTts(info=tts) if tts is not None else FakeTts()
    async with fake_pair(fake_stt, fake_tts) as (stt_endpoint, tts_endpoint):
        with anyio.fail_after(60):
            report = await validate(stt_endpoint, tts_endpoint, speech_corpus(), OPTIONS)
    assert rule in {f.rule for f in report.findings}, [(f.rule, f.message) for f in report.findings]
    assert all(u.transcript is not None and u.audio is not None and u.audio.valid for u in report.utterances)
    report.to_json()

"""The per-utterance analysis has a deadline: past it, utterances are reported with their
timings and an ``analysis.deadline`` finding instead of running on without bound."""

from __future__ import annotations

from wyoming_rt.records.audio import PcmAudio
from wyoming_rt.records.corpus import Utterance
from wyoming_rt.records.results import RoundTripResult, SttResult
from wyoming_rt.records.trace import Trace
from wyoming_rt.run.build_report import utterance_reports_of


def stt_only(uid: str) -> RoundTripResult:
    audio = PcmAudio(b"\0\0" * 16000, 16000, 2, 1)
    stt = SttResult("turn on the lights", {"text": "turn on the lights"}, 0.25, 0.1, 1.0, False, Trace("stt", "tcp://x:1"))
    return RoundTripResult(Utterance(uid, "turn on the lights", audio), stt=stt)


def test_past_the_deadline_utterances_keep_their_timings_and_say_why() -> None:
    results = [stt_only("a"), stt_only("b")]
    reports = utterance_reports_of(results, {}, None, deadline_s=0)
    assert [r.id for r in reports] == ["a", "b"]
    for report in reports:
        assert [f.rule for f in report.findings] == ["analysis.deadline"]
        assert report.score is None and report.transcript == "turn on the lights"
        assert report.latency_ms["stt"] == 250


def test_within_the_deadline_every_utterance_is_analysed() -> None:
    reports = utterance_reports_of([stt_only("a")], {}, None, deadline_s=300)
    assert reports[0].score is not None and reports[0].score.wer == 0
    assert "analysis.deadline" not in [f.rule for f in reports[0].findings]

from typing import Any

from wyoming_rt.checks.audio import validate_tts_audio
from wyoming_rt.records.trace import Trace, TraceEntry

FMT = {"rate": 22050, "width": 2, "channels": 1}
TEXT = "Turn off the living room lights."  # 32 characters: plausible 0.9-9.5 s


def trace_of(*events: tuple[str, dict[str, Any], int]) -> Trace:
    trace = Trace("tts", "tcp://test:1")
    for i, (kind, data, length) in enumerate(events):
        trace.entries.append(TraceEntry("received", kind, data, length, i))
    return trace


def seconds(s: float, rate: int = 22050) -> int:
    return int(s * rate) * 2


def rules(trace: Trace, text: str = TEXT) -> list[str]:
    return [f.rule for f in validate_tts_audio(trace, text).findings]


def test_well_formed_audio_is_valid() -> None:
    result = validate_tts_audio(
        trace_of(
            ("audio-start", FMT, 0), ("audio-chunk", FMT, seconds(1)), ("audio-chunk", FMT, seconds(1)), ("audio-stop", {}, 0)
        ),
        TEXT,
    )
    assert result.valid and result.findings == []
    assert result.duration_s is not None and abs(result.duration_s - 2.0) < 1e-3
    assert (result.rate, result.width, result.channels, result.chunks, result.segments) == (22050, 2, 1, 2, 1)


def test_chunk_before_audio_start() -> None:
    assert rules(trace_of(("audio-chunk", FMT, seconds(2)), ("audio-stop", {}, 0))) == ["tts.audio-start-missing"]


def test_format_change_between_chunks() -> None:
    other = {**FMT, "rate": 16000}
    found = rules(trace_of(("audio-start", FMT, 0), ("audio-chunk", FMT, seconds(1)), ("audio-chunk", other, seconds(1))))
    assert found == ["tts.format-changed"]


def test_partial_samples() -> None:
    assert rules(trace_of(("audio-start", FMT, 0), ("audio-chunk", FMT, seconds(2) + 1))) == ["tts.partial-samples"]


def test_invalid_format() -> None:
    bad = {"rate": "22050", "width": 2, "channels": 1}
    assert "tts.format-invalid" in rules(trace_of(("audio-start", bad, 0), ("audio-chunk", bad, seconds(2))))


def test_empty_audio() -> None:
    assert rules(trace_of(("audio-start", FMT, 0), ("audio-stop", {}, 0))) == ["tts.empty-audio"]


def test_implausible_durations() -> None:
    too_short = trace_of(("audio-start", FMT, 0), ("audio-chunk", FMT, seconds(0.2)))
    too_long = trace_of(("audio-start", FMT, 0), ("audio-chunk", FMT, seconds(30)))
    assert rules(too_short) == ["tts.duration-implausible"]
    assert rules(too_long) == ["tts.duration-implausible"]


def test_each_rule_reported_once_per_answer() -> None:
    chunks = [("audio-chunk", FMT, 3)] * 5
    assert rules(trace_of(("audio-start", FMT, 0), *chunks)).count("tts.partial-samples") == 1


def test_a_chinese_answer_is_measured_by_its_syllables() -> None:
    """Twelve characters are twelve syllables: about 2.5 s at a natural four to five a second, far
    more than twelve letters of an alphabetic script would need."""
    text = "把客厅的空调温度调成22度"
    assert rules(trace_of(("audio-start", FMT, 0), ("audio-chunk", FMT, seconds(4.5))), text) == []
    assert rules(trace_of(("audio-start", FMT, 0), ("audio-chunk", FMT, seconds(0.3))), text) == ["tts.duration-implausible"]


def test_duration_not_judged_for_a_voice_of_another_language() -> None:
    too_long = trace_of(("audio-start", FMT, 0), ("audio-chunk", FMT, seconds(30)))
    assert [f.rule for f in validate_tts_audio(too_long, TEXT, judge_duration=False).findings] == []
    # the format rules still apply
    bad = {**FMT, "rate": "22050"}
    assert "tts.format-invalid" in [
        f.rule for f in validate_tts_audio(trace_of(("audio-start", bad, 0)), TEXT, judge_duration=False).findings
    ]

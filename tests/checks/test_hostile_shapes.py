"""Property tests: whatever JSON a server puts in info, transcripts or audio events, the checks
return findings and never raise."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from wyoming_rt.checks.audio import validate_tts_audio
from wyoming_rt.checks.protocol import check_stt_info, check_tts_info
from wyoming_rt.checks.trace_rules import SttCapabilities, check_stt_trace, check_tts_trace
from wyoming_rt.records.trace import Trace, TraceEntry
from wyoming_rt.run.probes import advertised_voices

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
KEYS = st.sampled_from(["asr", "tts", "models", "voices", "installed", "name", "languages", "rate", "width", "channels", "text"])
OBJECTS = st.dictionaries(KEYS | st.text(max_size=8), JSON, max_size=6)
INFO = st.dictionaries(
    st.sampled_from(["asr", "tts"]),
    st.lists(OBJECTS | st.fixed_dictionaries({"installed": st.just(True), "voices": JSON, "models": JSON}), max_size=3) | JSON,
)
EVENT_TYPES = st.sampled_from(
    ["audio-start", "audio-chunk", "audio-stop", "transcript", "transcript-chunk", "synthesize-stopped", "error"]
)


@given(INFO)
def test_info_of_any_shape_gives_findings_not_exceptions(info: dict) -> None:  # type: ignore[type-arg]
    check_stt_info(info, None)
    check_tts_info(info, None)
    check_stt_info(info, None, "de")
    check_tts_info(info, None, "de-DE")
    SttCapabilities.from_info(info)
    assert isinstance(advertised_voices(info, 3), list)


@given(st.lists(st.tuples(EVENT_TYPES, OBJECTS, st.integers(0, 5000)), max_size=12), st.text(max_size=30))
def test_traces_of_any_shape_give_findings_not_exceptions(events: list, text: str) -> None:  # type: ignore[type-arg]
    trace = Trace("tts", "tcp://x")
    trace.entries = [TraceEntry("received", kind, data, length, i) for i, (kind, data, length) in enumerate(events)]
    validate_tts_audio(trace, text)
    check_tts_trace(trace)
    check_stt_trace(trace, SttCapabilities())

"""One scripted server per rule: each breaks exactly one rule, and a full `validate` (probes
included) reports exactly that rule id, within its watchdog. A final test checks that every
rule in the catalogue is named by some test."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import anyio
import pytest
from anyio.abc import SocketStream
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event

from tests.fake_servers import (
    SPEECH,
    SPEECH_WITH_PAUSE,
    TEXT,
    FakeStt,
    FakeTts,
    fake_pair,
    segment,
    send_transcript,
    speech_corpus,
    spoken,
    stt_info,
    stt_info_in,
    tts_info,
    tts_info_in,
)
from wyoming_rt.records.audio import PcmAudio
from wyoming_rt.records.corpus import Corpus, Utterance
from wyoming_rt.records.errors import CorpusError
from wyoming_rt.records.rules import RULES
from wyoming_rt.run.breaker import MAX_FAILED_TRIALS, TRIAL_PAUSE_S
from wyoming_rt.run.gates import Gates
from wyoming_rt.run.validate import ValidateOptions, validate
from wyoming_rt.wire import encode_event

pytestmark = pytest.mark.anyio
TIMEOUT_S = 2.0
# the fakes answer any text with fixed audio: the long-text probe runs in its own cases only
OPTIONS = ValidateOptions(
    timeout_s=TIMEOUT_S, concurrency=2, llm_tokens_per_s=1000, long_text=False
)  # an LLM that streams in a blink
FMT = (SPEECH.rate_hz, SPEECH.width_bytes, SPEECH.channels)


async def nothing(*_: object) -> None:
    return None


def on_speech(action: Callable[[SocketStream], object]) -> Callable[[SocketStream, bytes], object]:
    """After audio-stop: ``action`` for utterance u0 (exactly SPEECH), the right transcript for
    anything else, so that u1 and the empty-audio probe still pass and only one rule breaks."""

    async def reply(stream: SocketStream, audio: bytes) -> None:
        if audio == SPEECH.pcm:
            await action(stream)  # type: ignore[misc]
        else:
            await send_transcript(stream, TEXT if audio else "")

    return reply


def plain_reply(frames: Callable[[], bytes]) -> Callable[[SocketStream, Event], object]:
    """A plain TTS answer of ``frames`` for text, the correct audio-stop for empty text."""

    async def reply(stream: SocketStream, request: Event) -> None:
        await stream.send(frames() if request.data.get("text") else encode_event(AudioStop().event()))

    return reply


def frames(*events: Event) -> Callable[[], bytes]:
    return lambda: b"".join(encode_event(e) for e in events)


def chunk(pcm: bytes = SPEECH.pcm, fmt: tuple[int, int, int] = FMT) -> Event:
    return AudioChunk(*fmt, pcm).event()


async def hang(*_: object) -> None:
    await anyio.sleep_forever()


async def close(*_: object) -> None:
    return None


async def error_then_hang(stream: SocketStream, *_: object) -> None:
    """An error event, then neither a close nor an end of the answer (wyoming-piper 1.6.3, checked on the wire)."""
    await stream.send(encode_event(Event("error", {"text": "no such voice"})))
    await anyio.sleep_forever()


async def stalls_on_long_texts(stream: SocketStream, request: Event) -> None:
    """Half a second of a long answer, then 3 s of nothing, then the rest; short texts at once."""
    text = request.data.get("text", "")
    audio = spoken(text)
    if len(text) < 1000:
        await stream.send(segment(audio) if text else encode_event(AudioStop().event()))
        return
    fmt = (SPEECH.rate_hz, SPEECH.width_bytes, SPEECH.channels)
    await stream.send(encode_event(AudioStart(*fmt).event()) + encode_event(AudioChunk(*fmt, audio[:16000]).event()))
    await anyio.sleep(3)
    await stream.send(encode_event(AudioChunk(*fmt, audio[16000:]).event()) + encode_event(AudioStop().event()))


def stream_end(send: Callable[[], bytes], *, then_close: bool = False) -> Callable[[SocketStream, str], object]:
    async def end(stream: SocketStream, text: str) -> None:
        await stream.send(send() if text else encode_event(Event("synthesize-stopped")))
        if then_close and text:
            await stream.aclose()

    return end


def first_describe_late() -> Callable[[SocketStream, Event], object]:
    calls = 0

    async def describe(stream: SocketStream, info: Event) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            await anyio.sleep(1.2)
        await stream.send(encode_event(info))

    return describe


def without(info: Event, key: str) -> Event:
    del info.data["asr"][0][key]
    return info


HALF = len(SPEECH.pcm) // 4 * 2
CORPUS_AUDIO = (SPEECH.pcm, SPEECH_WITH_PAUSE.pcm)
STOPPED = Event("synthesize-stopped")


@dataclass
class Case:
    stt: FakeStt = field(default_factory=FakeStt)
    tts: FakeTts = field(default_factory=FakeTts)
    options: ValidateOptions = OPTIONS
    corpus: Callable[[], Corpus] = speech_corpus
    expected: set[str] = field(default_factory=set)


ENGLISH_ANSWER = "Turn off the light in the kitchen."


def german_corpus() -> Corpus:
    """German commands (the audio is the fakes' one clip: the STT fake hears what it is told to)."""
    texts = ("Schalte das Licht in der Küche aus.", "Stelle die Heizung im Wohnzimmer auf 21 Grad.")
    return Corpus(
        "de",
        [Utterance(f"u{i}", t, a) for i, (t, a) in enumerate(zip(texts, (SPEECH, SPEECH_WITH_PAUSE), strict=True))],
        language="de",
    )


CASES: dict[str, Case] = {
    # --- info
    "info.unparseable": Case(stt=FakeStt(info=without(stt_info(), "attribution"))),
    "info.no-asr-program": Case(stt=FakeStt(info=stt_info(installed=False))),
    "info.no-tts-program": Case(tts=FakeTts(info=Event("info", {"tts": [{**tts_info().data["tts"][0], "installed": False}]}))),
    # HA 2026.2 allowed describe 1 s per attempt (2026.11: 5 s); the 2026.2 mode keeps these cases short
    "info.slow": Case(stt=FakeStt(describe=first_describe_late()), options=replace(OPTIONS, ha_mode="2026.2")),
    "info.slow-while-busy": Case(tts=FakeTts(lock_long_texts_s=2.0), options=replace(OPTIONS, ha_mode="2026.2")),
    # connects, never answers describe: nothing else is sent to it
    "info.no-answer": Case(
        stt=FakeStt(describe=hang),
        options=replace(OPTIONS, ha_mode="2026.2"),
        expected={"info.no-answer", "stt.not-sent", "gate.nothing-scored"},
    ),
    # HA offers an engine only for its installed models' and voices' languages (the fakes list en)
    "info.language-not-listed": Case(options=replace(OPTIONS, language="de")),
    "info.tts-language-not-listed": Case(tts=FakeTts(info=tts_info_in("de_DE"))),
    "info.voice-unusable": Case(tts=FakeTts(info=tts_info("v", "ghost"), unusable_voices=("ghost",))),
    # --- framing (on the TTS answer; the reader is shared)
    "framing.bad-header": Case(tts=FakeTts(plain=plain_reply(lambda: b"HTTP/1.1 400 Bad Request\r\n\r\n"))),
    "framing.bad-length": Case(
        tts=FakeTts(plain=plain_reply(lambda: b'{"type": "audio-start", "data_length": 5}\n{"rate": 16000}'))
    ),
    "framing.oversize": Case(
        tts=FakeTts(plain=plain_reply(lambda: b'{"type": "audio-start", "pad": "' + b"x" * 70_000 + b'"}\n'))
    ),
    "framing.truncated": Case(tts=FakeTts(plain=plain_reply(lambda: segment()[: len(segment()) // 2]))),
    # --- STT
    # hangs on u0 (also in the warm-up, and on the TTS audio of the same speech): u1 still passes
    "stt.timeout": Case(stt=FakeStt(after_audio_stop=on_speech(hang)), expected={"stt.timeout", "warmup.slow", "back.failed"}),
    # hangs on all speech: the warm-up times out, then a trial after a pause; nothing more is sent to it
    "stt.not-sent": Case(
        stt=FakeStt(after_audio_stop=lambda s, audio: hang() if audio else send_transcript(s, "")),
        expected={"stt.timeout", "stt.not-sent", "warmup.slow", "gate.nothing-scored"},
    ),
    "stt.closed": Case(stt=FakeStt(after_audio_stop=on_speech(close))),
    "stt.error-event": Case(
        stt=FakeStt(after_audio_stop=on_speech(lambda s: s.send(encode_event(Event("error", {"text": "boom"})))))
    ),
    "stt.error-then-hang": Case(
        stt=FakeStt(after_audio_stop=on_speech(error_then_hang)), expected={"stt.error-then-hang", "back.failed"}
    ),
    "stt.invalid-event": Case(
        stt=FakeStt(after_audio_stop=on_speech(lambda s: s.send(encode_event(Event("transcript", {"language": "en"})))))
    ),
    "stt.empty-transcript": Case(
        stt=FakeStt(after_audio_stop=on_speech(lambda s: send_transcript(s, ""))),
        options=replace(OPTIONS, gates=Gates(max_wer=None)),
    ),
    "stt.multiple-transcripts": Case(
        stt=FakeStt(
            after_audio_stop=lambda s, audio: s.send(2 * encode_event(Event("transcript", {"text": TEXT if audio else ""})))
        )
    ),
    "stt.transcript-before-audio-stop": Case(
        stt=FakeStt(on_audio_start=send_transcript, after_audio_stop=nothing), options=replace(OPTIONS, pace="realtime")
    ),
    "stt.transcript-stream-order": Case(
        stt=FakeStt(
            info=stt_info(supports_transcript_streaming=True),
            after_audio_stop=lambda s, audio: s.send(
                frames(
                    Event("transcript-chunk", {"text": TEXT}),
                    Event("transcript-start"),
                    Event("transcript", {"text": TEXT if audio else ""}),
                )()
            ),
        )
    ),
    "stt.transcript-stream-disagrees": Case(
        stt=FakeStt(
            info=stt_info(supports_transcript_streaming=True),
            after_audio_stop=lambda s, audio: s.send(
                frames(
                    Event("transcript-start"),
                    Event("transcript-chunk", {"text": "Turn off the "}),
                    Event("transcript-chunk", {"text": "heating."}),
                    Event("transcript", {"text": TEXT if audio else ""}),
                    Event("transcript-stop"),
                )()
            ),
        )
    ),
    "stt.transcript-stream-unadvertised": Case(
        stt=FakeStt(
            after_audio_stop=lambda s, audio: s.send(
                frames(
                    Event("transcript-start"),
                    Event("transcript-chunk", {"text": TEXT}),
                    Event("transcript", {"text": TEXT if audio else ""}),
                )()
            )
        )
    ),
    # says it has its own VAD: HA 2026.11 sends no audio-stop at the end of speech, the server must end it
    "stt.no-endpointing": Case(stt=FakeStt(info=stt_info(requires_external_vad=False))),
    "stt.early-stop-unanswered": Case(
        stt=FakeStt(
            info=stt_info(requires_external_vad=False),
            endpoint_after_bytes=len(SPEECH.pcm) // 320 * 320,
            after_audio_stop=lambda s, audio: close() if audio else send_transcript(s, ""),
        )
    ),
    "stt.empty-audio-unanswered": Case(stt=FakeStt(after_audio_stop=lambda s, audio: send_transcript(s) if audio else close())),
    "probe.unknown-event": Case(stt=FakeStt(close_on_unknown=True)),
    # a dropped language code: German commands, English transcripts (what upstream wyoming-faster-whisper
    # on tiny.en does for real: tests/integration/test_languages.py)
    "stt.wrong-language": Case(
        stt=FakeStt(info=stt_info_in("de", "en"), after_audio_stop=on_speech(lambda s: send_transcript(s, ENGLISH_ANSWER))),
        tts=FakeTts(info=tts_info_in("de_DE", "en_US")),
        corpus=german_corpus,
        options=replace(OPTIONS, gates=Gates(max_wer=None)),
    ),
    "stt.hallucination": Case(
        corpus=lambda: replace(
            speech_corpus(), negatives=[Utterance("negative/silence", "", PcmAudio(b"\0" * 32000, 16000, 2, 1))]
        )
    ),
    # --- TTS
    "tts.timeout": Case(
        tts=FakeTts(plain=lambda s, r: hang() if r.data.get("text") else s.send(encode_event(AudioStop().event()))),
        expected={"tts.timeout", "tts.not-sent", "warmup.slow"},
    ),
    "tts.closed": Case(tts=FakeTts(plain=plain_reply(frames(AudioStart(*FMT).event(), chunk())))),
    "tts.error-event": Case(tts=FakeTts(plain=plain_reply(frames(Event("error", {"text": "no", "code": "x"}))))),
    "tts.error-then-audio": Case(
        tts=FakeTts(
            plain=plain_reply(frames(Event("error", {"text": "late"}), AudioStart(*FMT).event(), chunk(), AudioStop().event()))
        )
    ),
    "tts.error-then-hang": Case(
        tts=FakeTts(plain=lambda s, r: error_then_hang(s) if r.data.get("text") else s.send(encode_event(AudioStop().event()))),
        expected={"tts.error-then-hang", "tts.not-sent"},  # the 2 s watchdog ends the wait first
    ),
    "tts.long-text-incomplete": Case(
        tts=FakeTts(
            plain=lambda s, r: s.send(
                segment(spoken(r.data.get("text", "")[:300])) if r.data.get("text") else encode_event(AudioStop().event())
            )
        ),
        options=replace(OPTIONS, long_text=True),
    ),
    "tts.long-text-stall": Case(tts=FakeTts(plain=stalls_on_long_texts), options=replace(OPTIONS, long_text=True, timeout_s=10)),
    "tts.llm-stream-incomplete": Case(tts=FakeTts(info=tts_info(streaming=True), silent_when_chunked=True)),
    "tts.empty-text-unanswered": Case(tts=FakeTts(plain=lambda s, r: s.send(segment()) if r.data.get("text") else close())),
    "tts.audio-start-missing": Case(tts=FakeTts(info=tts_info(streaming=True), stream_end=stream_end(frames(chunk(), STOPPED)))),
    "tts.format-invalid": Case(
        tts=FakeTts(plain=plain_reply(frames(AudioStart(0, 2, 1).event(), chunk(fmt=(0, 2, 1)), AudioStop().event())))
    ),
    "tts.format-changed": Case(
        tts=FakeTts(
            plain=plain_reply(
                frames(
                    AudioStart(*FMT).event(),
                    chunk(SPEECH.pcm[:HALF]),
                    chunk(SPEECH.pcm[HALF:], (22050, 2, 1)),
                    AudioStop().event(),
                )
            )
        )
    ),
    "tts.partial-samples": Case(
        tts=FakeTts(plain=plain_reply(frames(AudioStart(*FMT).event(), chunk(SPEECH.pcm + b"\0"), AudioStop().event())))
    ),
    "tts.empty-audio": Case(tts=FakeTts(plain=plain_reply(frames(AudioStart(*FMT).event(), AudioStop().event())))),
    "tts.duration-implausible": Case(
        tts=FakeTts(plain=plain_reply(frames(AudioStart(*FMT).event(), chunk(SPEECH.pcm[:320]), AudioStop().event())))
    ),
    "tts.audio-stop-per-segment": Case(
        tts=FakeTts(
            info=tts_info(streaming=True),
            stream_end=stream_end(
                frames(
                    AudioStart(*FMT).event(),
                    chunk(SPEECH.pcm[:HALF]),
                    AudioStart(*FMT).event(),
                    chunk(SPEECH.pcm[HALF:]),
                    AudioStop().event(),
                    STOPPED,
                )
            ),
        )
    ),
    "tts.synthesize-stopped-not-last": Case(
        tts=FakeTts(info=tts_info(streaming=True), stream_end=stream_end(lambda: segment() + encode_event(STOPPED) + segment()))
    ),
    "tts.synthesize-stopped-missing": Case(
        tts=FakeTts(info=tts_info(streaming=True), stream_end=stream_end(segment, then_close=True))
    ),
    "tts.compat-synthesize-answered": Case(tts=FakeTts(info=tts_info(streaming=True), answer_compat_synthesize=True)),
    # --- the run
    "corpus.bad-file": Case(corpus=lambda: replace(speech_corpus(), problems=[CorpusError("corpus/x.wav: not a WAV file")])),
    "gate.max-wer": Case(
        stt=FakeStt(after_audio_stop=lambda s, audio: send_transcript(s, "What is the weather in Boston?" if audio else ""))
    ),
    "gate.max-p95-ms": Case(options=replace(OPTIONS, gates=Gates(max_p95_ms={"round_trip": 0.001}))),
    "gate.max-p99-ms": Case(options=replace(OPTIONS, gates=Gates(max_p99_ms={"stt": 0.001}))),
    "gate.max-back-wer": Case(
        stt=FakeStt(
            after_audio_stop=lambda s, audio: send_transcript(
                s, TEXT if audio in CORPUS_AUDIO else "Something else entirely." if audio else ""
            )
        ),
        tts=FakeTts(plain=plain_reply(lambda: segment((SPEECH.samples()[:, 0] * 0.9 * 32767).astype("<i2").tobytes()))),
        options=replace(OPTIONS, gates=Gates(max_back_wer=0.5)),
    ),
    # the validator's own back transcription fails (the STT server closes on the TTS audio): a warning, nothing else
    "back.failed": Case(
        stt=FakeStt(
            after_audio_stop=lambda s, audio: (
                send_transcript(s, TEXT if audio in CORPUS_AUDIO else "") if audio in CORPUS_AUDIO or not audio else close()
            )
        ),
        tts=FakeTts(plain=plain_reply(lambda: segment((SPEECH.samples()[:, 0] * 0.9 * 32767).astype("<i2").tobytes()))),
    ),
    # one of three utterances scored: the WER gate must not hold over so little
    "gate.too-little-data": Case(
        stt=FakeStt(after_audio_stop=on_speech(close)),
        corpus=lambda: Corpus(
            "fake", [Utterance("u0", TEXT, SPEECH), Utterance("u0b", TEXT, SPEECH), Utterance("u1", TEXT, SPEECH_WITH_PAUSE)]
        ),
        expected={"stt.closed", "gate.too-little-data"},
    ),
}
CASES["gate.max-failure-rate"] = replace(
    CASES["stt.closed"],
    options=replace(OPTIONS, gates=Gates(max_failure_rate=0.25)),
    expected={"stt.closed", "gate.max-failure-rate"},
)
CASES["gate.nothing-scored"] = Case(
    stt=FakeStt(after_audio_stop=lambda s, audio: close() if audio else send_transcript(s, "")),
    expected={"stt.closed", "gate.nothing-scored"},
)


async def run_case(case: Case):  # type: ignore[no-untyped-def]
    async with fake_pair(case.stt, case.tts) as (stt, tts):
        with anyio.fail_after(60):  # hang guard for the test itself
            return await validate(stt, tts, case.corpus(), case.options)


@pytest.mark.parametrize("streaming", [False, True])
async def test_well_behaved_fakes_produce_no_finding(streaming: bool) -> None:
    """Long answers included: the fakes speak as long as the text needs."""
    report = await run_case(Case(tts=FakeTts(info=tts_info(streaming=streaming)), options=replace(OPTIONS, long_text=True)))
    assert [(f.rule, f.message) for f in report.findings] == []
    assert report.passed
    probes = next(p for p in report.phases if p.name == "probes")
    assert probes.notes["long_text"]["ok"] and ("llm_stream" in probes.notes) == streaming


@pytest.mark.parametrize("rule_id", sorted(CASES))
async def test_each_broken_rule_is_reported_by_its_id(rule_id: str) -> None:
    case = CASES[rule_id]
    started = anyio.current_time()
    report = await run_case(case)
    elapsed = anyio.current_time() - started
    found = {f.rule for f in report.findings}
    expected = case.expected or {rule_id}
    assert expected <= found, [(f.rule, f.message) for f in report.findings]
    # no other error: a fault in one place is not reported as a fault somewhere else
    assert {f.rule for f in report.findings if f.severity == "error"} <= expected, [(f.rule, f.message) for f in report.findings]
    # an error fails the run; a warning alone does not
    assert report.passed == all(RULES[r].severity == "warning" for r in expected)
    # every wait is bounded: at most a trip and its trials for a server that answers describe but
    # no request (then nothing more is sent to it), or three (warm-up, round trip, back transcription)
    # for one that chokes on one input; none in the probes, which use an utterance that worked
    assert elapsed < (1 + MAX_FAILED_TRIALS) * (TIMEOUT_S + TRIAL_PAUSE_S) + 4


def test_every_rule_in_the_catalogue_is_named_by_a_test() -> None:

    sources = "".join(p.read_text() for p in pathlib.Path(__file__).parent.rglob("*.py"))
    untested = sorted(r for r in RULES if f'"{r}"' not in sources)
    assert untested == []


def test_cases_cover_every_protocol_rule() -> None:
    covered = set(CASES) | {r for c in CASES.values() for r in c.expected}
    protocol = {r for r in RULES if r.split(".")[0] in ("info", "framing", "stt", "tts", "probe")}
    # tts.connect/stt.connect need a server that vanishes after describe: see test_server_gone_after_describe;
    # the budgets are the emulator's: see tests/test_hostile_servers.py; health checks: tests/test_health_checks.py
    assert protocol - covered == {
        "stt.connect",
        "tts.connect",
        "stt.over-budget",
        "tts.over-budget",
        "info.unavailable",
        "info.unavailable-under-load",
    }


@pytest.mark.parametrize("role", ["stt", "tts"])
async def test_server_gone_after_describe(role: str) -> None:
    """The server answers describe, then stops listening: each round trip gets a connect finding."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    fake = FakeStt() if role == "stt" else FakeTts()

    async def describe_then_close() -> None:
        async with listener:
            stream = await listener.listeners[0].accept()  # type: ignore[attr-defined]
            async with stream:
                await fake.handle(stream)

    async with fake_pair() as (good_stt, good_tts), anyio.create_task_group() as tg:
        tg.start_soon(describe_then_close)
        from wyoming_rt.endpoint import Endpoint

        gone = Endpoint("127.0.0.1", port)
        stt, tts = (gone, good_tts) if role == "stt" else (good_stt, gone)
        with anyio.fail_after(30):
            report = await validate(stt, tts, speech_corpus(), replace(OPTIONS, probes=False))
    assert {f.rule for f in report.findings} == ({"stt.connect", "gate.nothing-scored"} if role == "stt" else {"tts.connect"})
    assert not report.passed


async def test_ignored_rules_are_reported_but_do_not_fail_the_run() -> None:
    case = CASES["stt.closed"]
    report = await run_case(replace(case, options=replace(OPTIONS, gates=Gates(ignore=("stt.closed",)))))
    assert [f for f in report.findings if f.severity == "error"] == [] and report.passed
    assert {f.rule for f in report.ignored_findings} == {"stt.closed"}
    assert "u0" in {f["utterance"] for f in report.to_dict()["ignored_findings"]}


async def test_every_gate_checked_is_in_the_report() -> None:
    gates = Gates(
        max_wer=0.5, max_back_wer=0.5, max_p95_ms={"stt": 60_000}, max_p99_ms={"round_trip": 60_000}, max_failure_rate=0.5
    )
    report = await run_case(Case(options=replace(OPTIONS, gates=gates)))
    assert [(g.gate, g.passed) for g in report.gate_results] == [
        ("max_wer", True), ("max_back_wer", True), ("max_p95_ms.stt", True), ("max_p99_ms.round_trip", True), ("max_failure_rate", True),
    ]  # fmt: skip
    assert all(g.measured is not None and g.measured <= g.threshold for g in report.gate_results)
    assert [g["over"] for g in report.to_dict()["gates"]] == ["over 2 of 2"] * 5  # what each figure was measured over


async def test_a_gate_over_too_little_data_says_so_in_its_own_words() -> None:
    report = await run_case(CASES["gate.too-little-data"])
    wer_gate = next(g for g in report.gate_results if g.gate == "max_wer")
    assert (wer_gate.samples, wer_gate.of, wer_gate.passed) == (1, 3, False)
    (too_little,) = [f for f in report.findings if f.rule == "gate.too-little-data"]
    assert too_little.message == "max_wer: measured over 1 of 3 utterances, under 50%: too little to hold"


async def test_a_voice_probe_that_meets_error_then_hang_names_it() -> None:
    """Old wyoming-piper (1.6.3, checked on the wire) answers a voice it lacks with an error and
    then neither closes nor ends the answer: its own rule, beside the unusable voice."""
    tts = FakeTts(info=tts_info("v", "ghost"), unusable_voices=("ghost",), hang_after_voice_error=True)
    report = await run_case(Case(tts=tts))
    found = {f.rule: f for f in report.findings}
    assert set(found) == {"tts.error-then-hang", "info.voice-unusable"}, [(f.rule, f.message) for f in report.findings]
    assert "ghost" in found["tts.error-then-hang"].message

"""The catalogue: every rule a server (or the run) can break, one constant each.

Checks import the constants they judge by; `RULES` maps every id to its rule whatever was
imported. ``python -m wyoming_rt rules`` renders it as docs/rules.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from wyoming_rt.records.errors import FramingReason
from wyoming_rt.records.findings import Rule

_DESCRIBE_REF = "HA data.py load_wyoming_info: 5 s per attempt in 2026.11 (1 s in 2026.2), 4 attempts, 2 s apart"
_HEALTH_REF = "HA 2026.11 wyoming integration: info coordinator, 30 s, one attempt (docs/ha-fidelity.md)"
_FRAMING_REF = "Wire format: header line, data_length/payload_length blocks (wyoming event.py)"
_STT_REQUEST_REF = "HA stt.py: a new connection per utterance, read until transcript"
_TTS_REQUEST_REF = "HA tts.py: a new connection per request, read until audio-stop / synthesize-stopped"
_AUDIO_REF = "Audio quality of the returned stream (docs/checks.md); HA plays it as declared"
_LONG_TEXT_REF = "HA core issues 148602 and 134910; wyoming-rt long-text probe (docs/ha-fidelity.md)"
_GATE_REF = "wyoming-rt gates (command line, --config or [tool.wyoming_rt])"

# --- The server's info (describe) ---------------------------------------------------------------

INFO_UNPARSEABLE = Rule(
    "info.unparseable",
    "error",
    "The info event does not parse as wyoming's Info (a required field is missing or mistyped).",
    "HA parses info with the wyoming library; a TypeError there makes the integration's setup fail.",
    ref="Info model: required fields (wyoming info.py, Info.from_event)",
)
INFO_NO_ASR = Rule(
    "info.no-asr-program",
    "error",
    "The STT server's info lists no installed asr program with an installed model.",
    "HA uses the first asr program and the languages of its installed models; without one, setup fails.",
    ref="HA data.py: info.asr[0] and its installed models",
)
INFO_NO_TTS = Rule(
    "info.no-tts-program",
    "error",
    "The TTS server's info lists no installed tts program with an installed voice.",
    "HA uses the first installed tts program and offers only installed voices.",
    ref="HA data.py / tts.py: the first installed tts program",
)
INFO_LANGUAGE_NOT_LISTED = Rule(
    "info.language-not-listed",
    "error",
    "The language HA asks for is not among the languages of the STT server's installed models.",
    "HA offers an STT engine only for the languages of its installed models: a pipeline in this language cannot "
    "use the server at all.",
    ref="HA wyoming stt.py: supported_languages from the installed models of info.asr[0]",
)
INFO_TTS_LANGUAGE_NOT_LISTED = Rule(
    "info.tts-language-not-listed",
    "warning",
    "The TTS server lists no installed voice in the run's language; the round trip sends it the text anyway "
    "(its answers' duration and speaking rate are then not judged).",
    "HA offers a TTS engine only for the languages of its installed voices: a pipeline in this language cannot "
    "pick it, and the back WER of this run measures a voice speaking another language.",
    ref="HA wyoming tts.py: supported_languages from the installed voices",
)
INFO_NO_ANSWER = Rule(
    "info.no-answer",
    "error",
    "The server accepted connections but never answered describe (every attempt timed out).",
    "HA cannot set the integration up: it describes before anything else and gives up after its attempts.",
    ref="HA data.py load_wyoming_info: describe timeout per attempt, 4 attempts, 2 s apart",
)
INFO_SLOW = Rule(
    "info.slow",
    "error",
    "describe was answered only after a retry (HA allows 5 s per attempt; 2026.2 allowed 1 s).",
    "HA retries describe 4 times; a server that needs retries delays setup and fails under load.",
    ref=_DESCRIBE_REF,
)
INFO_SLOW_WHILE_BUSY = Rule(
    "info.slow-while-busy",
    "warning",
    "describe was not answered within HA's describe timeout (5 s; 1 s in 2026.2 mode) while the server was busy "
    "with a long request.",
    "HA describes on setup, on reload and (2026.11) every 30 s with that timeout; a server that blocks its event "
    "loop while working goes unavailable whenever another client is being served.",
    ref=_DESCRIBE_REF,
)
INFO_VOICE_UNUSABLE = Rule(
    "info.voice-unusable",
    "error",
    "A voice the info advertises as installed returns no audio when HA asks for it.",
    "HA offers every installed voice in its voice picker; a user who picks a broken one gets silence or an error "
    "(wyoming-piper issue 34, HA core issue 178560).",
    ref="HA tts.py: every installed voice is offered; synthesize.voice.name",
)

# --- Health checks during the run (HA 2026.11) ---------------------------------------------------

INFO_UNAVAILABLE = Rule(
    "info.unavailable",
    "error",
    "A health check during the run (describe, one attempt, HA's describe timeout) was not answered.",
    "HA 2026.11 describes every configured server again every 30 s; a miss makes the server's entities "
    "unavailable until the next check answers. A server whose event loop stalls while it works, or that "
    "leaks per connection, is caught here the way HA users meet it.",
    ref=_HEALTH_REF,
)
INFO_UNAVAILABLE_UNDER_LOAD = Rule(
    "info.unavailable-under-load",
    "warning",
    "A health check (describe, one attempt, HA's describe timeout) was not answered while several of the run's "
    "requests were in flight; every check made with at most one in flight was answered.",
    "With several users at once (satellites, automations) HA marks the server's entities unavailable. How many "
    "requests a server must carry is the deployment's call, and a slow or busy machine makes a miss likelier.",
    ref=_HEALTH_REF,
)

# --- Wire framing (framing.*) --------------------------------------------------------------------

FRAMING_BAD_HEADER = Rule(
    "framing.bad-header",
    "error",
    "A header line is not a UTF-8 JSON object with a string 'type'.",
    "The reference reader treats bad JSON as a closed connection: HA sees the request fail for no stated reason.",
    ref=_FRAMING_REF,
)
FRAMING_BAD_LENGTH = Rule(
    "framing.bad-length",
    "error",
    "data_length/payload_length is not a non-negative integer, or does not match the block that follows.",
    "A lying length desynchronises the stream: every later event is read from the wrong offset.",
    ref=_FRAMING_REF,
)
FRAMING_OVERSIZE = Rule(
    "framing.oversize",
    "error",
    "A header line over 64 KiB, a data block over 1 MiB or a payload over 16 MiB.",
    "The reference reader's readline stops at 64 KiB (asyncio's limit); HA drops the connection.",
    ref=_FRAMING_REF,
)
FRAMING_TRUNCATED = Rule(
    "framing.truncated",
    "error",
    "The connection closed in the middle of a frame (header, data block or payload cut short).",
    "The reference reader raises an uncaught IncompleteReadError: HA logs a traceback and the request fails.",
    ref=_FRAMING_REF,
)

# --- Failed STT and TTS requests (stt.* / tts.*, one rule per stage and way of failing) ----------


def _per_stage(kind: str, summary: str, why: str, *, ref: str = "") -> tuple[Rule, Rule]:
    """The STT and the TTS rule for one way a request fails; ``{label}`` in ``summary`` names the server."""
    return (
        Rule(f"stt.{kind}", "error", summary.format(label="STT"), why, ref=ref or _STT_REQUEST_REF),
        Rule(f"tts.{kind}", "error", summary.format(label="TTS"), why, ref=ref or _TTS_REQUEST_REF),
    )


STT_CONNECT, TTS_CONNECT = _per_stage(
    "connect",
    "The {label} server could not be reached.",
    "HA reports the service unavailable.",
)
STT_TIMEOUT, TTS_TIMEOUT = _per_stage(
    "timeout",
    "The {label} answer did not complete within the watchdog timeout.",
    "HA has no read timeout here: a server that stalls leaves the user waiting forever.",
)
STT_CLOSED, TTS_CLOSED = _per_stage(
    "closed",
    "The {label} server closed the connection before its final event.",
    "HA treats a close before the final event as a failed request.",
)
STT_ERROR_EVENT, TTS_ERROR_EVENT = _per_stage(
    "error-event",
    "The {label} server answered with an error event.",
    "Current HA fails the request on an error event.",
)
STT_ERROR_THEN_HANG, TTS_ERROR_THEN_HANG = _per_stage(
    "error-then-hang",
    "After an error event the {label} server neither closed the connection nor ended its answer.",
    "HA 2026.2 ignores the error and waits for the answer without a timeout: the request hangs for ever "
    "(wyoming-piper 1.6.3 on wyoming 1.7.2 does this for a voice it lacks). Close the connection after an error.",
    ref="HA 2026.2 stt.py / tts.py: error events skipped, no read timeout (docs/ha-fidelity.md)",
)
STT_OVER_BUDGET, TTS_OVER_BUDGET = _per_stage(
    "over-budget",
    "The {label} answer went over the validator's budget (audio seconds or bytes, or events in one answer); "
    "the rest was read and dropped, not kept.",
    "HA keeps reading without a limit: an answer without end grows its memory until the request or HA fails.",
)
STT_NOT_SENT, TTS_NOT_SENT = _per_stage(
    "not-sent",
    "The {label} request was not sent: the server had stopped answering (it timed out, then did not answer "
    "describe, or timed out on three trial requests in a row after pauses).",
    "A server that stops answering leaves every HA user waiting; one watchdog per request would only make the run longer.",
)
STT_INVALID_EVENT = Rule(
    "stt.invalid-event",
    "error",
    "The STT server sent a transcript whose fields are invalid (no text).",
    "HA's wyoming classes raise on missing required fields.",
    ref="wyoming asr.py Transcript: text is required",
)
TTS_ERROR_THEN_AUDIO = Rule(
    "tts.error-then-audio",
    "error",
    "The TTS server sent an error event and then audio in the same answer.",
    "HA 2026.11 fails the request at the error, so the audio that follows is never played (HA 2026.2 "
    "ignored the error and played it). Send an error only when no audio follows.",
    ref="HA 2026.11 tts.py: an error event fails the request (docs/ha-fidelity.md)",
)

# --- STT answers: the transcript and its events ---------------------------------------------------

STT_EMPTY_TRANSCRIPT = Rule(
    "stt.empty-transcript",
    "error",
    "The transcript of a spoken utterance is empty.",
    "HA reports 'no text recognised'; the round trip cannot continue.",
    ref="HA stt.py: empty transcript text means 'no text recognised'",
)
STT_WRONG_LANGUAGE = Rule(
    "stt.wrong-language",
    "error",
    "The transcripts are in another language than the one HA asked for (the language was dropped: Whisper "
    "auto-detected or translated, or the model knows only English).",
    "HA hands the transcript to the conversation agent of the pipeline's language: a command transcribed into "
    "another language matches no intent, and the user hears 'Sorry, I couldn't understand that'.",
    ref="HA stt.py: transcribe{language}; wyoming-rt language check (docs/checks.md)",
)
STT_HALLUCINATION = Rule(
    "stt.hallucination",
    "warning",
    "The STT server returned words for a clip with no speech (silence or noise).",
    'HA acts on invented text ("You", "Thank you for watching!"): a wrong intent, or a reply to nobody.',
    ref="Assist pipeline: the transcript is acted on as a command",
)
STT_TRANSCRIPT_BEFORE_AUDIO_STOP = Rule(
    "stt.transcript-before-audio-stop",
    "error",
    "A transcript arrived before audio-stop although the server requires external VAD.",
    "A server that leaves end-of-speech to HA (requires_external_vad, the default) must wait for audio-stop; "
    "answering early cuts the user off mid-sentence.",
    ref="wyoming info.py AsrProgram.requires_external_vad (1.10, default true)",
)
STT_MULTIPLE_TRANSCRIPTS = Rule(
    "stt.multiple-transcripts",
    "error",
    "More than one transcript event for one request.",
    "HA reads one transcript per connection; a second one is lost, and clients that reuse connections read it "
    "as the answer to the next request.",
    ref="wyoming asr.py: one transcript per transcribe",
)
STT_STREAM_ORDER = Rule(
    "stt.transcript-stream-order",
    "error",
    "Streaming transcript events out of order (transcript-start, transcript-chunk..., transcript, transcript-stop).",
    "HA's streaming STT builds the text from the chunks between transcript-start and the final transcript.",
    ref="wyoming asr.py: transcript-start, transcript-chunk..., transcript, transcript-stop (1.7)",
)
STT_STREAM_DISAGREES = Rule(
    "stt.transcript-stream-disagrees",
    "warning",
    "The transcript-chunks of a streamed transcript, joined, do not say what the final transcript says.",
    "HA shows the streamed text while the user speaks and acts on the final transcript: a user sees one "
    "command and gets another.",
    ref="wyoming asr.py: transcript-chunk deltas, then the final transcript (1.7)",
)
STT_STREAM_UNADVERTISED = Rule(
    "stt.transcript-stream-unadvertised",
    "warning",
    "transcript-start/transcript-chunk sent by a server whose info does not advertise supports_transcript_streaming.",
    "HA only expects streaming transcripts from servers that advertise them; others' chunks are ignored.",
    ref="wyoming info.py AsrProgram.supports_transcript_streaming",
)

# --- TTS answers: the events of the stream ---------------------------------------------------------

TTS_NO_STOPPED = Rule(
    "tts.synthesize-stopped-missing",
    "warning",
    "A streaming TTS answer ended with a close instead of synthesize-stopped.",
    "HA ends at EOF too, but a server that neither closes nor sends synthesize-stopped hangs HA.",
    ref="wyoming tts.py: synthesize-stopped ends a stream (1.7); HA tts.py reader",
)
TTS_SEGMENTS_UNBALANCED = Rule(
    "tts.audio-stop-per-segment",
    "error",
    "An audio segment without exactly one audio-stop: a second audio-start or synthesize-stopped while a segment is "
    "open, or an audio-stop with no segment open.",
    "Non-streaming HA stops reading at the first audio-stop (the rest of the audio is lost); clients that play "
    "segments need each one closed once.",
    ref="wyoming tts.py streaming: one audio-start ... audio-stop per segment",
)
TTS_STOPPED_NOT_LAST = Rule(
    "tts.synthesize-stopped-not-last",
    "error",
    "Events arrived after synthesize-stopped.",
    "synthesize-stopped ends the stream: HA closes there, so anything after it is audio the user never hears.",
    ref="wyoming tts.py: synthesize-stopped ends a stream (1.7)",
)
TTS_COMPAT_ANSWERED_TWICE = Rule(
    "tts.compat-synthesize-answered",
    "error",
    "A streaming answer carries the text twice: the compatibility synthesize was answered as well as the stream.",
    "HA sends the full text again as a plain synthesize for old servers; a streaming server must ignore it, or "
    "the user hears every answer twice.",
    ref="wyoming tts.py: a streaming server ignores the compatibility synthesize",
)

# --- TTS answers: the audio events and their format ----------------------------------------------

AUDIO_START_FIRST = Rule(
    "tts.audio-start-missing",
    "error",
    "An audio-chunk arrived before any audio-start.",
    "Streaming HA builds the WAV header from the first audio-start; without it there is no format.",
    ref="wyoming audio.py: audio-start, audio-chunk..., audio-stop",
)
FORMAT_INVALID = Rule(
    "tts.format-invalid",
    "error",
    "rate/width/channels missing, not integers, or outside sane ranges.",
    "HA writes these into the WAV header; ffmpeg then cannot decode the audio.",
    ref="wyoming audio.py: rate, width, channels",
)
FORMAT_CHANGED = Rule(
    "tts.format-changed",
    "error",
    "rate/width/channels differ between audio-start and chunks, or between chunks.",
    "HA takes the format once and concatenates raw chunks: a change plays as noise or at the wrong speed.",
    ref="wyoming audio.py: rate, width, channels",
)
PARTIAL_SAMPLES = Rule(
    "tts.partial-samples",
    "error",
    "An audio-chunk payload is not a whole number of sample frames (width x channels).",
    "Concatenated chunks then shift by a byte: the rest of the stream turns into loud noise.",
    ref="wyoming audio.py: PCM payload of width x channels byte frames",
)
EMPTY_AUDIO = Rule(
    "tts.empty-audio",
    "error",
    "No audio bytes for a non-empty text.",
    "HA gets an empty WAV and the user hears nothing.",
    ref="HA tts.py: chunk payloads become the WAV",
)
IMPLAUSIBLE_DURATION = Rule(
    "tts.duration-implausible",
    "error",
    "Audio duration is far from what the text needs (also a sign of a wrong declared sample rate).",
    "Audio much shorter than the text is cut off or mis-declared; much longer is stuck or wrong-rate.",
    ref="HA tts.py: WAV header from the declared format",
)

# --- Audio quality (audio.*) -----------------------------------------------------------------------

AUDIO_SILENT = Rule(
    "audio.silent",
    "error",
    "The audio has no sound: its peak is below the silence level.",
    "The user hears nothing; HA reports success.",
    ref=_AUDIO_REF,
)
AUDIO_NO_SPEECH = Rule(
    "audio.no-speech",
    "error",
    "The voice-activity detector finds no speech in the audio.",
    "Noise or a tone instead of speech.",
    ref=_AUDIO_REF,
)
AUDIO_CLIPPING = Rule(
    "audio.clipping",
    "error",
    "Too many samples sit at full scale.",
    "Clipped audio distorts on every speaker.",
    ref=_AUDIO_REF,
)
AUDIO_DC_OFFSET = Rule(
    "audio.dc-offset",
    "warning",
    "The mean of the samples is far from zero.",
    "A DC offset wastes headroom and clicks at start and stop on some speakers.",
    ref=_AUDIO_REF,
)
AUDIO_LEADING_SILENCE = Rule(
    "audio.leading-silence",
    "warning",
    "Long silence before the speech starts.",
    "The user waits for nothing; it adds straight to the perceived latency.",
    ref=_AUDIO_REF,
)
AUDIO_TRUNCATED = Rule(
    "audio.truncated",
    "error",
    "The audio ends while the voice is still sounding (no silence at the end).",
    "Audio cut off before the end of the text (HA core issue 150397).",
    ref=_AUDIO_REF,
)
AUDIO_SPEAKING_RATE = Rule(
    "audio.speaking-rate",
    "error",
    "Characters of text per second of speech are outside natural bounds.",
    "Too fast or too slow speech; also what a wrongly declared sample rate sounds like.",
    ref=_AUDIO_REF,
)

# --- Long answers (the long-text and LLM-stream probes) ------------------------------------------

MAX_STALL_S = 2.0
"""A break in playback longer than this is one a listener notices and reports (`LONG_TEXT_STALL` states it)."""

LONG_TEXT_INCOMPLETE = Rule(
    "tts.long-text-incomplete",
    "error",
    "A long text (several paragraphs) was not answered completely: the request failed or timed out, or the "
    "audio is too short to hold the text.",
    "Users' most common TTS complaint: long announcements and LLM answers that time out, break a pipe or come back cut.",
    ref=_LONG_TEXT_REF,
)
LONG_TEXT_STALL = Rule(
    "tts.long-text-stall",
    "warning",
    f"Played as it arrived, a long answer would stop for more than {MAX_STALL_S:g} s in the middle.",
    "HA plays streamed TTS as it arrives: the listener hears the answer break off and resume. On a slow or busy "
    "machine this can be the machine rather than the server.",
    ref=_LONG_TEXT_REF,
)
LLM_STREAM_INCOMPLETE = Rule(
    "tts.llm-stream-incomplete",
    "error",
    "An answer streamed as an LLM's token-sized deltas failed, or came back missing text that the same answer "
    "sent in one chunk carries (back WER).",
    "With an LLM conversation agent HA writes one synthesize-chunk per text delta as the answer is generated; a "
    "server that speaks only what it had at first, or mangles words cut across deltas, loses the rest.",
    ref="HA assist pipeline: STREAM_RESPONSE_CHARS, one synthesize-chunk per delta (docs/ha-fidelity.md)",
)

# --- Conformance probes: requests off the happy path --------------------------------------------

PROBE_UNKNOWN_EVENT = Rule(
    "probe.unknown-event",
    "error",
    "After an event type it does not know, the server closed the connection or stopped answering.",
    "The protocol grows (select-program, transcript-chunk, ...): servers must ignore unknown types, or newer HA breaks them.",
    ref="Protocol growth: servers ignore unknown event types (select-program, wyoming 1.10)",
)
PROBE_EMPTY_AUDIO = Rule(
    "stt.empty-audio-unanswered",
    "error",
    "audio-start then audio-stop with no audio got no transcript.",
    "HA sends that when the user says nothing; without a transcript HA stays 'listening' (wyoming_openai issue 18).",
    ref="HA stt.py: transcribe, audio-start, audio-stop, read until transcript",
)
PROBE_EMPTY_TEXT = Rule(
    "tts.empty-text-unanswered",
    "error",
    "A synthesize of empty text got no final event (audio-stop / synthesize-stopped).",
    "HA waits for the end of the answer without a timeout: the request hangs.",
    ref="HA tts.py: read until audio-stop / synthesize-stopped",
)
STT_NO_ENDPOINTING = Rule(
    "stt.no-endpointing",
    "error",
    "The STT server says requires_external_vad: false, but sent no transcript on trailing silence before audio-stop.",
    "HA 2026.11 runs no voice detector for such a server: it waits for the server to end the utterance, so the "
    "user keeps being listened to until some other timeout ends the stream.",
    ref="wyoming info.py AsrProgram.requires_external_vad (1.10); HA 2026.11 assist pipeline (docs/ha-fidelity.md)",
)
STT_EARLY_STOP_UNANSWERED = Rule(
    "stt.early-stop-unanswered",
    "error",
    "An STT server with its own voice detection got no transcript out when the client sent audio-stop early.",
    "The user or the satellite can end the stream before the server's endpointer does (a button, a timeout): "
    "HA then waits for a transcript that never comes.",
    ref="wyoming info.py AsrProgram.requires_external_vad (1.10); HA stt.py: read until transcript",
)

# --- The run itself: corpus, warm-up, analysis, scoring -------------------------------------------

CORPUS_BAD_FILE = Rule(
    "corpus.bad-file",
    "error",
    "A corpus file could not be used (unreadable or empty audio, an audio format libsndfile does not read, missing or non-UTF-8 transcript, a transcript with no audio, two audio files for one name).",
    "The run is incomplete: that utterance was not tested.",
    ref="wyoming-rt corpus format (corpus/README.md)",
)
WARM_UP_SLOW = Rule(
    "warmup.slow",
    "warning",
    "A warm-up request (the first requests after the server started, not measured) did not finish within the watchdog.",
    "After a restart HA users wait this long for their first answer. On a busy or slow machine this can be the "
    "machine rather than the server.",
    ref="wyoming-rt warm-up phase: the first requests are not measured",
)
ANALYSIS_DEADLINE = Rule(
    "analysis.deadline",
    "warning",
    "The per-utterance analysis (audio checks, WER/CER) did not finish within its deadline.",
    "The utterances it names were sent and timed but not analysed: their audio and scores are missing "
    "(a slow machine makes this likelier; the deadline is `ValidateOptions.analysis_deadline_s`).",
    ref="wyoming-rt budgets (docs/checks.md)",
)
SCORE_CAPPED = Rule(
    "score.capped",
    "warning",
    "A transcript (or the back transcript) is longer than the validator scores: WER/CER cover its first 5,000 characters.",
    "A spoken command has a short transcript; thousands of characters are invented text, and aligning them whole "
    "would take minutes.",
    ref="wyoming-rt scoring budget (docs/checks.md)",
)
BACK_TRANSCRIPTION_FAILED = Rule(
    "back.failed",
    "warning",
    "The validator's own back transcription of the TTS audio failed (it is not a request HA makes).",
    "Only the back WER of that utterance is missing; its own STT and TTS requests are judged on their own.",
    ref="wyoming-rt back WER: the TTS audio transcribed by the STT server",
)

# --- Load runs (load.*) ----------------------------------------------------------------------------

LOAD_ERRORS = Rule(
    "load.errors",
    "error",
    "Round trips failed under load (errors per level in the load table).",
    "HA sends requests from every voice satellite at once; a server that fails under concurrency fails real users.",
    ref="Load run (--concurrency-sweep / --rate): every request must be answered",
)
LOAD_CROSSTALK = Rule(
    "load.crosstalk",
    "error",
    "Under load, a session got back a transcript that belongs to another session's utterance.",
    "Mixed-up sessions answer one user with another user's words.",
    ref="One connection per request (HA stt.py): an answer belongs to its own connection",
)

# --- What a server costs (resource.*): sampled when it runs on this machine ----------------------

RESOURCE_MEMORY_GROWTH = Rule(
    "resource.memory-growth",
    "warning",
    "The server's resident memory grew over the measured phases by more than 50 MB and 25 % of what it held after the warm-up.",
    "Memory that grows request after request runs a small machine (a Raspberry Pi, a NAS) out of "
    "memory after days: a leak, or a cache without a bound.",
    ref="Resource sampling of the servers under test (psutil or the container's cgroup; docs/checks.md)",
)

# --- Gates: thresholds the run must meet (gate.*) ------------------------------------------------

GATE_WER = Rule(
    "gate.max-wer",
    "error",
    "Corpus word error rate (normalised) is above max_wer.",
    "The STT server misunderstands more than the threshold allows.",
    ref=_GATE_REF,
)
GATE_BACK_WER = Rule(
    "gate.max-back-wer",
    "error",
    "The TTS audio, transcribed back, differs from its text by more than max_back_wer.",
    "Speech the STT server cannot understand is speech users struggle with too.",
    ref=_GATE_REF,
)
GATE_P95 = Rule(
    "gate.max-p95-ms",
    "error",
    "A stage's P95 latency is above its max_p95_ms (--max-p95-ms is the round trip's).",
    "Users wait longer than the threshold allows.",
    ref=_GATE_REF,
)
GATE_P99 = Rule(
    "gate.max-p99-ms",
    "error",
    "A stage's P99 latency is above its max_p99_ms.",
    "The slowest answers keep users waiting longer than the threshold allows.",
    ref=_GATE_REF,
)
GATE_FAILURE_RATE = Rule(
    "gate.max-failure-rate",
    "error",
    "The share of utterances that failed is above max_failure_rate.",
    "Too many requests fail for the server to be usable.",
    ref=_GATE_REF,
)
GATE_RSS = Rule(
    "gate.max-rss-mb",
    "error",
    "A server's peak resident memory during the run is above max_rss_mb.",
    "The server needs more memory than the machine it is meant for can give it.",
    ref=_GATE_REF,
)
GATE_CPU_PER_AUDIO = Rule(
    "gate.max-cpu-per-audio-s",
    "error",
    "The STT server used more CPU-seconds per second of audio in the latency phase than max_cpu_per_audio_s.",
    "Each command costs more CPU than the machine it is meant for can spare.",
    ref=_GATE_REF,
)
GATE_NOTHING_SCORED = Rule(
    "gate.nothing-scored",
    "error",
    "No utterance produced a transcript, so nothing could be scored.",
    "A run that measured nothing must not pass.",
    ref=_GATE_REF,
)
GATE_TOO_LITTLE_DATA = Rule(
    "gate.too-little-data",
    "error",
    "A gate's figure was measured over less than half of the corpus, too little for the gate to hold.",
    "A threshold met by a few survivors says nothing about the server: a run that measured little must not pass.",
    ref=_GATE_REF,
)

# --- Lookups: from what failed to the rule it breaks ---------------------------------------------

_FRAMING_RULES: Mapping[FramingReason, Rule] = {
    "bad-header": FRAMING_BAD_HEADER,
    "bad-length": FRAMING_BAD_LENGTH,
    "oversize": FRAMING_OVERSIZE,
    "truncated": FRAMING_TRUNCATED,
}
_STT_FAILURE_RULES: Mapping[str, Rule] = {
    "connect": STT_CONNECT,
    "timeout": STT_TIMEOUT,
    "closed": STT_CLOSED,
    "error-event": STT_ERROR_EVENT,
    "error-then-hang": STT_ERROR_THEN_HANG,
    "over-budget": STT_OVER_BUDGET,
    "not-sent": STT_NOT_SENT,
    "protocol": STT_INVALID_EVENT,
}
_TTS_FAILURE_RULES: Mapping[str, Rule] = {
    "connect": TTS_CONNECT,
    "timeout": TTS_TIMEOUT,
    "closed": TTS_CLOSED,
    "error-event": TTS_ERROR_EVENT,
    "error-then-hang": TTS_ERROR_THEN_HANG,
    "over-budget": TTS_OVER_BUDGET,
    "not-sent": TTS_NOT_SENT,
    "error-then-audio": TTS_ERROR_THEN_AUDIO,
}


def framing_rule(reason: FramingReason) -> Rule:
    """The rule broken by bytes that do not frame as an event (`FramingError.reason`)."""
    return _FRAMING_RULES[reason]


def failure_rule(stage: str, kind: str) -> Rule:
    """The rule an STT (``stage == "stt"``) or TTS request breaks when it fails with an error of
    ``kind`` (`WyomingRTError.kind`). A kind without a rule of its own is an invalid answer for STT
    and, as TTS has no such rule, a close before the final event."""
    rules = _STT_FAILURE_RULES if stage == "stt" else _TTS_FAILURE_RULES
    return rules.get(kind) or rules.get("protocol") or rules["closed"]


def _catalogue(names: Mapping[str, object]) -> Mapping[str, Rule]:
    """Every `Rule` among ``names`` by id; two rules with one id are an error at import."""
    rules: dict[str, Rule] = {}
    for value in names.values():
        if isinstance(value, Rule) and rules.setdefault(value.id, value) is not value:
            raise ValueError(f"duplicate rule id {value.id}")
    return MappingProxyType(rules)


RULES: Mapping[str, Rule] = _catalogue(dict(globals()))
"""Every rule by id: the constants above, whatever module was imported."""

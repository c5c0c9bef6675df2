"""The reference text-to-speech server, on piper-tts.

The voice is loaded once per process. Synthesis runs in a worker thread per segment, bounded
by a limiter, so ``describe`` and other connections stay responsive and concurrent requests
interleave segment by segment instead of queueing behind whole texts. Audio goes out as soon
as each segment exists: sentence by sentence, with the first sentence cut at a clause or word
boundary when it is long, so that the first audio arrives after a fraction of a sentence, and
every sentence cut to at most `MAX_SEGMENT_PHONEMES`, so that memory per segment is bounded;
what a request used is given back once it is answered (`load_voice`, `release_heap`).
"""

from __future__ import annotations

import ctypes
import functools
import json
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import numpy as np
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.info import Attribution, Info, TtsProgram, TtsVoice, TtsVoiceSpeaker
from wyoming.tts import SynthesizeStopped

from wyoming_rt.records.text import first_unencodable
from wyoming_rt.records.version import __version__
from wyoming_rt.servers.base import MAX_CONNECTIONS, ClientError, Connection
from wyoming_rt.servers.models import require_module, resolve_piper_voice
from wyoming_rt.wire import ReceivedEvent

MAX_TEXT_CHARS = 20_000
MAX_SEGMENT_PHONEMES = 200
"""No segment is synthesised longer than this (about 12 s of speech): Piper's memory grows with
the length of what it renders at once, and one unpunctuated sentence of 20,000 characters would
take it past 4 GB."""
_CLAUSE_END = {",", ";", ":", "—", "–"}
_WORD_GAP = " "


@dataclass(frozen=True)
class TtsSettings:
    voice: str | None = None
    """Packaged voice name (``en_US-joe-medium``) or a local ``.onnx`` path."""
    workers: int = 1
    first_segment_phonemes: int = 18
    """Cut the first sentence after about this many phonemes (0: never cut)."""
    samples_per_chunk: int = 1024


class TtsEngine:
    """A loaded Piper voice, its limiter, and the segment planner."""

    def __init__(self, settings: TtsSettings) -> None:
        self.settings = settings
        self.name, self.path = resolve_piper_voice(settings.voice)
        require_module("piper")
        self.voice = load_voice(self.path)
        config = self.voice.config
        self.sample_rate: int = int(config.sample_rate)
        self.speakers: dict[str, int] = dict(getattr(config, "speaker_id_map", None) or {})
        self.language = _voice_language(self.path, getattr(config, "espeak_voice", "en-us"))
        self.limiter = anyio.CapacityLimiter(settings.workers)
        self.render_sync(self.plan("Ready.")[0], None)  # warm-up: the first run is slow

    # -- planning and rendering (worker threads) --------------------------------------

    def plan(self, text: str, *, cut_first: bool = False) -> list[list[str]]:
        """Phoneme segments for ``text``: one per sentence, the first cut short when asked."""
        segments = [p for p in self.voice.phonemize(text) if p]
        if cut_first and segments and self.settings.first_segment_phonemes > 0:
            head, tail = _cut(segments[0], self.settings.first_segment_phonemes)
            segments[0:1] = [head, tail] if tail else [head]
        return [piece for segment in segments for piece in split_long(segment, MAX_SEGMENT_PHONEMES)]

    def render_sync(self, phonemes: list[str], speaker_id: int | None, *, last: bool = True) -> bytes:
        """16-bit PCM for one segment, peak-normalised as piper does per sentence. ``last``: no
        segment of the same text follows, so the voice's arena memory is freed after it."""
        from piper import SynthesisConfig

        ids = self.voice.phonemes_to_ids(phonemes)
        self.voice.session.last_run(last)
        audio = self.voice.phoneme_ids_to_audio(ids, SynthesisConfig(speaker_id=speaker_id))
        audio = np.asarray(audio, dtype=np.float32)
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        if peak > 1e-8:
            audio = audio / peak
        return bytes((np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes())

    async def render(self, phonemes: list[str], speaker_id: int | None, *, last: bool) -> bytes:
        job = functools.partial(self.render_sync, phonemes, speaker_id, last=last)
        return await anyio.to_thread.run_sync(job, limiter=self.limiter)

    async def plan_async(self, text: str, *, cut_first: bool) -> list[list[str]]:
        return await anyio.to_thread.run_sync(lambda: self.plan(text, cut_first=cut_first), limiter=self.limiter)

    async def release_memory(self) -> None:
        """Once a request is answered: the heap memory it freed goes back to the system."""
        await anyio.to_thread.run_sync(release_heap)

    # -- describing ------------------------------------------------------------------

    def info(self) -> Info:
        voice = TtsVoice(
            name=self.name,
            attribution=Attribution(name="Piper", url="https://github.com/OHF-Voice/piper1-gpl"),
            installed=True,
            description=f"Piper {self.name}",
            version=None,
            languages=[self.language],
            speakers=[TtsVoiceSpeaker(name=n) for n in self.speakers] or None,
        )
        program = TtsProgram(
            name="wyoming-rt-tts",
            attribution=Attribution(name="wyoming-rt", url="https://pypi.org/project/wyoming-rt/"),
            installed=True,
            description="wyoming-rt reference text-to-speech (piper-tts)",
            version=__version__,
            voices=[voice],
            supports_synthesize_streaming=True,
        )
        return Info(tts=[program])

    def speaker_id(self, voice: Any) -> int | None:
        """Check a request's ``voice`` against this server's; return the speaker id to use."""
        if voice is None:
            return None
        if not isinstance(voice, dict):
            raise ClientError("voice must be an object", "bad-voice")
        name, speaker = voice.get("name"), voice.get("speaker")
        if name is not None and name != self.name:
            # Only this exact name is served; the value is never used as a path.
            raise ClientError(f"voice {str(name)[:100]!r} is not available (this server has {self.name!r})", "voice-not-found")
        if speaker is None:
            return None
        if str(speaker) in self.speakers:
            return self.speakers[str(speaker)]
        if str(speaker).isascii() and str(speaker).isdigit() and int(speaker) in self.speakers.values():
            return int(speaker)
        raise ClientError(f"speaker {str(speaker)[:100]!r} is not available for voice {self.name!r}", "speaker-not-found")


def load_voice(path: Path) -> Any:
    """The Piper voice at ``path``, as ``PiperVoice.load`` makes it on the CPU but with a session
    that gives memory back: no memory pattern (it plans and keeps one block for the longest input
    seen) and the arena shrunk after the last run of a text (`_ArenaReturningSession`)."""
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    options = onnxruntime.SessionOptions()
    options.enable_mem_pattern = False
    shrink = onnxruntime.RunOptions()
    shrink.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    session = onnxruntime.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    config = PiperConfig.from_dict(json.loads(Path(f"{path}.json").read_text(encoding="utf-8")))
    return PiperVoice(config=config, session=_ArenaReturningSession(session, shrink))


class _ArenaReturningSession:
    """An onnxruntime session that frees its arena memory after the last run of a text. Piper calls
    ``session.run(None, inputs)``, with no way to pass run options: the engine marks the run
    beforehand (`last_run`, per worker thread). Shrinking after every run would make a text of
    many segments allocate its memory again for each."""

    def __init__(self, session: Any, shrink: Any) -> None:
        self.session = session
        self.shrink = shrink
        self._marks = threading.local()

    def last_run(self, last: bool) -> None:
        """Whether this thread's next run is the last of its text (then the arena is shrunk after it)."""
        self._marks.last = last

    def run(self, output_names: Any, input_feed: Any, run_options: Any = None) -> Any:
        last = getattr(self._marks, "last", True)
        return self.session.run(output_names, input_feed, run_options or (self.shrink if last else None))


def release_heap() -> None:
    """Give the C heap's free memory back to the system: glibc keeps what is freed for the next
    allocation (100 MB after a long text). ``malloc_trim``; nothing where there is no glibc."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: musl, for one
        return None


def _checked_text(value: Any) -> str:
    """A text to speak: a string of valid Unicode without NUL, else a named ``bad-text`` error."""
    if not isinstance(value, str):
        raise ClientError("text must be a string", "bad-text")
    surrogate = first_unencodable(value)
    if surrogate is not None:
        raise ClientError(f"text is not valid Unicode (a lone surrogate at {surrogate})", "bad-text")
    if "\0" in value:
        raise ClientError("text contains a NUL character", "bad-text")
    return value


def _voice_language(path: Any, espeak_voice: str) -> str:
    """``en_US`` from the voice config's ``language.code``, else from the espeak voice."""
    try:
        code = json.loads(Path(f"{path}.json").read_text(encoding="utf-8")).get("language", {}).get("code")
    except (OSError, ValueError, AttributeError):
        code = None
    if isinstance(code, str) and code:
        return code
    lang, _, region = espeak_voice.partition("-")
    return f"{lang}_{region.upper()}" if region else lang


def _cut(phonemes: list[str], target: int) -> tuple[list[str], list[str]]:
    """Split a sentence's phonemes near ``target``: after a clause mark if there is one before
    it, else at the last word gap before it. No cut when either part would be tiny."""
    minimum = max(6, target // 3)
    if len(phonemes) < target + minimum:
        return phonemes, []
    window = range(min(target, len(phonemes) - minimum), minimum - 1, -1)
    for i in window:
        if phonemes[i - 1] in _CLAUSE_END:
            return phonemes[:i], phonemes[i:]
    for i in window:
        if phonemes[i] == _WORD_GAP:
            return phonemes[:i], phonemes[i + 1 :]
    return phonemes, []


def split_long(phonemes: list[str], limit: int) -> list[list[str]]:
    """``phonemes`` in pieces of at most ``limit``: at clause marks or word gaps where there are
    some (`_cut`), else hard at the limit. Every sentence, not just the first, so that memory per
    piece is bounded whatever the text."""
    pieces = []
    while len(phonemes) > limit:
        head, tail = _cut(phonemes, limit)
        if not tail or len(head) > limit:
            head, tail = phonemes[:limit], phonemes[limit:]
        pieces.append(head)
        phonemes = tail
    return [*pieces, phonemes] if phonemes else pieces


def _chunks(pcm: bytes, size: int) -> Iterator[bytes]:
    for offset in range(0, len(pcm), size):
        yield pcm[offset : offset + size]


class TtsSession:
    """One connection: plain ``synthesize``, or the streaming synthesize-start/chunk/stop sequence."""

    def __init__(self, engine: TtsEngine, conn: Connection) -> None:
        self.engine = engine
        self.conn = conn
        self.streaming = False
        self.stream_speaker: int | None = None
        self.sentences = _sentence_detector()
        self.stream_chars = 0
        self.started = False
        self.sentences_sent = 0

    async def handle(self, received: ReceivedEvent) -> None:
        event = received.event
        kind = event.type
        if kind == "synthesize":
            if self.streaming:
                return  # the compatibility copy of a stream: never answered twice
            text = self._text(event.data.get("text"))
            speaker = self.engine.speaker_id(event.data.get("voice"))
            self.started, self.sentences_sent = False, 0
            await self._speak(text, speaker)
            await self._finish_audio()
            await self.engine.release_memory()
        elif kind == "synthesize-start":
            self.stream_speaker = self.engine.speaker_id(event.data.get("voice"))
            self.streaming, self.started, self.sentences_sent = True, False, 0
            self.sentences = _sentence_detector()
            self.stream_chars = 0
        elif kind == "synthesize-chunk":
            if not self.streaming:
                raise ClientError("synthesize-chunk outside a synthesize-start ... synthesize-stop stream", "unexpected-event")
            delta = _checked_text(event.data.get("text"))
            self.stream_chars += len(delta)
            if self.stream_chars > MAX_TEXT_CHARS:
                raise ClientError(f"text longer than {MAX_TEXT_CHARS} characters", "text-too-long")
            for sentence in self.sentences.add_chunk(delta):  # complete sentences only
                await self._speak(sentence, self.stream_speaker)
        elif kind == "synthesize-stop":
            if not self.streaming:
                raise ClientError("synthesize-stop without synthesize-start", "unexpected-event")
            rest = self.sentences.finish()
            if rest.strip():
                await self._speak(rest, self.stream_speaker)
            if self.started:
                await self._finish_audio()
            self.streaming = False
            await self.conn.send(SynthesizeStopped().event())
            await self.engine.release_memory()
        # Any other event type is ignored, as the protocol asks.

    def _text(self, value: Any) -> str:
        value = _checked_text(value)
        if len(value) > MAX_TEXT_CHARS:
            raise ClientError(f"text longer than {MAX_TEXT_CHARS} characters", "text-too-long")
        return " ".join(value.split())

    async def _speak(self, text: str, speaker: int | None) -> None:
        """Synthesise and send ``text`` segment by segment."""
        if not text.strip():
            if not self.streaming:
                await self._start_audio()  # an empty but well-formed answer
            return
        segments = await self.engine.plan_async(text, cut_first=self.sentences_sent == 0)
        for i, phonemes in enumerate(segments):
            pcm = await self.engine.render(phonemes, speaker, last=i == len(segments) - 1)
            await self._start_audio()
            rate = self.engine.sample_rate
            for piece in _chunks(pcm, self.engine.settings.samples_per_chunk * 2):
                await self.conn.send(AudioChunk(rate=rate, width=2, channels=1, audio=piece).event())
        self.sentences_sent += len(segments)

    async def _start_audio(self) -> None:
        if not self.started:
            self.started = True
            await self.conn.send(AudioStart(rate=self.engine.sample_rate, width=2, channels=1).event())

    async def _finish_audio(self) -> None:
        self.started = False
        await self.conn.send(AudioStop().event())

    async def close(self) -> None:
        self.streaming = False


def _sentence_detector() -> Any:
    """sentence-stream's detector: yields each sentence once the next one has begun."""
    from sentence_stream import SentenceBoundaryDetector

    return SentenceBoundaryDetector()


async def serve_tts(
    endpoint: Any, settings: TtsSettings, *, on_ready: Any = None, max_connections: int = MAX_CONNECTIONS
) -> None:
    """Load the voice, then serve TTS on ``endpoint`` until cancelled."""
    from wyoming_rt.servers.base import serve

    engine = await anyio.to_thread.run_sync(TtsEngine, settings)
    await serve(endpoint, engine.info, lambda conn: TtsSession(engine, conn), on_ready=on_ready, max_connections=max_connections)

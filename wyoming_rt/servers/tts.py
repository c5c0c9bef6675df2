"""The reference text-to-speech server, on piper-tts: the voice and its engine.

The voice is loaded once per process. Synthesis runs in a worker thread per piece, bounded by a
limiter, so ``describe`` and other connections stay responsive and concurrent requests
interleave piece by piece instead of queueing behind whole texts. Text is cut into pieces at
clause boundaries (`tts_segments`), so that the first audio comes after a clause and an LLM's
answer is spoken while it arrives (`tts_session`); what a request used is given back once it is
answered (`load_voice`, `release_heap`).
"""

from __future__ import annotations

import ctypes
import functools
import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import numpy as np
from wyoming.info import Attribution, Info, TtsProgram, TtsVoice, TtsVoiceSpeaker

from wyoming_rt.records.version import __version__
from wyoming_rt.servers.base import MAX_CONNECTIONS, ClientError
from wyoming_rt.servers.models import require_module, resolve_piper_voice
from wyoming_rt.servers.tts_segments import MAX_SEGMENT_PHONEMES, PieceLimits, segment, split_long
from wyoming_rt.servers.tts_session import TtsSession


@dataclass(frozen=True)
class TtsSettings:
    voice: str | None = None
    """Packaged voice name (``en_US-joe-medium``) or a local ``.onnx`` path."""
    workers: int = 1
    first_piece_words: int = PieceLimits.first_piece_words
    """With no clause boundary, the first piece ends after this many words (0: like the others)."""
    max_piece_words: int = PieceLimits.max_piece_words
    """With no clause boundary, a later piece ends after this many words."""
    samples_per_chunk: int = 1024

    @property
    def piece_limits(self) -> PieceLimits:
        return PieceLimits(first_piece_words=self.first_piece_words, max_piece_words=self.max_piece_words)


class TtsEngine:
    """A loaded Piper voice, its limiter, and the piece planner."""

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
        """Phoneme segments for ``text``, at most `MAX_SEGMENT_PHONEMES` each: one per sentence,
        or, with ``cut_first``, one per piece as the server cuts a whole text (`tts_segments`)."""
        texts = segment(text, self.settings.piece_limits) if cut_first else [text]
        segments = [p for t in texts for p in self.voice.phonemize(t) if p]
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

    def render_text_sync(self, text: str, speaker_id: int | None, *, last: bool) -> bytes:
        """16-bit PCM for one piece of text (usually one segment; more when espeak splits it)."""
        segments = self.plan(text)
        return b"".join(self.render_sync(p, speaker_id, last=last and i == len(segments) - 1) for i, p in enumerate(segments))

    async def render_text(self, text: str, speaker_id: int | None, *, last: bool) -> bytes:
        """`render_text_sync` in a worker thread, within the engine's limit of syntheses at once.
        ``last``: the request's last piece, so the voice's arena memory goes back after it (a
        stream's pieces keep it: at most what the longest piece, bounded in characters, took)."""
        job = functools.partial(self.render_text_sync, text, speaker_id, last=last)
        return await anyio.to_thread.run_sync(job, limiter=self.limiter)

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


async def serve_tts(
    endpoint: Any, settings: TtsSettings, *, on_ready: Any = None, max_connections: int = MAX_CONNECTIONS
) -> None:
    """Load the voice, then serve TTS on ``endpoint`` until cancelled."""
    from wyoming_rt.servers.base import serve

    engine = await anyio.to_thread.run_sync(TtsEngine, settings)
    await serve(endpoint, engine.info, lambda conn: TtsSession(engine, conn), on_ready=on_ready, max_connections=max_connections)

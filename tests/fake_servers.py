"""Well-behaved scripted STT and TTS servers with one hook per protocol step, so that a test
can break exactly one rule. Only for faults no real server shows on demand."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
from anyio.abc import SocketStream
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event
from wyoming.info import AsrModel, AsrProgram, Attribution, Info, TtsProgram, TtsVoice

from tests.fakes import scripted_server
from wyoming_rt.corpus import load_bundled_corpus
from wyoming_rt.endpoint import Endpoint
from wyoming_rt.records.audio import PcmAudio
from wyoming_rt.records.corpus import Corpus, Utterance
from wyoming_rt.wire import EventReader, encode_event

_SAMPLE = next(iter(load_bundled_corpus()))
TEXT = _SAMPLE.reference  # what the fake STT always hears
SPEECH = _SAMPLE.audio  # what the fake TTS always says: real speech of TEXT, 16 kHz mono 16-bit
ATTR = Attribution(name="test", url="")


def stt_info(**program: object) -> Event:
    model = AsrModel("m", ATTR, True, None, None, languages=["en"])
    event = Info(asr=[AsrProgram("fake-stt", ATTR, True, None, None, models=[model])]).event()
    event.data["asr"][0].update(program)
    return event


def tts_info(*voices: str, streaming: bool = False) -> Event:
    listed = [TtsVoice(v, ATTR, True, None, None, languages=["en"]) for v in voices or ("v",)]
    return Info(
        tts=[TtsProgram("fake-tts", ATTR, True, None, None, voices=listed, supports_synthesize_streaming=streaming)]
    ).event()


def stt_info_in(*languages: str) -> Event:
    """An STT info whose one model lists ``languages``."""
    event = stt_info()
    event.data["asr"][0]["models"][0]["languages"] = list(languages)
    return event


def tts_info_in(*languages: str) -> Event:
    """A TTS info whose one voice speaks ``languages``."""
    event = tts_info()
    event.data["tts"][0]["voices"][0]["languages"] = list(languages)
    return event


SPEECH_WITH_PAUSE = PcmAudio(SPEECH.pcm + bytes(int(0.3 * SPEECH.rate_hz) * SPEECH.frame_bytes), SPEECH.rate_hz, 2, 1)


def speech_corpus() -> Corpus:
    """Two utterances of TEXT: ``u0`` is exactly SPEECH (the one fault hooks pick on), ``u1`` has a pause after it."""
    return Corpus("fake", [Utterance("u0", TEXT, SPEECH), Utterance("u1", TEXT, SPEECH_WITH_PAUSE)])


def segment(pcm: bytes = SPEECH.pcm) -> bytes:
    """One audio segment: audio-start, one chunk, audio-stop."""
    fmt = (SPEECH.rate_hz, SPEECH.width_bytes, SPEECH.channels)
    return b"".join(
        (encode_event(AudioStart(*fmt).event()), encode_event(AudioChunk(*fmt, pcm).event()), encode_event(AudioStop().event()))
    )


def spoken(text: str) -> bytes:
    """Audio as long as ``text`` needs: SPEECH (which says TEXT) once per TEXT's length of text."""
    return SPEECH.pcm * max(1, round(len(text) / len(TEXT)))


Send = Callable[[SocketStream], Awaitable[None]]


async def send_transcript(stream: SocketStream, text: str = TEXT) -> None:
    await stream.send(encode_event(Event("transcript", {"text": text})))


@dataclass
class FakeStt:
    """Answers describe with ``info``; after audio-stop sends ``after_audio_stop`` (a transcript) and closes."""

    info: Event = field(default_factory=stt_info)
    on_audio_start: Send | None = None
    after_audio_stop: Callable[[SocketStream, bytes], Awaitable[None]] | None = None
    describe: Callable[[SocketStream, Event], Awaitable[None]] | None = None
    close_on_unknown: bool = False
    lock_long_audio_s: float = 0.0
    """After more than 5 s of audio, hold a global lock this long, which describe waits for
    (a server that blocks its event loop while it transcribes)."""
    endpoint_after_bytes: int | None = None
    """Its own endpointer: the transcript as soon as this much audio has come, before audio-stop."""
    _lock: anyio.Lock = field(default_factory=anyio.Lock)

    async def handle(self, stream: SocketStream) -> None:
        reader = EventReader(stream)
        audio = bytearray()
        while (received := await reader.read()) is not None:
            if received.type == "describe":
                async with self._lock:
                    await (self.describe or _send_info)(stream, self.info)
            elif self.close_on_unknown and received.type not in ("transcribe", "audio-start", "audio-chunk", "audio-stop"):
                return
            elif received.type == "audio-start" and self.on_audio_start is not None:
                await self.on_audio_start(stream)
            elif received.type == "audio-chunk":
                audio += received.event.payload or b""
                if self.endpoint_after_bytes is not None and len(audio) >= self.endpoint_after_bytes:
                    await send_transcript(stream)
                    return
            elif received.type == "audio-stop":
                if self.lock_long_audio_s and len(audio) > 5 * 32000:
                    async with self._lock:
                        await anyio.sleep(self.lock_long_audio_s)
                if self.after_audio_stop is not None:
                    await self.after_audio_stop(stream, bytes(audio))
                else:
                    await send_transcript(stream, TEXT if audio else "")
                return


@dataclass
class FakeTts:
    """Speaks SPEECH for any non-empty text, plain or streaming; each step can be replaced."""

    info: Event = field(default_factory=tts_info)
    plain: Callable[[SocketStream, Event], Awaitable[None]] | None = None
    stream_end: Callable[[SocketStream, str], Awaitable[None]] | None = None
    answer_compat_synthesize: bool = False
    unusable_voices: tuple[str, ...] = ()
    """Voices answered with an error event and a close (advertised, but not really there)."""
    hang_after_voice_error: bool = False
    """After that error, neither close nor end the answer (wyoming-piper 1.6.3)."""
    lock_long_texts_s: float = 0.0
    """Hold a global lock this long for texts over 200 characters (a server that blocks while busy)."""
    silent_when_chunked: bool = False
    """Streaming: say nothing when the text came in more than one synthesize-chunk (an LLM's deltas)."""
    _lock: anyio.Lock = field(default_factory=anyio.Lock)

    async def handle(self, stream: SocketStream) -> None:
        reader = EventReader(stream)
        streamed: list[str] | None = None
        while (received := await reader.read()) is not None:
            event = received.event
            if event.type == "describe":
                async with self._lock:
                    await stream.send(encode_event(self.info))
            elif (event.data.get("voice") or {}).get("name") in self.unusable_voices:
                await stream.send(encode_event(Event("error", {"text": "voice not found", "code": "voice-not-found"})))
                if self.hang_after_voice_error:
                    await anyio.sleep_forever()
                return
            elif event.type == "synthesize-start":
                streamed = []
            elif event.type == "synthesize-chunk" and streamed is not None:
                streamed.append(event.data.get("text", ""))
            elif event.type == "synthesize" and streamed is None:
                await (self.plain or self.speak_plain)(stream, event)
                return
            elif event.type == "synthesize" and self.answer_compat_synthesize and event.data.get("text"):
                await stream.send(segment())  # the bug: the compatibility synthesize answered too
            elif event.type == "synthesize-stop" and streamed is not None:
                text = "" if self.silent_when_chunked and len(streamed) > 1 else "".join(streamed)
                await (self.stream_end or self.speak_stream)(stream, text)

    async def _hold_if_long(self, text: str) -> None:
        if self.lock_long_texts_s and len(text) > 200:
            async with self._lock:
                await anyio.sleep(self.lock_long_texts_s)

    async def speak_plain(self, stream: SocketStream, request: Event) -> None:
        text = request.data.get("text", "")
        await self._hold_if_long(text)
        await stream.send(segment(spoken(text)) if text else encode_event(AudioStop().event()))

    async def speak_stream(self, stream: SocketStream, text: str) -> None:
        await self._hold_if_long(text)
        await stream.send((segment(spoken(text)) if text else b"") + encode_event(Event("synthesize-stopped")))


async def _send_info(stream: SocketStream, info: Event) -> None:
    await stream.send(encode_event(info))


@asynccontextmanager
async def fake_pair(stt: FakeStt | None = None, tts: FakeTts | None = None) -> AsyncIterator[tuple[Endpoint, Endpoint]]:
    """Both fakes on free loopback ports."""
    stt, tts = stt or FakeStt(), tts or FakeTts()
    async with scripted_server(stt.handle) as stt_endpoint, scripted_server(tts.handle) as tts_endpoint:
        yield stt_endpoint, tts_endpoint

"""Where Home Assistant's assist pipeline ends an STT upload: its voice detector (`pymicro-vad`,
the package HA uses) gives a speech probability per 10 ms chunk, and HA's
`VoiceCommandSegmenter` (assist_pipeline/vad.py, ported here unchanged in behaviour, Apache-2.0)
ends the command after 0.7 s of silence once at least 1 s of command has passed, or after 15 s.

The plan is computed before the upload: the segmenter is causal, so ending the upload at the
planned chunk is what HA does while streaming. The detector costs about 13 ms of CPU per second
of audio, so a clip's plan is computed once and kept on disk (`wyoming_rt.cache`), and a run
computes the plans of its whole corpus before its first measured request (`plan_all`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache, lru_cache
from typing import Literal, get_args

from wyoming_rt import cache as disk_cache
from wyoming_rt.records.audio import HA_CHUNK_BYTES, PcmAudio
from wyoming_rt.records.results import EndOfSpeech

CHUNK_S = 0.010


@dataclass
class VoiceCommandSegmenter:
    """HA's segmenter (defaults: the "default" sensitivity). ``process`` returns False when the
    command is over."""

    speech_seconds: float = 0.3
    command_seconds: float = 1.0
    silence_seconds: float = 0.7
    timeout_seconds: float = 15.0
    reset_seconds: float = 1.0
    before_command_speech_threshold: float = 0.2
    in_command_speech_threshold: float = 0.5
    in_command: bool = False
    timed_out: bool = False

    def __post_init__(self) -> None:
        self._speech_left = self.speech_seconds
        self._command_left = self.command_seconds - self.speech_seconds
        self._silence_left = self.silence_seconds
        self._timeout_left = self.timeout_seconds
        self._reset_left = self.reset_seconds

    def process(self, chunk_seconds: float, speech_probability: float | None) -> bool:
        self._timeout_left -= chunk_seconds
        if self._timeout_left <= 0:
            self.timed_out = True
            return False
        probability = speech_probability if speech_probability is not None else 0.0
        if not self.in_command:
            if probability > self.before_command_speech_threshold:
                self._reset_left = self.reset_seconds
                self._speech_left -= chunk_seconds
                if self._speech_left <= 0:
                    self.in_command = True
                    self._command_left = self.command_seconds - self.speech_seconds
                    self._silence_left = self.silence_seconds
            else:
                self._reset_left -= chunk_seconds
                if self._reset_left <= 0:
                    self._speech_left = self.speech_seconds
                    self._reset_left = self.reset_seconds
        elif probability > self.in_command_speech_threshold:
            self._reset_left -= chunk_seconds
            self._command_left -= chunk_seconds
            if self._reset_left <= 0:
                self._silence_left = self.silence_seconds
                self._reset_left = self.reset_seconds
        else:
            self._reset_left = self.reset_seconds
            self._silence_left -= chunk_seconds
            self._command_left -= chunk_seconds
            if self._silence_left <= 0 and self._command_left <= 0:
                return False
        return True


def speech_probabilities(audio: PcmAudio, max_chunks: int | None = None) -> list[float | None]:
    """pymicro-vad's probability per full 10 ms chunk of 16 kHz 16-bit mono audio (None while
    the detector warms up: HA counts that as silence), for at most ``max_chunks`` chunks."""
    from pymicro_vad import MicroVad

    vad = MicroVad()
    process = vad.process_10ms
    pcm = audio.pcm if max_chunks is None else audio.pcm[: max_chunks * HA_CHUNK_BYTES]
    probabilities: list[float | None] = []
    for start in range(0, len(pcm) - HA_CHUNK_BYTES + 1, HA_CHUNK_BYTES):
        value = float(process(pcm[start : start + HA_CHUNK_BYTES]))
        probabilities.append(value if value >= 0 else None)
    return probabilities


def end_of_speech(audio: PcmAudio, segmenter: VoiceCommandSegmenter | None = None) -> EndOfSpeech:
    """Run HA's detector and segmenter over ``audio`` (16 kHz 16-bit mono) as the pipeline streams it."""
    segmenter = segmenter or VoiceCommandSegmenter()
    probabilities = speech_probabilities(audio, max_chunks=math.ceil(segmenter.timeout_seconds / CHUNK_S) + 1)
    last_speech: int | None = None
    for index, probability in enumerate(probabilities):
        if not segmenter.process(CHUNK_S, probability):
            # HA does not pass on the chunk that ends the command (assist_pipeline _speech_to_text_stream)
            ended_by: Literal["silence", "timeout"] = "timeout" if segmenter.timed_out else "silence"
            return EndOfSpeech(index, last_speech, ended_by)
        if segmenter.in_command and probability is not None and probability > segmenter.in_command_speech_threshold:
            last_speech = index + 1
    return EndOfSpeech(len(probabilities), last_speech, "clip-end")


PLAN_CACHE = "end-of-speech"
EndedBy = Literal["silence", "timeout", "clip-end"]


@cache
def _plan_settings() -> str:
    """Everything a plan depends on besides the audio: the detector's version and the segmenter's settings."""
    from importlib.metadata import version

    return f"plan/1 pymicro-vad {version('pymicro-vad')} {sorted(asdict(VoiceCommandSegmenter()).items())}"


def _plan_from(entry: dict[str, object] | None, pcm: bytes) -> EndOfSpeech | None:
    """A cached plan, if it is one that this clip could have (else None: computed again)."""
    if entry is None:
        return None
    chunks, speech_end, ended_by = entry.get("chunks"), entry.get("speech_end_chunk"), entry.get("ended_by")
    full_chunks = len(pcm) // HA_CHUNK_BYTES
    if not isinstance(chunks, int) or not 0 <= chunks <= full_chunks or ended_by not in get_args(EndedBy):
        return None
    if speech_end is not None and (not isinstance(speech_end, int) or not 0 <= speech_end <= chunks):
        return None
    return EndOfSpeech(chunks, speech_end, ended_by)  # type: ignore[arg-type]


def _plan(pcm: bytes) -> tuple[EndOfSpeech, bool]:
    """The plan of one clip, and whether it came from the disk cache."""
    key = disk_cache.content_key(_plan_settings(), pcm)
    plan = _plan_from(disk_cache.load(PLAN_CACHE, key), pcm)
    if plan is not None:
        return plan, True
    plan = end_of_speech(PcmAudio(pcm, 16000, 2, 1))
    disk_cache.store(PLAN_CACHE, key, plan.to_dict())
    return plan, False


@lru_cache(maxsize=256)
def _plan_in_memory(pcm: bytes) -> tuple[EndOfSpeech, bool]:
    return _plan(pcm)


def end_of_speech_cached(pcm: bytes) -> EndOfSpeech:
    """`end_of_speech` of 16 kHz 16-bit mono ``pcm`` with HA's defaults, computed once per clip:
    kept in memory for the run (which sends each utterance several times) and on disk for the next."""
    return _plan_in_memory(pcm)[0]


@dataclass(frozen=True)
class PlanStats:
    """What `plan_all` did: clips planned, how many plans came from the cache, and its CPU time."""

    clips: int
    from_cache: int
    cpu_s: float

    def to_dict(self) -> dict[str, object]:
        return {"clips": self.clips, "from_cache": self.from_cache, "cpu_s": round(self.cpu_s, 3)}


def plan_all(pcms: Iterable[bytes]) -> PlanStats:
    """Plan every clip (16 kHz 16-bit mono PCM) now, so that no measured request waits for the
    detector, and none of its CPU competes with a server at work."""
    started = time.thread_time()  # it runs in a worker thread: that thread's CPU, not the process's
    clips = from_cache = 0
    for pcm in pcms:
        clips += 1
        from_cache += _plan_in_memory(pcm)[1]
    return PlanStats(clips, from_cache, time.thread_time() - started)


__all__ = [
    "CHUNK_S",
    "EndOfSpeech",
    "PlanStats",
    "VoiceCommandSegmenter",
    "end_of_speech",
    "end_of_speech_cached",
    "plan_all",
    "speech_probabilities",
]

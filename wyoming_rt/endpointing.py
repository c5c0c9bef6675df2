"""Where Home Assistant's assist pipeline ends an STT upload: its voice detector (`pymicro-vad`,
the package HA uses) gives a speech probability per 10 ms chunk, and HA's
`VoiceCommandSegmenter` (assist_pipeline/vad.py, ported here unchanged in behaviour, Apache-2.0)
ends the command after 0.7 s of silence once at least 1 s of command has passed, or after 15 s.

The plan is computed before the upload: the segmenter is causal, so ending the upload at the
planned chunk is what HA does while streaming.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

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


@lru_cache(maxsize=256)
def end_of_speech_cached(pcm: bytes) -> EndOfSpeech:
    """`end_of_speech` of 16 kHz 16-bit mono ``pcm`` with HA's defaults, computed once per clip
    (the run sends each utterance several times)."""
    return end_of_speech(PcmAudio(pcm, 16000, 2, 1))


__all__ = ["CHUNK_S", "EndOfSpeech", "VoiceCommandSegmenter", "end_of_speech", "end_of_speech_cached", "speech_probabilities"]

"""The names a user gives of the report: its latency stages (``--max-p95 STAGE=MS``, the gates
in TOML) and what the HTML page holds of the audio (``--html-audio``).

They live here, apart from the report (numpy, soundfile), so that the command line builds its
parser without loading the report.
"""

from __future__ import annotations

from typing import Literal, get_args

STAGES = ("stt", "stt_from_speech_end", "tts_ttfb", "tts_first_audible", "tts_total", "round_trip")
"""Latency stages: STT audio-stop -> transcript; STT end of speech (the last chunk HA's voice
detector heard speech in) -> transcript; TTS request -> first audio chunk; TTS request -> first
chunk holding audible sound; TTS request -> end; full round trip (STT start -> TTS end)."""

AudioChoice = Literal["all", "none"]
"""What the HTML page holds of the audio: all of it, compressed within the page's budget, or none."""
AUDIO_CHOICES: tuple[str, ...] = get_args(AudioChoice)

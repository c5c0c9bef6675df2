"""`HAEmulator`: a Wyoming client that behaves like Home Assistant's wyoming integration.

It reproduces HA's sequences (describe with retries, STT upload in 10 ms chunks, TTS plain
or streaming) over a fresh connection per operation, and returns what happened: the result,
its timings and the full event trace. It judges nothing; `checks` does.

The package: `config` (how it talks), `connection` (one traced connection, the upload's
framing), `watchdog`, `assembly` (TTS audio as HA assembles it) and `client` (the sequences).
"""

from wyoming_rt.emulator.client import HAEmulator
from wyoming_rt.emulator.config import EmulatorConfig, Endpointing, Pace
from wyoming_rt.records.ha_release import HaMode
from wyoming_rt.records.results import DescribeResult, SttResult, TtsResult

__all__ = ["DescribeResult", "EmulatorConfig", "Endpointing", "HAEmulator", "HaMode", "Pace", "SttResult", "TtsResult"]

"""wyoming_rt: validate Wyoming speech servers the way Home Assistant uses them."""

from .corpus import Corpus, Utterance, load_bundled_corpus, load_corpus
from .emulator import DescribeResult, EmulatorConfig, HAEmulator, SttResult, TtsResult
from .endpoint import Endpoint, parse_endpoint
from .errors import (
    ConnectError,
    CorpusError,
    FramingError,
    ProtocolError,
    ServerClosedError,
    ServerErrorEvent,
    ServerStartError,
    UsageError,
    WatchdogTimeout,
    WyomingRTError,
)
from .findings import RULES, Finding, Rule
from .gates import Gates
from .pcm import PcmAudio
from .report.model import Report
from .validation import ServerUnavailableError, ValidateOptions, validate

__version__ = "0.1.0"

__all__ = [
    "RULES",
    "ConnectError",
    "Corpus",
    "CorpusError",
    "DescribeResult",
    "EmulatorConfig",
    "Endpoint",
    "Finding",
    "FramingError",
    "Gates",
    "HAEmulator",
    "PcmAudio",
    "ProtocolError",
    "Report",
    "Rule",
    "ServerClosedError",
    "ServerErrorEvent",
    "ServerStartError",
    "ServerUnavailableError",
    "SttResult",
    "TtsResult",
    "UsageError",
    "Utterance",
    "ValidateOptions",
    "WatchdogTimeout",
    "WyomingRTError",
    "load_bundled_corpus",
    "load_corpus",
    "parse_endpoint",
    "validate",
]

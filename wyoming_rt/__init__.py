"""wyoming_rt: validate Wyoming speech servers the way Home Assistant uses them.

The names below are imported on first use (PEP 562), so that ``import wyoming_rt.wire`` (or the
pytest plugin's entry point) does not pay for numpy, soxr and jiwer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_EXPORTS = {
    "ConnectError": ".errors",
    "Corpus": ".corpus",
    "CorpusError": ".errors",
    "DescribeResult": ".emulator",
    "EmulatorConfig": ".emulator",
    "Endpoint": ".endpoint",
    "Finding": ".findings",
    "FramingError": ".errors",
    "Gates": ".gates",
    "HAEmulator": ".emulator",
    "PcmAudio": ".pcm",
    "ProtocolError": ".errors",
    "RULES": ".findings",
    "Report": ".report.model",
    "Rule": ".findings",
    "ServerClosedError": ".errors",
    "ServerErrorEvent": ".errors",
    "ServerStartError": ".errors",
    "ServerUnavailableError": ".validation",
    "SttResult": ".emulator",
    "TtsResult": ".emulator",
    "UsageError": ".errors",
    "Utterance": ".corpus",
    "ValidateOptions": ".validation",
    "WatchdogTimeout": ".errors",
    "WyomingRTError": ".errors",
    "load_bundled_corpus": ".corpus",
    "load_corpus": ".corpus",
    "parse_endpoint": ".endpoint",
    "validate": ".validation",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'wyoming_rt' has no attribute {name!r}")
    if name == "RULES":  # the catalogue fills as the checking modules are imported: import them all
        importlib.import_module(".validation", __name__)
        importlib.import_module(".report.rules_doc", __name__)
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


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

"""wyoming_rt: validate Wyoming speech servers the way Home Assistant uses them.

The names below are imported on first use (PEP 562), so that ``import wyoming_rt.wire`` (or the
pytest plugin's entry point) does not pay for numpy, soxr and jiwer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from wyoming_rt.records.version import __version__ as __version__

if TYPE_CHECKING:
    from wyoming_rt.corpus import load_bundled_corpus, load_corpus
    from wyoming_rt.emulator import EmulatorConfig, HAEmulator
    from wyoming_rt.endpoint import Endpoint, parse_endpoint
    from wyoming_rt.records.audio import PcmAudio
    from wyoming_rt.records.corpus import Corpus, Utterance
    from wyoming_rt.records.errors import (
        ConnectError,
        CorpusError,
        FramingError,
        HostNotFoundError,
        ProtocolError,
        ServerClosedError,
        ServerErrorEvent,
        ServerStartError,
        UsageError,
        WatchdogTimeout,
        WyomingRTError,
    )
    from wyoming_rt.records.findings import Finding, Rule
    from wyoming_rt.records.results import DescribeResult, RoundTripResult, SttResult, TtsResult
    from wyoming_rt.records.rules import RULES
    from wyoming_rt.report.model import Report
    from wyoming_rt.run.gates import Gates
    from wyoming_rt.run.preflight import ServerUnavailableError, WrongServerRoleError
    from wyoming_rt.run.roundtrip import round_trip
    from wyoming_rt.run.validate import ValidateOptions, validate

_EXPORTS = {
    "ConnectError": "wyoming_rt.records.errors",
    "Corpus": "wyoming_rt.records.corpus",
    "CorpusError": "wyoming_rt.records.errors",
    "DescribeResult": "wyoming_rt.records.results",
    "EmulatorConfig": "wyoming_rt.emulator",
    "Endpoint": "wyoming_rt.endpoint",
    "Finding": "wyoming_rt.records.findings",
    "FramingError": "wyoming_rt.records.errors",
    "Gates": "wyoming_rt.run.gates",
    "HAEmulator": "wyoming_rt.emulator",
    "HostNotFoundError": "wyoming_rt.records.errors",
    "PcmAudio": "wyoming_rt.records.audio",
    "ProtocolError": "wyoming_rt.records.errors",
    "RULES": "wyoming_rt.records.rules",
    "Report": "wyoming_rt.report.model",
    "RoundTripResult": "wyoming_rt.records.results",
    "Rule": "wyoming_rt.records.findings",
    "ServerClosedError": "wyoming_rt.records.errors",
    "ServerErrorEvent": "wyoming_rt.records.errors",
    "ServerStartError": "wyoming_rt.records.errors",
    "ServerUnavailableError": "wyoming_rt.run.preflight",
    "SttResult": "wyoming_rt.records.results",
    "TtsResult": "wyoming_rt.records.results",
    "UsageError": "wyoming_rt.records.errors",
    "Utterance": "wyoming_rt.records.corpus",
    "ValidateOptions": "wyoming_rt.run.validate",
    "WatchdogTimeout": "wyoming_rt.records.errors",
    "WrongServerRoleError": "wyoming_rt.run.preflight",
    "WyomingRTError": "wyoming_rt.records.errors",
    "load_bundled_corpus": "wyoming_rt.corpus",
    "load_corpus": "wyoming_rt.corpus",
    "parse_endpoint": "wyoming_rt.endpoint",
    "round_trip": "wyoming_rt.run.roundtrip",
    "validate": "wyoming_rt.run.validate",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'wyoming_rt' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


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
    "HostNotFoundError",
    "PcmAudio",
    "ProtocolError",
    "Report",
    "RoundTripResult",
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
    "WrongServerRoleError",
    "WyomingRTError",
    "load_bundled_corpus",
    "load_corpus",
    "parse_endpoint",
    "round_trip",
    "validate",
]

"""`validate()`: the whole run against two servers, from describe to the gated report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import anyio

from .checks.audio_quality import AudioThresholds
from .checks.protocol import check_describe_attempts, check_probes, check_stt_info, check_tts_info, failure_finding
from .checks.trace_rules import SttCapabilities
from .corpus import Corpus
from .emulator import DescribeResult, EmulatorConfig, HAEmulator, HaMode, Pace
from .endpoint import Endpoint
from .errors import ConnectError, WatchdogTimeout, WyomingRTError
from .findings import Finding, finding, rule
from .gates import Gates, apply_gates
from .probes import advertised_voices, run_probes
from .report.build import build_report
from .report.model import Report, ServerReport
from .roundtrip import RoundTripResult, run_negatives, run_round_trips

CORPUS_BAD_FILE = rule(
    "corpus.bad-file",
    "error",
    "A corpus file could not be used (unreadable or empty audio, missing or non-UTF-8 transcript).",
    "The run is incomplete: that utterance was not tested.",
    ref="wyoming-rt corpus format (corpus/README.md)",
)


class ServerUnavailableError(ConnectError):
    """A server could not be reached when the run started."""


@dataclass(frozen=True)
class ValidateOptions:
    """How to run: concurrency, watchdog, what HA would send, and the gates."""

    concurrency: int = 4
    timeout_s: float = 30.0
    language: str = "en"
    voice: str | None = None
    speaker: str | None = None
    tts_streaming: bool | None = None
    """``None``: as HA does, stream when the TTS server advertises it."""
    gates: Gates = field(default_factory=Gates)
    back_transcribe: bool = True
    """Transcribe the TTS audio back with the STT server and score it ("back WER")."""
    audio_thresholds: AudioThresholds = field(default_factory=AudioThresholds)
    negatives: bool = True
    """Send the corpus's speech-free clips to the STT server and report invented words."""
    ha_mode: HaMode = "latest"
    pace: Pace = "burst"
    probes: bool = True
    """Run the conformance probes (unknown event type, empty audio and text, extra events,
    describe while busy, advertised voices)."""
    voice_probes: int = 3
    """How many advertised voices the probes try (0: none)."""

    def emulator_config(self) -> EmulatorConfig:
        return EmulatorConfig(
            timeout_s=self.timeout_s,
            connect_timeout_s=min(5.0, self.timeout_s),
            language=self.language,
            voice=self.voice,
            speaker=self.speaker,
            ha_mode=self.ha_mode,
            pace=self.pace,
        )


async def _describe(emulator: HAEmulator, endpoint: Endpoint) -> DescribeResult | WyomingRTError:
    """HA's describe with retries; every attempt has its own watchdogs, so this is bounded."""
    try:
        return await emulator.describe(endpoint)
    except WyomingRTError as exc:
        return exc


def advertises_streaming(described: DescribeResult | None) -> bool:
    if described is None:
        return False
    programs = [p for p in described.info_data.get("tts") or [] if isinstance(p, dict) and p.get("installed")]
    return bool(programs and programs[0].get("supports_synthesize_streaming"))


async def validate(
    stt: Endpoint,
    tts: Endpoint,
    corpus: Corpus,
    options: ValidateOptions | None = None,
    on_result: Callable[[RoundTripResult], None] | None = None,
) -> Report:
    """Describe both servers, round-trip the corpus, check everything and apply the gates.

    Raises `ServerUnavailableError` when a server cannot be connected to at the start.
    """
    options = options or ValidateOptions()
    emulator = HAEmulator(options.emulator_config())
    described: dict[str, DescribeResult | WyomingRTError] = {}

    async def describe_into(role: str, endpoint: Endpoint) -> None:
        described[role] = await _describe(emulator, endpoint)

    async with anyio.create_task_group() as tg:
        tg.start_soon(describe_into, "stt", stt)
        tg.start_soon(describe_into, "tts", tts)

    run_findings: list[Finding] = [finding(CORPUS_BAD_FILE, str(problem)) for problem in corpus.problems]
    servers: dict[str, ServerReport] = {}
    for role, endpoint in (("stt", stt), ("tts", tts)):
        outcome = described[role]
        never_connected = outcome.trace is not None and not outcome.trace.entries
        if isinstance(outcome, (ConnectError, WatchdogTimeout)) and never_connected:
            raise ServerUnavailableError(f"{role.upper()} server unavailable: {outcome}") from outcome
        if isinstance(outcome, WyomingRTError):
            run_findings.append(failure_finding(role, outcome))
            servers[role] = ServerReport(role, endpoint.uri, None, None)
            continue
        check = check_stt_info if role == "stt" else check_tts_info
        run_findings.extend(check(outcome.info_data, outcome.parse_error))
        run_findings.extend(check_describe_attempts(role.upper(), outcome.attempts, outcome.failures))
        servers[role] = ServerReport(role, endpoint.uri, outcome.info_data, outcome.latency_s * 1000)

    tts_described = described["tts"] if isinstance(described["tts"], DescribeResult) else None
    streaming = options.tts_streaming if options.tts_streaming is not None else advertises_streaming(tts_described)
    servers["tts"].notes["streaming"] = streaming
    if options.probes:
        probe_config = replace(emulator.config, timeout_s=min(options.timeout_s, 10.0))
        utterances = list(corpus)
        outcomes = await run_probes(
            stt,
            tts,
            probe_config,
            tts_streaming=streaming,
            sample=utterances[0] if utterances else None,
            voices=advertised_voices(servers["tts"].info, options.voice_probes),
        )
        run_findings.extend(check_probes(outcomes, SttCapabilities.from_info(servers["stt"].info)))

    results = await run_round_trips(
        emulator,
        list(corpus),
        stt,
        tts,
        tts_streaming=streaming,
        back_transcribe=options.back_transcribe,
        concurrency=options.concurrency,
        on_result=on_result,
    )
    negatives = []
    if options.negatives and corpus.negatives:
        negatives = await run_negatives(emulator, list(corpus.negatives), stt, concurrency=options.concurrency)
    settings: dict[str, Any] = {
        "corpus": corpus.name,
        "concurrency": options.concurrency,
        "timeout_s": options.timeout_s,
        "language": options.language,
        "voice": options.voice,
        "tts_streaming": streaming,
        "upload": options.pace,
        "ha_mode": options.ha_mode,
        "ha_wyoming_version": emulator.config.version,
        "gates": asdict(options.gates),
        "back_transcribe": options.back_transcribe,
        "probes": options.probes,
        "voice_probes": options.voice_probes,
        "audio_thresholds": asdict(options.audio_thresholds),
    }
    report = build_report(results, servers, run_findings, settings, options.audio_thresholds, negatives)
    apply_gates(report, options.gates)
    return report

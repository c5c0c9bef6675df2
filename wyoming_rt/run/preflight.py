"""The preflight of a run: describe both servers as HA does, the info rules, and the breakers
that know a server which never answered."""

from __future__ import annotations

from dataclasses import replace

import anyio

from wyoming_rt.checks.protocol import check_describe_attempts, check_stt_info, check_tts_info, failure_finding
from wyoming_rt.emulator import HAEmulator
from wyoming_rt.endpoint import Endpoint
from wyoming_rt.records.corpus import Corpus
from wyoming_rt.records.errors import ConnectError, WatchdogTimeout, WyomingRTError
from wyoming_rt.records.findings import Finding, finding
from wyoming_rt.records.info import installed
from wyoming_rt.records.results import DescribeResult
from wyoming_rt.records.rules import CORPUS_BAD_FILE, INFO_NO_ANSWER
from wyoming_rt.report.model import ServerReport
from wyoming_rt.run.breaker import HangBreaker
from wyoming_rt.run.options import ValidateOptions
from wyoming_rt.run.roundtrip import Breakers


class ServerUnavailableError(ConnectError):
    """A server could not be reached when the run started."""


async def _describe(emulator: HAEmulator, endpoint: Endpoint) -> DescribeResult | WyomingRTError:
    """HA's describe with retries; every attempt has its own watchdogs, so this is bounded."""
    try:
        return await emulator.describe(endpoint)
    except WyomingRTError as exc:
        return exc


def advertises_streaming(described: DescribeResult | None) -> bool:
    if described is None:
        return False
    programs = installed(described.info_data, "tts")
    return bool(programs and programs[0].get("supports_synthesize_streaming"))


async def describe_servers(emulator: HAEmulator, stt: Endpoint, tts: Endpoint) -> dict[str, DescribeResult | WyomingRTError]:
    """Describe both servers at once, as HA does, by role (``stt``, ``tts``). Raises
    `ServerUnavailableError` for a server that could not be reached at all; a server that was
    reached and failed its describe is returned as its error (`describe_failure_finding`)."""
    described: dict[str, DescribeResult | WyomingRTError] = {}

    async def describe_into(role: str, endpoint: Endpoint) -> None:
        described[role] = await _describe(emulator, endpoint)

    async with anyio.create_task_group() as tg:
        tg.start_soon(describe_into, "stt", stt)
        tg.start_soon(describe_into, "tts", tts)
    for role in ("stt", "tts"):
        outcome = described[role]
        never_connected = outcome.trace is not None and not outcome.trace.entries
        if isinstance(outcome, (ConnectError, WatchdogTimeout)) and never_connected:
            raise ServerUnavailableError(f"{role.upper()} server unavailable: {outcome}") from outcome
    return described


def describe_failure_finding(role: str, error: WyomingRTError) -> Finding:
    """The finding for a server that was reached and failed its describe (``role``: stt, tts)."""
    if isinstance(error, WatchdogTimeout):  # connected, but never answered: HA would not set it up either
        return finding(INFO_NO_ANSWER, f"{role.upper()} server: {error}")
    return failure_finding(role, error)


def tts_streaming(asked: bool | None, described: dict[str, DescribeResult | WyomingRTError]) -> bool:
    """Whether TTS requests stream: as ``asked``, else (``None``) as HA does, when the TTS server advertises it."""
    if asked is not None:
        return asked
    tts_described = described["tts"]
    return advertises_streaming(tts_described if isinstance(tts_described, DescribeResult) else None)


async def preflight(
    emulator: HAEmulator, stt: Endpoint, tts: Endpoint, corpus: Corpus, options: ValidateOptions
) -> tuple[dict[str, ServerReport], list[Finding], Breakers, bool]:
    """Describe both servers as HA does; info rules; breakers that know a server that never answered."""
    described = await describe_servers(emulator, stt, tts)
    liveness = HAEmulator(replace(emulator.config, describe_attempts=1, describe_timeout_s=options.timeout_s))
    breakers = Breakers(
        HangBreaker(name=f"the STT server at {stt}", liveness=lambda: liveness.describe(stt)),
        HangBreaker(name=f"the TTS server at {tts}", liveness=lambda: liveness.describe(tts)),
    )
    run_findings: list[Finding] = [finding(CORPUS_BAD_FILE, str(problem)) for problem in corpus.problems]
    servers: dict[str, ServerReport] = {}
    for role, endpoint in (("stt", stt), ("tts", tts)):
        outcome = described[role]
        if isinstance(outcome, WyomingRTError):
            servers[role] = ServerReport(role, endpoint.uri, None, None)
            run_findings.append(describe_failure_finding(role, outcome))
            if isinstance(outcome, WatchdogTimeout):
                (breakers.stt if role == "stt" else breakers.tts).declare_dead(f"no answer to describe: {outcome}")
            continue
        check = check_stt_info if role == "stt" else check_tts_info
        run_findings.extend(check(outcome.info_data, outcome.parse_error))
        run_findings.extend(check_describe_attempts(role.upper(), outcome.attempts, outcome.failures))
        servers[role] = ServerReport(role, endpoint.uri, outcome.info_data, outcome.latency_s * 1000)

    streaming = tts_streaming(options.tts_streaming, described)
    servers["tts"].notes["streaming"] = streaming
    return servers, run_findings, breakers, streaming

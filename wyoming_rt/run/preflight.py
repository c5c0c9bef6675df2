"""The preflight of a run: describe both servers as HA does, the info rules, and the breakers
that know a server which never answered."""

from __future__ import annotations

from dataclasses import replace

import anyio

from wyoming_rt.checks.protocol import check_describe_attempts, check_stt_info, check_tts_info, failure_finding
from wyoming_rt.emulator import HAEmulator
from wyoming_rt.endpoint import Endpoint
from wyoming_rt.records.corpus import Corpus
from wyoming_rt.records.errors import ConnectError, HostNotFoundError, UsageError, WatchdogTimeout, WyomingRTError
from wyoming_rt.records.findings import Finding, finding
from wyoming_rt.records.info import entries, installed
from wyoming_rt.records.results import DescribeResult
from wyoming_rt.records.rules import CORPUS_BAD_FILE, INFO_NO_ANSWER
from wyoming_rt.report.model import ServerReport
from wyoming_rt.run.breaker import HangBreaker
from wyoming_rt.run.options import ValidateOptions
from wyoming_rt.run.roundtrip import Breakers


class ServerUnavailableError(ConnectError):
    """A server could not be reached when the run started."""


class WrongServerRoleError(UsageError):
    """The server given for one role describes itself as the other kind only (a TTS server
    given as the STT server): the ports were swapped, most likely."""


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
    `ServerUnavailableError` for a server that could not be reached at all (at once when its
    host name does not resolve), and `WrongServerRoleError` for a server that describes itself
    as the other kind only; a server that was reached and failed its describe is returned as its
    error (`describe_failure_finding`)."""
    described: dict[str, DescribeResult | WyomingRTError] = {}

    async with anyio.create_task_group() as tg:

        async def describe_into(role: str, endpoint: Endpoint) -> None:
            described[role] = await _describe(emulator, endpoint)
            if isinstance(described[role], HostNotFoundError):
                tg.cancel_scope.cancel()  # the run cannot happen: no need to wait for the other server

        tg.start_soon(describe_into, "stt", stt)
        tg.start_soon(describe_into, "tts", tts)
    for role in ("stt", "tts"):
        outcome = described.get(role)
        if outcome is None:  # cancelled: the other server's name does not resolve
            continue
        never_connected = outcome.trace is not None and not outcome.trace.entries
        if isinstance(outcome, (ConnectError, WatchdogTimeout)) and never_connected:
            raise ServerUnavailableError(f"{role.upper()} server unavailable: {outcome}") from outcome
    for role, endpoint in (("stt", stt), ("tts", tts)):
        check_role(role, endpoint, described[role])
    return described


def check_role(role: str, endpoint: Endpoint, described: DescribeResult | WyomingRTError) -> None:
    """Raise `WrongServerRoleError` when the server given as ``role`` (stt, tts) describes itself
    as the other kind only: its info lists programs of the other kind and none of its own."""
    if not isinstance(described, DescribeResult):
        return
    wanted, other = ("asr", "tts") if role == "stt" else ("tts", "asr")
    if entries(described.info_data, wanted) or not entries(described.info_data, other):
        return
    kind = "a TTS" if other == "tts" else "an STT"
    raise WrongServerRoleError(
        f"the server at {endpoint} describes itself as {kind} server (its info has {other} programs and no"
        f" {wanted}): did you swap --stt and --tts?"
    )


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
        run_findings.extend(check(outcome.info_data, outcome.parse_error, options.language))
        run_findings.extend(check_describe_attempts(role.upper(), outcome.attempts, outcome.failures))
        servers[role] = ServerReport(role, endpoint.uri, outcome.info_data, outcome.latency_s * 1000)

    streaming = tts_streaming(options.tts_streaming, described)
    servers["tts"].notes["streaming"] = streaming
    return servers, run_findings, breakers, streaming

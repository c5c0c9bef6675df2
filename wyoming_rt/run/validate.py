"""`validate()`: the whole run against two servers, from describe to the gated report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from functools import partial
from typing import Any

import anyio

from wyoming_rt.checks.load_stats import concurrency_findings
from wyoming_rt.checks.long_answers import check_answer_probes
from wyoming_rt.checks.protocol import (
    check_describe_attempts,
    check_probes,
    check_stt_info,
    check_tts_info,
    failure_finding,
)
from wyoming_rt.checks.trace_rules import SttCapabilities
from wyoming_rt.emulator import HAEmulator
from wyoming_rt.endpoint import Endpoint
from wyoming_rt.records.corpus import Corpus, Utterance
from wyoming_rt.records.errors import ConnectError, WatchdogTimeout, WyomingRTError
from wyoming_rt.records.findings import Finding, finding
from wyoming_rt.records.info import installed
from wyoming_rt.records.results import DescribeResult, NegativeResult, ProbeName, ProbeOutcome, RoundTripResult
from wyoming_rt.records.rules import CORPUS_BAD_FILE, INFO_NO_ANSWER
from wyoming_rt.report.model import ConcurrencyReport, PhaseRecord, Report, ServerReport, UtteranceReport
from wyoming_rt.run.answer_probes import probe_llm_stream, probe_long_text
from wyoming_rt.run.breaker import HangBreaker
from wyoming_rt.run.build_report import build_report, unanalysed_report, utterance_reports_of
from wyoming_rt.run.health import HealthMonitor
from wyoming_rt.run.options import ValidateOptions as ValidateOptions
from wyoming_rt.run.phases import PhaseClock, run_concurrency_phase, seconds_per_unit, warm_up
from wyoming_rt.run.probes import advertised_voices, busy_sizes, run_probes
from wyoming_rt.run.roundtrip import Breakers, run_negatives, run_round_trips
from wyoming_rt.run.vad_probes import probe_early_stop, probe_own_endpointing

ANALYSIS_GRACE_S = 30.0
"""How long past its deadline the analysis thread is waited for (one utterance's checks are
bounded by the budgets) before its work is abandoned and every utterance reported unanalysed."""

PROBE_TIMEOUT_S = 10.0
"""The probes' watchdog (at most the run's): their requests are small."""


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


async def validate(
    stt: Endpoint,
    tts: Endpoint,
    corpus: Corpus,
    options: ValidateOptions | None = None,
    on_result: Callable[[RoundTripResult], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> Report:
    """The whole run, in phases: preflight (describe, info rules), warm-up (not measured),
    latency (one round trip at a time: what one HA user waits), concurrency (N sessions at
    once), the speech-free clips, and the conformance probes last, so that nothing they leave
    behind meets a measurement. Then the checks and the gates.

    ``on_result`` sees each latency-phase round trip as it ends, ``on_phase`` each phase's name
    as it starts. Raises `ServerUnavailableError` when a server cannot be connected to at the start.
    """
    options = options or ValidateOptions()
    emulator = HAEmulator(options.emulator_config())
    phases: list[PhaseRecord] = []

    monitor: HealthMonitor | None = None

    def phase(name: str) -> PhaseClock:
        if on_phase is not None:
            on_phase(name)
        if monitor is not None:
            monitor.phase = name
        phases.append(PhaseRecord(name))
        return PhaseClock(phases[-1])

    with phase("preflight") as record:
        servers, run_findings, breakers, streaming = await _preflight(emulator, stt, tts, corpus, options)
        record.requests = 2
    # HA 2026.11 skips its voice detector for a server that does its own
    requires_vad = SttCapabilities.from_info(servers["stt"].info).requires_external_vad
    emulator = HAEmulator(replace(emulator.config, requires_external_vad=requires_vad))
    utterances = list(corpus)
    sample = utterances[0] if utterances else None

    async def measured_phases() -> tuple[list[RoundTripResult], ConcurrencyReport | None]:
        """Warm-up, latency and concurrency: the phases HA's health checks may meet."""
        concurrency: ConcurrencyReport | None = None
        if utterances:
            with phase("warm-up") as record:
                run_findings.extend(
                    await warm_up(emulator, utterances, stt, tts, tts_streaming=streaming, breakers=breakers, record=record)
                )
        with phase("latency") as record:
            results = await run_round_trips(
                emulator, utterances, stt, tts, tts_streaming=streaming, back_transcribe=options.back_transcribe,
                concurrency=1, on_result=on_result, breakers=breakers,
            )  # fmt: skip
            record.requests = len(results)
        succeeded_alone = frozenset(
            r.utterance.id for r in results if r.stt is not None and r.stt_error is None and r.tts_error is None
        )
        if options.concurrency > 0 and succeeded_alone:
            phase_over = anyio.Event()
            async with anyio.create_task_group() as busy_checks:
                if monitor is not None:  # each server checked once while it serves the sessions
                    for role in ("stt", "tts"):
                        busy_checks.start_soon(monitor.check_when_busy, role, phase_over)
                with phase("concurrency") as record:
                    loaded = await run_concurrency_phase(
                        emulator, utterances, stt, tts, tts_streaming=streaming, sessions=options.concurrency, breakers=breakers,
                        succeeded_alone=succeeded_alone,
                    )  # fmt: skip
                    record.requests, record.sessions = loaded.level.round_trips, options.concurrency
                phase_over.set()
            run_findings.extend(concurrency_findings(loaded.level, loaded.sessions_ended))
            concurrency = loaded
        elif options.concurrency > 0:
            phases.append(PhaseRecord("concurrency", sessions=0, notes={"skipped": "no round trip succeeded one at a time"}))
        return results, concurrency

    interval_s = options.health_check_interval_s or emulator.config.release.health_check_interval_s
    monitor = (
        HealthMonitor(emulator.config, {"stt": stt, "tts": tts}, {"stt": breakers.stt, "tts": breakers.tts}, interval_s)
        if interval_s
        else None
    )
    measured_over = anyio.Event()
    async with anyio.create_task_group() as health:
        if monitor is not None:
            health.start_soon(monitor.run_periodically, measured_over)
        results, concurrency = await measured_phases()
        measured_over.set()  # the probes' own load is not HA's: no health check meets it
    if monitor is not None:
        run_findings.extend(monitor.findings())
    succeeded_alone = frozenset(
        r.utterance.id for r in results if r.stt is not None and r.stt_error is None and r.tts_error is None
    )
    # The per-utterance analysis (CPU) runs beside the last phases, and they beside each other:
    # nothing in them is timed finely enough for it to matter, and the measured phases are over.
    analysed: list[UtteranceReport] = []
    negatives: list[NegativeResult] = []

    async def analyse() -> None:
        analysis = partial(utterance_reports_of, results, servers, options.audio_thresholds, options.analysis_deadline_s)
        with anyio.move_on_after(options.analysis_deadline_s + ANALYSIS_GRACE_S):
            analysed.extend(await anyio.to_thread.run_sync(analysis, abandon_on_cancel=True))
            return
        why = f"not analysed: one utterance's analysis ran {ANALYSIS_GRACE_S:g} s past the deadline of {options.analysis_deadline_s:g} s"
        analysed.extend(unanalysed_report(r, why) for r in results)

    async def negatives_phase() -> None:
        with phase("negatives") as record:
            negatives.extend(
                await run_negatives(
                    emulator, list(corpus.negatives), stt, concurrency=max(1, options.concurrency), breaker=breakers.stt
                )
            )
            record.requests = len(negatives)

    async def probes_phase() -> None:
        if options.probes:
            with phase("probes") as record:
                worked = [r.utterance for r in results if r.utterance.id in succeeded_alone]
                probe_sample = worked[0] if worked else sample  # an input that works, so a probe meets no known fault
                outcomes = await _probes(stt, tts, emulator, options, servers, breakers, streaming, probe_sample, results)
                record.requests = len(outcomes)
                record.notes["busy_unfinished"] = [o.role for o in outcomes if o.measures.get("busy_finished") is False]
                for o in outcomes:
                    if o.name in (ProbeName.LONG_TEXT, ProbeName.LLM_STREAM):
                        record.notes[o.name.replace("-", "_")] = {"ok": o.ok, "detail": o.detail, **o.measures}
            run_findings.extend(check_probes(outcomes, SttCapabilities.from_info(servers["stt"].info)))
            run_findings.extend(check_answer_probes(outcomes))

    async with anyio.create_task_group() as tg:
        tg.start_soon(analyse)
        if options.negatives and corpus.negatives:  # beside the probes: neither is timed
            tg.start_soon(negatives_phase)
        tg.start_soon(probes_phase)

    settings: dict[str, Any] = {
        "corpus": corpus.name,
        "concurrency": options.concurrency,
        "latency_phase": "one round trip at a time (one Home Assistant user)",
        "timeout_s": options.timeout_s,
        "language": options.language,
        "voice": options.voice,
        "tts_streaming": streaming,
        "upload": options.pace,
        "endpointing": options.endpointing,
        "ha_mode": options.ha_mode,
        "ha_wyoming_version": emulator.config.version,
        "gates": asdict(options.gates),
        "back_transcribe": options.back_transcribe,
        "probes": options.probes,
        "voice_probes": options.voice_probes,
        "long_text": options.long_text,
        "llm_tokens_per_s": options.llm_tokens_per_s,
        "audio_thresholds": asdict(options.audio_thresholds),
    }
    return build_report(
        results, servers, run_findings, settings, options.audio_thresholds, negatives, utterance_reports=analysed,
        phases=phases, concurrency=concurrency, health_checks=monitor.checks if monitor is not None else (), gates=options.gates,
    )  # fmt: skip


async def _preflight(
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


async def _probes(
    stt: Endpoint,
    tts: Endpoint,
    emulator: HAEmulator,
    options: ValidateOptions,
    servers: dict[str, ServerReport],
    breakers: Breakers,
    streaming: bool,
    sample: Utterance | None,
    results: list[RoundTripResult],
) -> list[ProbeOutcome]:
    """The conformance probes of the servers that still answer, their busy requests sized from
    how fast each server worked in the latency phase."""
    stt_speed, tts_speed = seconds_per_unit(results)
    busy_audio_s, busy_chars = busy_sizes(stt_speed, tts_speed, emulator.config.describe_timeout_s)
    outcomes = await run_probes(
        stt,
        tts,
        replace(emulator.config, timeout_s=min(options.timeout_s, PROBE_TIMEOUT_S), endpointing="none"),
        tts_streaming=streaming,
        sample=sample,
        voices=advertised_voices(servers["tts"].info, options.voice_probes),
        roles=[role for role, breaker in (("stt", breakers.stt), ("tts", breakers.tts)) if not breaker.dead],
        busy_audio_s=busy_audio_s,
        busy_text_chars=busy_chars,
        busy_timeout_s=options.timeout_s,
    )
    config = replace(emulator.config, endpointing="none")
    if sample is not None and not breakers.stt.dead and not emulator.config.requires_external_vad:
        outcomes.append(await probe_own_endpointing(stt, config, sample))
        outcomes.append(await probe_early_stop(stt, config, sample))
    if breakers.tts.dead:
        return outcomes
    # one at a time, after the others: a long answer's timing must not meet another probe's load
    if options.long_text:
        outcomes.append(await probe_long_text(tts, config, streaming=streaming, s_per_char=tts_speed))
    if options.llm_tokens_per_s > 0 and streaming and not breakers.stt.dead:
        outcomes.append(await probe_llm_stream(stt, tts, config, tokens_per_s=options.llm_tokens_per_s, s_per_char=tts_speed))
    return outcomes

"""`validate()`: the whole run against two servers, from describe to the gated report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from functools import partial
from typing import Any

import anyio

from wyoming_rt.checks.load_stats import concurrency_findings
from wyoming_rt.checks.long_answers import check_answer_probes
from wyoming_rt.checks.protocol import check_probes
from wyoming_rt.checks.trace_rules import SttCapabilities
from wyoming_rt.checks.transcript_language import prepare_language_check
from wyoming_rt.emulator import HAEmulator
from wyoming_rt.endpoint import Endpoint
from wyoming_rt.records.corpus import Corpus
from wyoming_rt.records.findings import Finding
from wyoming_rt.records.info import stt_languages
from wyoming_rt.records.language import listed_language
from wyoming_rt.records.results import NegativeResult, ProbeName, RoundTripResult
from wyoming_rt.records.shard import shard_corpus
from wyoming_rt.records.version import __version__
from wyoming_rt.report.model import ConcurrencyReport, PhaseRecord, Report, ServerReport, UtteranceReport
from wyoming_rt.run.build_report import build_report, unanalysed_report, utterance_reports_of
from wyoming_rt.run.health import HealthMonitor
from wyoming_rt.run.options import ValidateOptions as ValidateOptions
from wyoming_rt.run.phases import PhaseClock, run_concurrency_phase, warm_up
from wyoming_rt.run.preflight import ServerUnavailableError as ServerUnavailableError
from wyoming_rt.run.preflight import preflight
from wyoming_rt.run.probe_phase import run_probe_phase
from wyoming_rt.run.resource_sources import Found
from wyoming_rt.run.resources import PhaseWork, ResourceMonitor, memory_growth_findings, resource_sources
from wyoming_rt.run.roundtrip import Breakers, run_negatives, run_round_trips

ANALYSIS_GRACE_S = 30.0
"""How long past its deadline the analysis thread is waited for (one utterance's checks are
bounded by the budgets) before its work is abandoned and every utterance reported unanalysed."""
PARTIAL_ANALYSIS_S = 5.0
"""Seconds an incomplete report's analysis may take (`ValidationRun.incomplete_report`): the
utterances not analysed by then are reported with their timings and an ``analysis.deadline`` warning."""


async def validate(
    stt: Endpoint,
    tts: Endpoint,
    corpus: Corpus,
    options: ValidateOptions | None = None,
    on_result: Callable[[RoundTripResult], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> Report:
    """The whole run, in phases: preflight (describe, info rules), preparation (HA's voice
    detector over every clip, when the run uses it: the client's own CPU), warm-up (not measured),
    latency (one round trip at a time: what one HA user waits), concurrency (N sessions at
    once), the speech-free clips, and the conformance probes last, so that nothing they leave
    behind meets a measurement. Then the checks and the gates.

    With ``options.shard``, the run takes that shard's share of ``corpus`` (and shard 1 alone
    runs the probes); `wyoming_rt.run.merge` pools the shards' reports.

    ``on_result`` sees each latency-phase round trip as it ends, ``on_phase`` each phase's name
    as it starts. Raises `ServerUnavailableError` when a server cannot be connected to at the start.
    """
    options = options or ValidateOptions()
    return await ValidationRun(stt, tts, corpus, options, on_result, on_phase).execute()


def phase_work(results: list[RoundTripResult], concurrency: ConcurrencyReport | None) -> dict[str, dict[str, PhaseWork]]:
    """What each server was asked: in the latency phase, STT requests (round trips and back
    transcriptions) and the seconds of audio sent, TTS requests and the seconds of speech
    returned; in the concurrency phase, one request to each per round trip."""
    stt = [r.stt for r in results if r.stt is not None] + [r.back_stt for r in results if r.back_stt is not None]
    tts = [r.tts for r in results if r.tts is not None]
    work = {
        "stt": {"latency": PhaseWork(len(stt), sum(s.audio_duration_s for s in stt))},
        "tts": {"latency": PhaseWork(len(tts), sum(t.audio.duration_s for t in tts if t.audio is not None))},
    }
    if concurrency is not None:
        for role in work:
            work[role]["concurrency"] = PhaseWork(concurrency.level.round_trips)
    return work


def _succeeded_alone(results: list[RoundTripResult]) -> frozenset[str]:
    """The utterances whose round trip had no error one at a time: the ones the later phases use."""
    return frozenset(r.utterance.id for r in results if r.stt is not None and r.stt_error is None and r.tts_error is None)


class ValidationRun:
    """One validation run: what it talks to, the phases so far, the run's findings and the
    health monitor, which follows the phase that is running.

    `validate` is ``await ValidationRun(...).execute()``; a caller that keeps the run can ask
    for `incomplete_report` when the run is interrupted or fails part way."""

    def __init__(
        self,
        stt: Endpoint,
        tts: Endpoint,
        corpus: Corpus,
        options: ValidateOptions,
        on_result: Callable[[RoundTripResult], None] | None = None,
        on_phase: Callable[[str], None] | None = None,
    ) -> None:
        options = options.for_corpus(corpus)
        self.shard_settings: dict[str, Any] | None = None
        if options.shard is not None:  # a share of the corpus; the report says of what
            sharded = shard_corpus(corpus, options.shard)
            corpus, self.shard_settings = sharded.corpus, sharded.settings()
        self.stt, self.tts, self.corpus, self.options = stt, tts, corpus, options
        self.on_result, self.on_phase = on_result, on_phase
        self.emulator = HAEmulator(options.emulator_config())
        self.phases: list[PhaseRecord] = []
        self.findings: list[Finding] = []
        self.monitor: HealthMonitor | None = None
        self.utterances = list(corpus)
        self.servers: dict[str, ServerReport] = {}
        """The servers as preflight found them (empty before)."""
        self.streaming: bool | None = None
        self.finished: list[RoundTripResult] = []
        """The latency phase's round trips, as each ends."""
        self.analysed: list[UtteranceReport] = []
        self.stopped: str | None = None
        """Why the run stopped early (``--fail-fast``), when it did."""
        self._latency_scope = anyio.CancelScope()
        self.resource_monitor: ResourceMonitor | None = None

    @property
    def current_phase(self) -> str:
        """The name of the phase started last ("preflight" before any)."""
        return self.phases[-1].name if self.phases else "preflight"

    def phase(self, name: str) -> PhaseClock:
        """Start a phase: announced, followed by the health monitor, timed into its record."""
        if self.on_phase is not None:
            self.on_phase(name)
        if self.monitor is not None:
            self.monitor.phase = name
        if self.resource_monitor is not None:
            self.resource_monitor.phase = name
        self.phases.append(PhaseRecord(name))
        return PhaseClock(self.phases[-1])

    async def execute(self) -> Report:
        """The phases in order; the servers' CPU and memory are sampled throughout when they run here."""
        if self.options.resources:
            self.resource_monitor = ResourceMonitor(await anyio.to_thread.run_sync(self._resource_sources))
            await self.resource_monitor.idle_baseline()
        sampling_over = anyio.Event()
        async with anyio.create_task_group() as sampling:
            if self.resource_monitor is not None:
                sampling.start_soon(self.resource_monitor.run, sampling_over)
            try:
                report = await self._phases()
            finally:
                sampling_over.set()
        return report

    def _resource_sources(self) -> dict[str, Found]:
        return resource_sources(self.stt, self.tts, self.options)

    async def _phases(self) -> Report:
        with self.phase("preflight") as record:
            servers, findings, breakers, streaming = await preflight(self.emulator, self.stt, self.tts, self.corpus, self.options)
            record.requests = 2
        self.servers, self.streaming = servers, streaming
        self.findings.extend(findings)
        # HA 2026.11 skips its voice detector for a server that does its own
        requires_vad = SttCapabilities.from_info(servers["stt"].info).requires_external_vad
        # HA's pipeline holds one of the tags the server lists: asked for de-DE, a server listing de gets de
        language = listed_language(self.options.language, stt_languages(servers["stt"].info))
        self.emulator = HAEmulator(replace(self.emulator.config, requires_external_vad=requires_vad, language=language))
        with self.phase("preparation") as record:
            await self._prepare(record)

        interval_s = self.options.health_check_interval_s or self.emulator.config.release.health_check_interval_s
        if interval_s:
            self.monitor = HealthMonitor(
                self.emulator.config, {"stt": self.stt, "tts": self.tts}, {"stt": breakers.stt, "tts": breakers.tts}, interval_s
            )
        measured_over = anyio.Event()
        async with anyio.create_task_group() as health:
            if self.monitor is not None:
                health.start_soon(self.monitor.run_periodically, measured_over)
            results, concurrency = await self._measured_phases(breakers, streaming)
            measured_over.set()  # the probes' own load is not HA's: no health check meets it
        if self.monitor is not None:
            self.findings.extend(self.monitor.findings())

        # The per-utterance analysis (CPU) runs beside the last phases, and they beside each other:
        # nothing in them is timed finely enough for it to matter, and the measured phases are over.
        negatives: list[NegativeResult] = []
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._analyse, results, servers, self.analysed)
            if self.stopped is None and self.options.negatives and self.corpus.negatives:  # beside the probes: neither is timed
                tg.start_soon(self._negatives_phase, breakers, negatives)
            if self.stopped is None:
                tg.start_soon(self._probes_phase, servers, breakers, streaming, results)

        resources = {}
        if self.resource_monitor is not None:
            self.resource_monitor.finish()
            resources = self.resource_monitor.results(phase_work(results, concurrency))
            self.findings.extend(memory_growth_findings(resources))
        report = build_report(
            results, servers, self.findings, self._settings(streaming), self.options.audio_thresholds, negatives,
            utterance_reports=self.analysed, phases=self.phases, concurrency=concurrency,
            health_checks=self.monitor.checks if self.monitor is not None else (), gates=self.options.gates,
            resources=resources,
        )  # fmt: skip
        return report if self.stopped is None else replace(report, incomplete=self.stopped)

    def incomplete_report(self, reason: str) -> Report:
        """What the run has so far, as a report marked incomplete with ``reason``: the latency
        phase's finished round trips (analysed within `PARTIAL_ANALYSIS_S`, unless the run's own
        analysis is done), the servers, findings and phases so far, and the gates applied. No I/O."""
        results = list(self.finished)
        analysed = self.analysed if len(self.analysed) == len(results) else None
        if analysed is None:
            analysed = utterance_reports_of(
                results, self.servers, self.options.audio_thresholds, PARTIAL_ANALYSIS_S, self.options.language
            )
        report = build_report(
            results, self.servers, self.findings, self._settings(self.streaming), self.options.audio_thresholds,
            utterance_reports=analysed, phases=self.phases,
            health_checks=self.monitor.checks if self.monitor is not None else (), gates=self.options.gates,
        )  # fmt: skip
        return replace(report, incomplete=reason)

    def _finished(self, result: RoundTripResult) -> None:
        """A latency-phase round trip ended: kept, shown, and with ``fail_fast`` the end of the phase if it failed."""
        self.finished.append(result)
        if self.on_result is not None:
            self.on_result(result)
        if self.options.fail_fast and self.stopped is None and result.failure is not None:
            self.stopped = f"fail-fast: {result.utterance.id} failed"
            self._latency_scope.cancel()

    async def _prepare(self, record: PhaseRecord) -> None:
        """HA's voice detector run over every clip when the run uses it: the client's own CPU,
        spent before any server works rather than beside a measured request, and once per clip
        rather than at each sending."""
        plans = await self.emulator.plan_uploads(u.audio for u in (*self.utterances, *self.corpus.negatives))
        if plans is not None:
            record.notes["voice_detector_plans"] = plans.to_dict()
        # the language detector's models load here, holding the GIL for a second: never beside a measurement
        await anyio.to_thread.run_sync(prepare_language_check, self.options.language)

    async def _measured_phases(
        self, breakers: Breakers, streaming: bool
    ) -> tuple[list[RoundTripResult], ConcurrencyReport | None]:
        """Warm-up, latency and concurrency: the phases HA's health checks may meet."""
        emulator, options, stt, tts = self.emulator, self.options, self.stt, self.tts
        if self.utterances:
            with self.phase("warm-up") as record:
                self.findings.extend(
                    await warm_up(emulator, self.utterances, stt, tts, tts_streaming=streaming, breakers=breakers, record=record)
                )
        with self.phase("latency") as record, self._latency_scope:
            await run_round_trips(
                emulator, self.utterances, stt, tts, tts_streaming=streaming, back_transcribe=options.back_transcribe,
                concurrency=1, on_result=self._finished, breakers=breakers,
            )  # fmt: skip
        results = list(self.finished)  # in corpus order: one at a time
        record.requests = len(results)
        if self.resource_monitor is not None:
            self.resource_monitor.latency_phase_over()
        if self.stopped is not None:
            record.notes["stopped"] = self.stopped
        succeeded_alone = _succeeded_alone(results)
        if options.concurrency <= 0 or self.stopped is not None:
            return results, None
        if not succeeded_alone:
            self.phases.append(PhaseRecord("concurrency", sessions=0, notes={"skipped": "no round trip succeeded one at a time"}))
            return results, None
        phase_over = anyio.Event()
        async with anyio.create_task_group() as busy_checks:
            if self.monitor is not None:  # each server checked once while it serves the sessions
                for role in ("stt", "tts"):
                    busy_checks.start_soon(self.monitor.check_when_busy, role, phase_over)
            with self.phase("concurrency") as record:
                loaded = await run_concurrency_phase(
                    emulator, self.utterances, stt, tts, tts_streaming=streaming, sessions=options.concurrency,
                    breakers=breakers, succeeded_alone=succeeded_alone,
                )  # fmt: skip
                record.requests, record.sessions = loaded.level.round_trips, options.concurrency
            phase_over.set()
        self.findings.extend(concurrency_findings(loaded.level, loaded.sessions_ended))
        return results, loaded

    async def _analyse(
        self, results: list[RoundTripResult], servers: dict[str, ServerReport], into: list[UtteranceReport]
    ) -> None:
        """The per-utterance checks in a worker thread, under the analysis deadline."""
        deadline_s = self.options.analysis_deadline_s
        analysis = partial(
            utterance_reports_of, results, servers, self.options.audio_thresholds, deadline_s, self.options.language
        )
        with anyio.move_on_after(deadline_s + ANALYSIS_GRACE_S):
            into.extend(await anyio.to_thread.run_sync(analysis, abandon_on_cancel=True))
            return
        why = f"not analysed: one utterance's analysis ran {ANALYSIS_GRACE_S:g} s past the deadline of {deadline_s:g} s"
        into.extend(unanalysed_report(r, why) for r in results)

    async def _negatives_phase(self, breakers: Breakers, into: list[NegativeResult]) -> None:
        with self.phase("negatives") as record:
            clips = list(self.corpus.negatives)
            concurrency = max(1, self.options.concurrency)
            into.extend(await run_negatives(self.emulator, clips, self.stt, concurrency=concurrency, breaker=breakers.stt))
            record.requests = len(into)

    async def _probes_phase(
        self, servers: dict[str, ServerReport], breakers: Breakers, streaming: bool, results: list[RoundTripResult]
    ) -> None:
        if not self.options.probes or (self.options.shard is not None and not self.options.shard.runs_probes):
            return
        with self.phase("probes") as record:
            succeeded_alone = _succeeded_alone(results)
            worked = [r.utterance for r in results if r.utterance.id in succeeded_alone]
            # an input that works, so that a probe meets no known fault
            sample = worked[0] if worked else (self.utterances[0] if self.utterances else None)
            outcomes = await run_probe_phase(
                self.stt, self.tts, self.emulator, self.options, servers, breakers, streaming, sample, results
            )
            record.requests = len(outcomes)
            record.notes["busy_unfinished"] = [o.role for o in outcomes if o.measures.get("busy_finished") is False]
            for o in outcomes:
                if o.name in (ProbeName.LONG_TEXT, ProbeName.LLM_STREAM):
                    record.notes[o.name.replace("-", "_")] = {"ok": o.ok, "detail": o.detail, **o.measures}
        self.findings.extend(check_probes(outcomes, SttCapabilities.from_info(servers["stt"].info)))
        self.findings.extend(check_answer_probes(outcomes))

    def _settings(self, streaming: bool | None) -> dict[str, Any]:
        """What the run was set to, as the report records it."""
        options = self.options
        return {
            "corpus": self.corpus.name,
            "shard": self.shard_settings,
            "wyoming_rt_version": __version__,
            "concurrency": options.concurrency,
            "latency_phase": "one round trip at a time (one Home Assistant user)",
            "timeout_s": options.timeout_s,
            "language": options.language,
            "language_sent": self.emulator.config.language,
            "voice": options.voice,
            "tts_streaming": streaming,
            "upload": options.pace,
            "endpointing": options.endpointing,
            "ha_mode": options.ha_mode,
            "ha_wyoming_version": self.emulator.config.version,
            "gates": asdict(options.gates),
            "back_transcribe": options.back_transcribe,
            "fail_fast": options.fail_fast,
            "probes": options.probes,
            "voice_probes": options.voice_probes,
            "long_text": options.long_text,
            "llm_tokens_per_s": options.llm_tokens_per_s,
            "audio_thresholds": asdict(options.audio_thresholds),
        }

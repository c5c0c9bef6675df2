"""The probe phase of a run: which probes run, on which servers, sized from the latency phase."""

from __future__ import annotations

from dataclasses import replace

from wyoming_rt.emulator import HAEmulator
from wyoming_rt.endpoint import Endpoint
from wyoming_rt.records.corpus import Utterance
from wyoming_rt.records.results import ProbeOutcome, RoundTripResult
from wyoming_rt.report.model import ServerReport
from wyoming_rt.run.answer_probes import probe_llm_stream, probe_long_text
from wyoming_rt.run.options import ValidateOptions
from wyoming_rt.run.phases import seconds_per_unit
from wyoming_rt.run.probes import advertised_voices, busy_sizes, run_probes
from wyoming_rt.run.roundtrip import Breakers
from wyoming_rt.run.vad_probes import probe_early_stop, probe_own_endpointing

PROBE_TIMEOUT_S = 10.0
"""The probes' watchdog (at most the run's): their requests are small."""


async def run_probe_phase(
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

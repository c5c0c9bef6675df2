"""`ValidateOptions`: how to run, every user option declared once on its field.

The module stays light (no numpy, no emulator): the pytest plugin reads the options when pytest
starts. The gates, the audio thresholds and the emulator's configuration are imported when an
options value is made, not before.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from wyoming_rt.llm_stream import DEFAULT_TOKENS_PER_S
from wyoming_rt.records.corpus import Corpus
from wyoming_rt.records.emulator_options import EmulatorOptions
from wyoming_rt.records.options import Group, at_least, non_negative_int, option, positive_float, positive_int
from wyoming_rt.records.shard import Shard

if TYPE_CHECKING:
    from wyoming_rt.checks.audio_quality import AudioThresholds
    from wyoming_rt.emulator import EmulatorConfig
    from wyoming_rt.run.gates import Gates

_RUN: Group = "Phases and probes"


def _no_gates() -> Gates:
    from wyoming_rt.run.gates import Gates

    return Gates()


def _default_thresholds() -> AudioThresholds:
    from wyoming_rt.checks.audio_quality import AudioThresholds

    return AudioThresholds()


def _threshold(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError("expected NAME=VALUE")
    try:
        return name.strip(), float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from exc


def _thresholds(changes: list[tuple[str, float]]) -> AudioThresholds:
    """The default thresholds with the given ones changed; `ValueError` names an unknown one."""
    return _default_thresholds().with_overrides(dict(changes))


@dataclass(frozen=True)
class ValidateOptions(EmulatorOptions):
    """How to run: concurrency, watchdog, what HA would send (`EmulatorOptions`), and the gates."""

    concurrency: int = option(
        4, metavar="N", parse=non_negative_int, group=_RUN,
        help="sessions at once in the concurrency phase (default: 4; 0: no concurrency phase). Latency figures "
        "come from the latency phase, one round trip at a time",
    )  # fmt: skip
    """Sessions at once in the concurrency phase (0: no concurrency phase). Latency figures always
    come from the latency phase, one round trip at a time."""
    tts_streaming: bool | None = option(
        None, choices={"auto": None, "on": True, "off": False}, group="Home Assistant behaviour",
        help="auto: stream when the server advertises supports_synthesize_streaming, as HA does (default)",
    )  # fmt: skip
    """``None``: as HA does, stream when the TTS server advertises it."""
    gates: Gates = field(default_factory=_no_gates)
    """Set from the command line's ``--max-*`` flags and TOML's gate keys (`wyoming_rt.run.config`)."""
    back_transcribe: bool = option(
        True, flag="--no-back-wer", const=False, group=_RUN, help="do not transcribe the TTS audio back with the STT server"
    )
    """Transcribe the TTS audio back with the STT server and score it ("back WER")."""
    audio_thresholds: AudioThresholds = option(
        factory=_default_thresholds, flag="--audio-threshold", metavar="NAME=VALUE", parse=_threshold,
        combine=_thresholds, group="Gates and thresholds",
        help="change an audio check threshold, e.g. clipped_ratio_max=0.01 (repeatable; see docs/checks.md)",
    )  # fmt: skip
    negatives: bool = option(
        True, flag="--no-negatives", const=False, group=_RUN,
        help="do not send the corpus's speech-free clips (negative/) to the STT server",
    )  # fmt: skip
    """Send the corpus's speech-free clips to the STT server and report invented words."""
    probes: bool = option(
        True, flag="--no-probes", const=False, group=_RUN,
        help="skip the conformance probes (unknown event type, empty audio and text, extra events, describe while busy, voices)",
    )  # fmt: skip
    """Run the conformance probes (unknown event type, empty audio and text, extra events,
    describe while busy, advertised voices)."""
    voice_probes: int = option(
        3, metavar="N", parse=at_least(int, 0), group=_RUN,
        help="try up to N voices the TTS server advertises (default 3; 0: none)",
    )  # fmt: skip
    """How many advertised voices the probes try (0: none)."""
    health_check_interval_s: float | None = option(
        None, flag="--health-check-interval", metavar="SECONDS", parse=positive_float, group=_RUN, cli=False, pytest=False,
        help="seconds between health checks during the measured phases (default: the HA release's)",
    )  # fmt: skip
    """Seconds between health checks (describe each server, one attempt) during the measured
    phases; ``None``: the HA release's (30 s in 2026.11, none in 2026.2)."""
    long_text: bool = option(
        True, flag="--no-long-text", const=False, group=_RUN,
        help="skip the long-text probe (several paragraphs: complete, within the watchdog, without long breaks)",
    )  # fmt: skip
    """Probe a long text (several paragraphs) as HA sends it: complete, within the watchdog, no long break."""
    llm_tokens_per_s: float = option(
        DEFAULT_TOKENS_PER_S, flag="--llm-rate", metavar="TOKENS_PER_S", parse=at_least(float, 0.0), group=_RUN,
        help=f"stream the LLM-answer probe at this many tokens a second, as HA streams an LLM's answer into a "
        f"streaming TTS server (default {DEFAULT_TOKENS_PER_S:g}; 0: no LLM probe)",
    )  # fmt: skip
    """Probe an LLM's answer streamed at this many tokens a second (0: no LLM probe), when the TTS
    server streams."""
    fail_fast: bool = option(
        False, const=True, group=_RUN,
        help="stop after the first utterance that fails in the latency phase (an error or an empty transcript): "
        "the later phases are skipped and the report is marked incomplete",
    )  # fmt: skip
    """Stop at the latency phase's first failed round trip; the report says so (`Report.incomplete`)."""
    analysis_deadline_s: float = option(
        300.0, flag="--analysis-deadline", metavar="SECONDS", parse=positive_float, group=_RUN, cli=False, pytest=False,
        help="seconds the per-utterance analysis may take after the measured phases (default: 300)",
    )  # fmt: skip
    """Seconds the per-utterance analysis (audio checks, WER/CER) may take after the measured
    phases; utterances not analysed by then get an ``analysis.deadline`` finding."""

    resources: bool = option(
        True, flag="--no-resources", const=False, group="Servers",
        help="do not sample the servers' CPU and memory (sampled when they run on this machine)",
    )  # fmt: skip
    """Sample each server's CPU and memory when it runs on this machine (found by its pid, its
    container or the process listening on its port)."""
    stt_pid: int | None = option(
        None, metavar="PID", parse=positive_int, group="Servers", toml=False, pytest=False,
        help="the STT server's process, for its CPU and memory (default: the one listening on its port, when local)",
    )  # fmt: skip
    tts_pid: int | None = option(
        None, metavar="PID", parse=positive_int, group="Servers", toml=False, pytest=False,
        help="the TTS server's process (default: the one listening on its port, when local)",
    )  # fmt: skip
    stt_container: str | None = option(
        None, metavar="NAME", group="Servers",
        help="the STT server's container (docker or podman): CPU and memory from its cgroup",
    )  # fmt: skip
    tts_container: str | None = option(
        None, metavar="NAME", group="Servers", help="the TTS server's container: CPU and memory from its cgroup"
    )
    shard: Shard | None = option(
        None, metavar="I/N", parse=Shard.parse, group="Corpus", toml=False, pytest=False,
        help="run shard I of N: the utterances and speech-free clips whose id hashes to it (stable when files are "
        "added elsewhere); the conformance probes run in shard 1 only. `wyoming-rt merge` pools the shards' JSON "
        "reports into the report of one run",
    )  # fmt: skip
    """Run one shard of the corpus (`wyoming_rt.records.shard`); ``None``: all of it."""
    started_pids: tuple[int, ...] = ()
    """Processes this run started itself (the reference servers), reported as ``started``."""

    def for_corpus(self, corpus: Corpus) -> ValidateOptions:
        """These options with the language resolved: as set, else the corpus's, else English."""
        if self.language is not None:
            return self
        return replace(self, language=corpus.language or "en")

    def emulator_config(self) -> EmulatorConfig:
        """The emulator for this run: every `EmulatorOptions` field as set here, and a connect
        timeout of at most 5 s."""
        from wyoming_rt.emulator import EmulatorConfig

        shared: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(EmulatorOptions)}
        return EmulatorConfig(**shared, connect_timeout_s=min(5.0, self.timeout_s))

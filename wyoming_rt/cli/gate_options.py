"""The gates' flags (``--max-wer``, ``--max-p95 STAGE=MS``, ``--ignore RULE`` ...), shared by
``validate`` and ``merge``, and the gates they set."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from wyoming_rt.records.options import non_negative_float, positive_float
from wyoming_rt.records.report_choices import STAGES

if TYPE_CHECKING:
    from wyoming_rt.run.gates import Gates


def _stage_limit(text: str) -> tuple[str, float]:
    stage, _, value = text.partition("=")
    if stage not in STAGES:
        raise argparse.ArgumentTypeError(f"unknown stage {stage!r} (stages: {', '.join(STAGES)})")
    return stage, positive_float(value)


def add_gate_arguments(gates: argparse._ArgumentGroup) -> None:
    """The gates' flags, in ``gates`` (a group of the command's parser)."""
    gates.add_argument(
        "--max-wer", metavar="X", type=non_negative_float, help="fail when the normalised corpus WER is above X (default: 0.15)"
    )
    gates.add_argument(
        "--max-back-wer",
        metavar="X",
        type=non_negative_float,
        help="fail when the back WER (TTS audio transcribed back) is above X",
    )
    gates.add_argument("--max-p95-ms", metavar="MS", type=positive_float, help="fail when the round-trip P95 latency is above MS")
    gates.add_argument(
        "--max-p95", metavar="STAGE=MS", type=_stage_limit, action="append", default=[],
        help=f"fail when STAGE's P95 is above MS (repeatable; stages: {', '.join(STAGES)})",
    )  # fmt: skip
    gates.add_argument("--max-p99", metavar="STAGE=MS", type=_stage_limit, action="append", default=[], help="the same for P99")
    gates.add_argument(
        "--max-failure-rate", metavar="X", type=non_negative_float, help="fail when more than this share of utterances failed"
    )
    gates.add_argument(
        "--max-rss-mb", metavar="MB", type=positive_float,
        help="fail when either server's peak resident memory is above MB (measured when it runs on this machine)",
    )  # fmt: skip
    gates.add_argument(
        "--max-cpu-per-audio-s", metavar="X", type=positive_float,
        help="fail when the STT server uses more than X CPU-seconds per second of audio (latency phase)",
    )  # fmt: skip
    gates.add_argument(
        "--ignore",
        metavar="RULE",
        action="append",
        default=[],
        help="report findings of RULE as ignored; they do not fail the run (repeatable)",
    )


def gates_from_args(gates: Gates, args: argparse.Namespace) -> Gates:
    """``gates`` with the thresholds given on the command line put in."""
    return gates.merged(
        max_wer=args.max_wer,
        max_back_wer=args.max_back_wer,
        max_p95_ms={**dict(args.max_p95), **({"round_trip": args.max_p95_ms} if args.max_p95_ms else {})} or None,
        max_p99_ms=dict(args.max_p99) or None,
        max_failure_rate=args.max_failure_rate,
        max_rss_mb=args.max_rss_mb,
        max_cpu_per_audio_s=args.max_cpu_per_audio_s,
        ignore=tuple(args.ignore) or None,
    )

"""``wyoming-rt validate``: a conformance run, or a load run (``--concurrency-sweep`` / ``--rate``).

Its run options are the fields of `ValidateOptions` (`wyoming_rt.run.options`); this module adds
only what belongs to the command: the servers, the corpus, the gates' flags and the outputs.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial
from pathlib import Path

from rich.console import Console

from wyoming_rt.cli import corpus_options
from wyoming_rt.cli.incomplete import write_incomplete
from wyoming_rt.cli.parser import EXIT_FAIL, EXIT_PASS, Commands, add_options
from wyoming_rt.cli.progress import RunProgress, status_lines
from wyoming_rt.corpus import load_bundled_corpus, load_corpus
from wyoming_rt.endpoint import Endpoint, parse_endpoint
from wyoming_rt.records.corpus import Corpus
from wyoming_rt.records.errors import UsageError
from wyoming_rt.records.options import GROUPS, non_negative_float, options_of, positive_float, positive_int
from wyoming_rt.report.audio_files import save_audio
from wyoming_rt.report.console import render_load_report, render_report, verdict_word
from wyoming_rt.report.html import write_html
from wyoming_rt.report.html_audio import AUDIO_CHOICES
from wyoming_rt.report.json_writer import is_stdout, write_json
from wyoming_rt.report.junit import write_junit
from wyoming_rt.report.markdown import write_markdown
from wyoming_rt.report.model import STAGES, Report
from wyoming_rt.run.config import load_config
from wyoming_rt.run.load import load_validate
from wyoming_rt.run.options import ValidateOptions
from wyoming_rt.run.validate import ValidationRun
from wyoming_rt.servers.reference import Flavour, run_reference_server, server_name, wait_all_ready


def _stage_limit(text: str) -> tuple[str, float]:
    stage, _, value = text.partition("=")
    if stage not in STAGES:
        raise argparse.ArgumentTypeError(f"unknown stage {stage!r} (stages: {', '.join(STAGES)})")
    return stage, positive_float(value)


def _levels(text: str) -> list[int]:
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected concurrency levels like 1,2,4,8, got {text!r}") from exc
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError(f"concurrency levels must be positive integers, got {text!r}")
    return levels


EXAMPLES = (
    "# your servers, the bundled corpus, the default gate (WER 0.15)",
    "wyoming-rt validate --stt 127.0.0.1:10300 --tts 127.0.0.1:10200",
    "# in CI: gates, and reports for the job",
    "wyoming-rt validate --stt localhost:10300 --tts localhost:10200 --max-wer 0.2 \\",
    "    --max-p95 round_trip=4000 --json report.json --junit junit.xml --html report.html",
    "# your own corpus (NAME.wav + NAME.txt; FLAC, OGG, MP3 too), as Home Assistant 2026.2 does it",
    "wyoming-rt validate --stt localhost:10300 --tts localhost:10200 --corpus my-corpus/ --ha-mode 2026.2",
    "# a load run: each concurrency level in turn",
    "wyoming-rt validate --stt localhost:10300 --tts localhost:10200 --concurrency-sweep 1,2,4,8",
    "# no --stt/--tts: start the reference servers (the reference extra)",
    "wyoming-rt validate",
)


def add_parser(commands: Commands) -> None:
    v = commands.add_parser(
        "validate",
        help="round-trip a corpus through an STT and a TTS server and check everything",
        description="Round-trip a corpus: STT server -> transcript -> TTS server -> audio. "
        "Without --stt/--tts, starts the reference servers itself.",
        examples=EXAMPLES,
    )
    v.add_argument(
        "--config",
        metavar="FILE",
        type=Path,
        help="gates and options from a TOML file (default: [tool.wyoming_rt] in ./pyproject.toml, if any)",
    )
    groups = {name: v.add_argument_group(name) for name in GROUPS}
    servers = groups["Servers"]
    servers.add_argument(
        "--stt", metavar="URI", help="STT server: host:port, tcp://host:port or unix:///path (default: start a reference server)"
    )
    servers.add_argument("--tts", metavar="URI", help="TTS server (default: start a reference server)")
    servers.add_argument(
        "--reference", choices=("ours", "upstream"), default="ours",
        help="which reference servers to start for a missing --stt/--tts: wyoming-rt's own (default) "
        "or the upstream wyoming-faster-whisper / wyoming-piper",
    )  # fmt: skip
    groups["Corpus"].add_argument(
        "--corpus", metavar="DIR", type=Path, help="directory of NAME.wav (.flac, .ogg, .mp3) + NAME.txt pairs (default: bundled)"
    )
    groups["Corpus"].add_argument(
        "--only", metavar="ID_GLOB", action="append", default=[],
        help="only the utterances (and speech-free clips) whose id matches, e.g. '0*' or '*_slt' (repeatable)",
    )  # fmt: skip
    groups["Corpus"].add_argument(
        "--repeat", metavar="N", type=positive_int, default=1,
        help="send each utterance N times (ids of the copies end in #2 .. #N): more samples for the latency percentiles",
    )  # fmt: skip
    gates = groups["Gates and thresholds"]
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
        "--ignore",
        metavar="RULE",
        action="append",
        default=[],
        help="report findings of RULE as ignored; they do not fail the run (repeatable)",
    )
    load = groups["Load runs"]
    load.add_argument(
        "--concurrency-sweep",
        type=_levels,
        metavar="N,N,...",
        help="load run instead of the conformance run: each concurrency level in turn (e.g. 1,2,4,8); reports throughput, "
        "P50/P95/P99, errors and crosstalk per level, and the knee",
    )
    load.add_argument(
        "--rate",
        type=positive_float,
        metavar="R",
        help="load run at a fixed arrival rate of R round trips per second (open model)",
    )
    load.add_argument(
        "--duration", type=positive_float, default=30.0, metavar="S", help="seconds of arrivals for --rate (default 30)"
    )
    outputs = groups["Outputs"]
    outputs.add_argument(
        "--json",
        metavar="PATH",
        type=Path,
        help="write the JSON report to PATH (schema wyoming-rt/report/1; -: stdout, the console report then goes to stderr)",
    )
    outputs.add_argument(
        "--junit", metavar="PATH", type=Path, help="write JUnit XML to PATH: a test case per utterance and per global check"
    )
    outputs.add_argument(
        "--html",
        metavar="PATH",
        type=Path,
        help="write one self-contained HTML page: verdict, gates, servers, latency charts, findings, a row per utterance with "
        "word diffs and its audio",
    )
    outputs.add_argument(
        "--html-audio", choices=AUDIO_CHOICES, default="all",
        help="all: the audio sent and returned, compressed, within the page's budget (default); none: no audio",
    )  # fmt: skip
    outputs.add_argument(
        "--markdown",
        metavar="PATH",
        type=Path,
        help="write a Markdown summary to PATH (appended to $GITHUB_STEP_SUMMARY whenever that is set)",
    )
    outputs.add_argument(
        "--save-audio", metavar="DIR", type=Path, help="write each returned TTS stream as a WAV, with index.json"
    )
    outputs.add_argument("--quiet", action="store_true", help="print only findings and the verdict; no progress lines")
    outputs.add_argument("--debug", action="store_true", help="show the full error chain on failure")
    add_options(groups, options_of(ValidateOptions))


def options_from(args: argparse.Namespace) -> ValidateOptions:
    """The run's options: the defaults, then the TOML file's, then the command line's."""
    config = load_config(args.config)
    given = {spec.name: getattr(args, spec.name) for spec in options_of(ValidateOptions) if spec.cli}
    gates = config.gates.merged(
        max_wer=args.max_wer,
        max_back_wer=args.max_back_wer,
        max_p95_ms={**dict(args.max_p95), **({"round_trip": args.max_p95_ms} if args.max_p95_ms else {})} or None,
        max_p99_ms=dict(args.max_p99) or None,
        max_failure_rate=args.max_failure_rate,
        ignore=tuple(args.ignore) or None,
    )
    options = config.validate_options(given, gates)
    if options.speaker and not options.voice:
        raise UsageError("--speaker needs --voice")
    return options


def _load_corpus(args: argparse.Namespace) -> Corpus:
    corpus = load_bundled_corpus() if args.corpus is None else load_corpus(args.corpus)
    return corpus_options.repeat(corpus_options.only(corpus, args.only), args.repeat)


@asynccontextmanager
async def _servers(
    stt: Endpoint | None, tts: Endpoint | None, flavour: Flavour, say: Callable[[str], None]
) -> AsyncIterator[tuple[Endpoint, Endpoint]]:
    """The endpoints to test: the given ones, or reference servers started for this run."""
    async with AsyncExitStack() as stack:
        started = []
        if stt is None or tts is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wyoming-rt-")))
            since = time.monotonic()
            if stt is None:
                say(f"starting {server_name(flavour, 'stt')} ...")
                started.append(await stack.enter_async_context(run_reference_server(flavour, "stt", work, wait=False)))
                stt = started[-1].endpoint
            if tts is None:
                say(f"starting {server_name(flavour, 'tts')} ...")
                started.append(await stack.enter_async_context(run_reference_server(flavour, "tts", work, wait=False)))
                tts = started[-1].endpoint
            await wait_all_ready(started)  # both load their models at the same time
            say(f"reference server(s) ready after {time.monotonic() - since:.0f} s")
        yield stt, tts


async def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    stt = parse_endpoint(args.stt) if args.stt else None
    tts = parse_endpoint(args.tts) if args.tts else None
    options = options_from(args)
    for warning in options.gates.percent_like():  # still run: a WER above 1 is possible
        err.print(f"wyoming-rt: warning: {warning}", highlight=False, markup=False, soft_wrap=True)
    corpus = _load_corpus(args)
    if args.concurrency_sweep or args.rate:
        return await _run_load(args, stt, tts, corpus, options, out, err)
    progress = RunProgress(err, len(corpus), quiet=args.quiet)
    async with _servers(stt, tts, args.reference, progress.line) as (stt_endpoint, tts_endpoint):
        progress.line(
            f"validating with {len(corpus)} utterances: STT {stt_endpoint} -> TTS {tts_endpoint}"
            f" (concurrency phase {options.concurrency} sessions, timeout {options.timeout_s:g} s)"
        )
        run_ = ValidationRun(stt_endpoint, tts_endpoint, corpus, options, on_result=progress.result, on_phase=progress.phase)
        with progress:
            try:
                report = await run_.execute()
            except BaseException as exc:  # Ctrl-C or a fatal error: what finished is still reported
                if _outputs_asked(args):
                    write_incomplete(run_, exc, partial(_write_outputs, args=args), progress.line)
                raise
    _write_outputs(report, args)
    out = err if is_stdout(args.json) else out  # stdout carries the JSON alone
    if args.quiet:
        for f in report.findings:
            out.print(
                f"{f.severity} {f.rule}{' [' + f.utterance + ']' if f.utterance else ''}: {f.message}",
                highlight=False,
                markup=False,
            )
        out.print(f"Verdict: {verdict_word(report)}" + (f" ({report.incomplete})" if report.incomplete else ""))
    else:
        render_report(report, out)
    return EXIT_PASS if report.passed else EXIT_FAIL


def _outputs_asked(args: argparse.Namespace) -> bool:
    return any((args.json, args.junit, args.markdown, args.html, args.save_audio, os.environ.get("GITHUB_STEP_SUMMARY")))


def _write_outputs(report: Report, args: argparse.Namespace) -> None:
    if args.json:
        write_json(report, args.json)
    if args.junit:
        write_junit(report, args.junit)
    write_markdown(report, args.markdown)  # also appends to $GITHUB_STEP_SUMMARY when it is set
    if args.html:
        write_html(report, args.html, audio=args.html_audio)
    if args.save_audio:
        save_audio(report, args.save_audio)


async def _run_load(
    args: argparse.Namespace,
    stt: Endpoint | None,
    tts: Endpoint | None,
    corpus: Corpus,
    options: ValidateOptions,
    out: Console,
    err: Console,
) -> int:
    if args.concurrency_sweep and args.rate:
        raise UsageError("use either --concurrency-sweep or --rate, not both")
    say = status_lines(err, quiet=args.quiet)
    async with _servers(stt, tts, args.reference, say) as (stt_endpoint, tts_endpoint):
        what = (
            f"arrivals at {args.rate:g}/s for {args.duration:g} s"
            if args.rate
            else f"concurrency levels {args.concurrency_sweep}"
        )
        say(f"load run over {len(corpus)} utterances: {what}")
        report = await load_validate(
            stt_endpoint,
            tts_endpoint,
            list(corpus),
            options,
            sweep=args.concurrency_sweep or (),
            rate_per_s=args.rate,
            duration_s=args.duration,
        )
    if args.json:
        write_json(report, args.json)
    render_load_report(report, err if is_stdout(args.json) else out)
    return EXIT_PASS if report.passed else EXIT_FAIL

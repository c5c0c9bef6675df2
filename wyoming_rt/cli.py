"""Command line: argument parsing and wiring only.

Exit codes: 0 every check passed; 1 a check or a threshold failed; 2 the run could not
happen (usage, a server unreachable at start, an unusable corpus); 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import anyio
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from wyoming_rt.checks.audio_quality import AudioThresholds
from wyoming_rt.corpus import load_bundled_corpus, load_corpus
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.endpoint import Endpoint, parse_endpoint
from wyoming_rt.llm_stream import DEFAULT_TOKENS_PER_S
from wyoming_rt.records.corpus import Corpus
from wyoming_rt.records.errors import ServerStartError, UsageError, WyomingRTError
from wyoming_rt.records.ha_release import HA_MODES
from wyoming_rt.records.results import RoundTripResult
from wyoming_rt.records.version import __version__
from wyoming_rt.report.audio_files import save_audio
from wyoming_rt.report.compare import Margins, compare, load_report
from wyoming_rt.report.console import render_comparison, render_load_report, render_report
from wyoming_rt.report.html import write_html
from wyoming_rt.report.json_writer import is_stdout, write_json
from wyoming_rt.report.junit import write_junit
from wyoming_rt.report.markdown import write_markdown
from wyoming_rt.report.model import STAGES
from wyoming_rt.report.rules_doc import rules_markdown
from wyoming_rt.run.gates import load_gates
from wyoming_rt.run.load import load_validate
from wyoming_rt.run.validate import ValidateOptions, validate
from wyoming_rt.servers.base import MAX_CONNECTIONS
from wyoming_rt.servers.reference import Flavour, run_reference_server, server_name, wait_all_ready

EXIT_PASS, EXIT_FAIL, EXIT_CANNOT_RUN, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors with our exit code and a one-line reason."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"wyoming-rt: error: {message}\n")
        raise SystemExit(EXIT_CANNOT_RUN)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _threshold(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError("expected NAME=VALUE")
    try:
        return name.strip(), float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from exc


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="wyoming-rt", description="Validate Wyoming STT/TTS servers the way Home Assistant uses them.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    v = commands.add_parser(
        "validate",
        help="round-trip a corpus through an STT and a TTS server and check everything",
        description="Round-trip a corpus: STT server -> transcript -> TTS server -> audio. "
        "Without --stt/--tts, starts the reference servers itself.",
    )
    v.add_argument(
        "--stt", metavar="URI", help="STT server: host:port, tcp://host:port or unix:///path (default: start a reference server)"
    )
    v.add_argument("--tts", metavar="URI", help="TTS server (default: start a reference server)")
    v.add_argument(
        "--reference", choices=("ours", "upstream"), default="ours",
        help="which reference servers to start for a missing --stt/--tts: wyoming-rt's own (default) "
        "or the upstream wyoming-faster-whisper / wyoming-piper",
    )  # fmt: skip
    v.add_argument(
        "--corpus", metavar="DIR", type=Path, help="directory of NAME.wav + NAME.txt pairs (default: the bundled corpus)"
    )
    v.add_argument(
        "--concurrency", metavar="N", type=_non_negative_int, default=4,
        help="sessions at once in the concurrency phase (default: 4; 0: no concurrency phase). Latency figures "
        "come from the latency phase, one round trip at a time",
    )  # fmt: skip
    v.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=_positive_float,
        default=30.0,
        help="watchdog for each STT or TTS request (default: 30)",
    )
    v.add_argument(
        "--config",
        metavar="FILE",
        type=Path,
        help="gates from a TOML file (default: [tool.wyoming_rt] in ./pyproject.toml, if any)",
    )
    v.add_argument(
        "--max-wer", metavar="X", type=_non_negative_float, help="fail when the normalised corpus WER is above X (default: 0.15)"
    )
    v.add_argument(
        "--max-back-wer",
        metavar="X",
        type=_non_negative_float,
        help="fail when the back WER (TTS audio transcribed back) is above X",
    )
    v.add_argument("--max-p95-ms", metavar="MS", type=_positive_float, help="fail when the round-trip P95 latency is above MS")
    v.add_argument(
        "--max-p95", metavar="STAGE=MS", type=_stage_limit, action="append", default=[],
        help=f"fail when STAGE's P95 is above MS (repeatable; stages: {', '.join(STAGES)})",
    )  # fmt: skip
    v.add_argument("--max-p99", metavar="STAGE=MS", type=_stage_limit, action="append", default=[], help="the same for P99")
    v.add_argument(
        "--max-failure-rate", metavar="X", type=_non_negative_float, help="fail when more than this share of utterances failed"
    )
    v.add_argument(
        "--ignore",
        metavar="RULE",
        action="append",
        default=[],
        help="report findings of RULE as ignored; they do not fail the run (repeatable)",
    )
    v.add_argument("--json", metavar="PATH", type=Path, help="write the JSON report to PATH (schema wyoming-rt/report/1)")
    v.add_argument(
        "--junit", metavar="PATH", type=Path, help="write JUnit XML to PATH: a test case per utterance and per global check"
    )
    v.add_argument(
        "--html",
        metavar="PATH",
        type=Path,
        help="write one self-contained HTML page: verdict, latency charts, findings, audio players",
    )
    v.add_argument(
        "--markdown",
        metavar="PATH",
        type=Path,
        help="write a Markdown summary to PATH (appended to $GITHUB_STEP_SUMMARY whenever that is set)",
    )
    v.add_argument("--language", default="en", help="language HA sends with transcribe (default: en)")
    v.add_argument("--voice", help="voice name HA sends with synthesize (default: none, the server's default)")
    v.add_argument("--speaker", help="speaker of the voice (with --voice)")
    v.add_argument(
        "--ha-mode", choices=HA_MODES, default="latest",
        help="which Home Assistant release to reproduce: 2026.11 (= latest, the default: wyoming 1.10.2, describe "
        "5 s, health checks every 30 s, error events fail requests) or 2026.2 (wyoming 1.7.2, describe 1 s, error "
        "events ignored); see docs/ha-fidelity.md",
    )  # fmt: skip
    v.add_argument(
        "--pace", choices=("burst", "realtime"), default="burst",
        help="burst: upload audio as fast as possible (default); realtime: 10 ms every 10 ms, like a microphone",
    )  # fmt: skip
    v.add_argument(
        "--endpointing", choices=("vad", "none"), default="vad",
        help="vad: end each upload where HA's assist pipeline does, 0.7 s after its voice detector (pymicro-vad) "
        "hears the end of speech (default); none: send whole clips, as HA's STT entity called directly does",
    )  # fmt: skip
    v.add_argument(
        "--tts-streaming", choices=("auto", "on", "off"), default="auto",
        help="auto: stream when the server advertises supports_synthesize_streaming, as HA does (default)",
    )  # fmt: skip
    v.add_argument(
        "--no-probes",
        action="store_true",
        help="skip the conformance probes (unknown event type, empty audio and text, extra events, describe while busy, voices)",
    )
    v.add_argument(
        "--voice-probes",
        type=int,
        default=3,
        metavar="N",
        help="try up to N voices the TTS server advertises (default 3; 0: none)",
    )
    v.add_argument(
        "--no-long-text", action="store_true",
        help="skip the long-text probe (several paragraphs: complete, within the watchdog, without long breaks)",
    )  # fmt: skip
    v.add_argument(
        "--llm-rate", type=float, default=DEFAULT_TOKENS_PER_S, metavar="TOKENS_PER_S",
        help=f"stream the LLM-answer probe at this many tokens a second, as HA streams an LLM's answer into a "
        f"streaming TTS server (default {DEFAULT_TOKENS_PER_S:g}; 0: no LLM probe)",
    )  # fmt: skip
    v.add_argument(
        "--concurrency-sweep",
        type=_levels,
        metavar="N,N,...",
        help="load run instead of the conformance run: each concurrency level in turn (e.g. 1,2,4,8); reports throughput, "
        "P50/P95/P99, errors and crosstalk per level, and the knee",
    )
    v.add_argument(
        "--rate",
        type=_positive_float,
        metavar="R",
        help="load run at a fixed arrival rate of R round trips per second (open model)",
    )
    v.add_argument(
        "--duration", type=_positive_float, default=30.0, metavar="S", help="seconds of arrivals for --rate (default 30)"
    )
    v.add_argument(
        "--no-negatives", action="store_true", help="do not send the corpus's speech-free clips (negative/) to the STT server"
    )
    v.add_argument("--no-back-wer", action="store_true", help="do not transcribe the TTS audio back with the STT server")
    v.add_argument(
        "--audio-threshold", metavar="NAME=VALUE", action="append", default=[], type=_threshold,
        help="change an audio check threshold, e.g. clipped_ratio_max=0.01 (repeatable; see docs/checks.md)",
    )  # fmt: skip
    v.add_argument("--save-audio", metavar="DIR", type=Path, help="write each returned TTS stream as a WAV, with index.json")
    v.add_argument("--quiet", action="store_true", help="print only findings and the verdict")
    v.add_argument("--debug", action="store_true", help="show the full error chain on failure")

    cmp = commands.add_parser(
        "compare",
        help="compare a new JSON report with a baseline; exit 1 on a regression",
        description="What got worse or better between two validate --json reports. Exit 1 when a figure regressed "
        "beyond its margin or the new run breaks an error rule the baseline did not.",
    )
    cmp.add_argument("base", type=Path, metavar="BASE.json")
    cmp.add_argument("new", type=Path, metavar="NEW.json")
    cmp.add_argument(
        "--max-regression", type=_non_negative_float, default=0.10, metavar="FRACTION",
        help="relative latency increase allowed per percentile (default 0.10 = 10 %%; changes under 20 ms never count)",
    )  # fmt: skip
    cmp.add_argument(
        "--max-wer-increase",
        type=_non_negative_float,
        default=0.01,
        metavar="X",
        help="absolute WER increase allowed (default 0.01)",
    )
    cmp.add_argument("--json", type=Path, metavar="PATH", help="write the comparison as JSON")
    wait = commands.add_parser(
        "wait",
        help="wait until Wyoming servers answer describe (for CI, after starting a server)",
        description="Poll each URI with describe until it answers with info; exit 0 when all do, 2 on timeout.",
    )
    wait.add_argument("uris", nargs="+", metavar="URI")
    wait.add_argument(
        "--timeout", type=_positive_float, default=120.0, metavar="SECONDS", help="give up after this long (default 120)"
    )
    wait.add_argument("--debug", action="store_true", help="full error chains")
    commands.add_parser("rules", help="print every rule a finding can name, as Markdown (docs/rules.md)")

    serve = commands.add_parser("serve", help="run a reference Wyoming server (faster-whisper STT or Piper TTS)")
    roles = serve.add_subparsers(dest="role", required=True, parser_class=_Parser)
    stt = roles.add_parser("stt", help="speech-to-text on faster-whisper")
    stt.add_argument(
        "--uri", default="tcp://127.0.0.1:10300", help="where to listen (default: tcp://127.0.0.1:10300, loopback only)"
    )
    stt.add_argument("--model", help="'tiny.en' (packaged, default) or a local CTranslate2 model directory")
    stt.add_argument("--beam-size", type=_positive_int, default=3, help="beam size (default: 3)")
    stt.add_argument("--compute-type", default="int8", help="CTranslate2 compute type (default: int8)")
    stt.add_argument("--cpu-threads", type=int, default=0, help="threads per transcription (default: one per core)")
    stt.add_argument("--workers", type=_positive_int, default=1, help="transcriptions at once (default: 1)")
    tts = roles.add_parser("tts", help="text-to-speech on Piper")
    tts.add_argument(
        "--uri", default="tcp://127.0.0.1:10200", help="where to listen (default: tcp://127.0.0.1:10200, loopback only)"
    )
    tts.add_argument("--voice", help="'en_US-joe-medium' (packaged, default) or a local .onnx voice (with its .onnx.json)")
    tts.add_argument("--workers", type=_positive_int, default=1, help="syntheses at once (default: 1)")
    tts.add_argument(
        "--first-segment-phonemes", type=int, default=18,
        help="cut the first sentence after about this many phonemes for a faster first audio (0: never; default: 18)",
    )  # fmt: skip
    null = roles.add_parser(
        "null", help="instant STT and TTS with no speech work, to measure a client (answers name their request)"
    )
    null.add_argument(
        "--uri", default="tcp://127.0.0.1:10400", help="where to listen (default: tcp://127.0.0.1:10400, loopback only)"
    )
    null.add_argument("--reply-seconds", type=float, default=3.0, help="seconds of (silent) audio per TTS answer (default: 3)")
    for p in (stt, tts):
        p.add_argument(
            "--max-connections", type=_positive_int, default=MAX_CONNECTIONS,
            help=f"connections served at once; one more is answered 'busy' and closed (default: {MAX_CONNECTIONS})",
        )  # fmt: skip
    for p in (stt, tts, null):
        p.add_argument("--debug", action="store_true", help="debug logging and full error chains")
    return parser


def _status(err: Console, line: str) -> None:
    """Progress for a person at a terminal; stderr stays a single error line in CI and scripts."""
    if err.is_terminal:
        err.print(line, highlight=False, soft_wrap=True, markup=False)


def _load_corpus(path: Path | None) -> Corpus:
    return load_bundled_corpus() if path is None else load_corpus(path)


@asynccontextmanager
async def _servers(
    stt: Endpoint | None, tts: Endpoint | None, flavour: Flavour, err: Console
) -> AsyncIterator[tuple[Endpoint, Endpoint]]:
    """The endpoints to test: the given ones, or reference servers started for this run."""
    async with AsyncExitStack() as stack:
        started = []
        if stt is None or tts is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wyoming-rt-")))
            if stt is None:
                _status(err, f"starting {server_name(flavour, 'stt')} ...")
                started.append(await stack.enter_async_context(run_reference_server(flavour, "stt", work, wait=False)))
                stt = started[-1].endpoint
            if tts is None:
                _status(err, f"starting {server_name(flavour, 'tts')} ...")
                started.append(await stack.enter_async_context(run_reference_server(flavour, "tts", work, wait=False)))
                tts = started[-1].endpoint
            await wait_all_ready(started)  # both load their models at the same time
        yield stt, tts


async def _run_validate(args: argparse.Namespace, out: Console, err: Console) -> int:
    stt = parse_endpoint(args.stt) if args.stt else None
    tts = parse_endpoint(args.tts) if args.tts else None
    if args.speaker and not args.voice:
        raise UsageError("--speaker needs --voice")
    try:
        thresholds = AudioThresholds().with_overrides(dict(args.audio_threshold))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    corpus = _load_corpus(args.corpus)
    options = ValidateOptions(
        concurrency=args.concurrency,
        timeout_s=args.timeout,
        language=args.language,
        voice=args.voice,
        speaker=args.speaker,
        tts_streaming={"auto": None, "on": True, "off": False}[args.tts_streaming],
        gates=load_gates(args.config).merged(
            max_wer=args.max_wer,
            max_back_wer=args.max_back_wer,
            max_p95_ms={**dict(args.max_p95), **({"round_trip": args.max_p95_ms} if args.max_p95_ms else {})} or None,
            max_p99_ms=dict(args.max_p99) or None,
            max_failure_rate=args.max_failure_rate,
            ignore=tuple(args.ignore) or None,
        ),
        back_transcribe=not args.no_back_wer,
        negatives=not args.no_negatives,
        probes=not args.no_probes,
        voice_probes=max(0, args.voice_probes),
        long_text=not args.no_long_text,
        llm_tokens_per_s=max(0.0, args.llm_rate),
        ha_mode=args.ha_mode,
        pace=args.pace,
        endpointing=args.endpointing,
        audio_thresholds=thresholds,
    )
    if args.concurrency_sweep or args.rate:
        return await _run_load(args, stt, tts, corpus, options, out, err)
    failed = 0
    # A live progress bar for a person at a terminal; nothing at all in CI logs and pipes.
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[failed]} failed"),
        TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal,
    )  # fmt: skip
    task = bar.add_task("round trips", total=len(corpus), failed=0)

    def progress(result: RoundTripResult) -> None:
        nonlocal failed
        failed += result.round_trip_s is None
        bar.update(task, advance=1, failed=failed)

    async with _servers(stt, tts, args.reference, err) as (stt_endpoint, tts_endpoint):
        _status(
            err,
            f"validating with {len(corpus)} utterances: STT {stt_endpoint} -> TTS {tts_endpoint}"
            f" (concurrency phase {args.concurrency} sessions, timeout {args.timeout:g} s)",
        )
        with bar:
            report = await validate(
                stt_endpoint,
                tts_endpoint,
                corpus,
                options,
                on_result=progress,
                on_phase=lambda name: _status(err, f"phase: {name}"),
            )
    if args.json:
        write_json(report, args.json)
    if args.junit:
        write_junit(report, args.junit)
    write_markdown(report, args.markdown)  # also appends to $GITHUB_STEP_SUMMARY when it is set
    if args.html:
        write_html(report, args.html)
    if args.save_audio:
        save_audio(report, args.save_audio)
    out = err if is_stdout(args.json) else out  # stdout carries the JSON alone
    if args.quiet:
        for f in report.findings:
            out.print(
                f"{f.severity} {f.rule}{' [' + f.utterance + ']' if f.utterance else ''}: {f.message}",
                highlight=False,
                markup=False,
            )
        out.print("Verdict: PASS" if report.passed else "Verdict: FAIL")
    else:
        render_report(report, out)
    return EXIT_PASS if report.passed else EXIT_FAIL


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
    async with _servers(stt, tts, args.reference, err) as (stt_endpoint, tts_endpoint):
        what = (
            f"arrivals at {args.rate:g}/s for {args.duration:g} s"
            if args.rate
            else f"concurrency levels {args.concurrency_sweep}"
        )
        _status(err, f"load run over {len(corpus)} utterances: {what}")
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


async def _run_serve(args: argparse.Namespace, out: Console, err: Console) -> int:
    endpoint = parse_endpoint(args.uri)
    if args.role == "null":
        from wyoming_rt.servers.null import run_null_server

        async with run_null_server(endpoint, reply_seconds=args.reply_seconds) as bound:
            _status(err, f"null server listening on {bound.uri}")
            await anyio.sleep_forever()
    if args.role == "stt":
        from wyoming_rt.servers.stt import SttSettings, serve_stt

        settings = SttSettings(
            model=args.model, beam_size=args.beam_size, compute_type=args.compute_type,
            cpu_threads=args.cpu_threads, workers=args.workers,
        )  # fmt: skip
        await serve_stt(endpoint, settings, max_connections=args.max_connections)
    else:
        from wyoming_rt.servers.tts import TtsSettings, serve_tts

        voice = TtsSettings(voice=args.voice, workers=args.workers, first_segment_phonemes=args.first_segment_phonemes)
        await serve_tts(endpoint, voice, max_connections=args.max_connections)
    return EXIT_PASS


def _stage_limit(text: str) -> tuple[str, float]:
    stage, _, value = text.partition("=")
    if stage not in STAGES:
        raise argparse.ArgumentTypeError(f"unknown stage {stage!r} (stages: {', '.join(STAGES)})")
    return stage, _positive_float(value)


def _levels(text: str) -> list[int]:
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected concurrency levels like 1,2,4,8, got {text!r}") from exc
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError(f"concurrency levels must be positive integers, got {text!r}")
    return levels


def _leaf(exc: BaseException) -> BaseException:
    """The first real exception inside (nested) exception groups."""
    while isinstance(getattr(exc, "exceptions", None), (list, tuple)) and exc.exceptions:  # type: ignore[attr-defined]
        exc = exc.exceptions[0]  # type: ignore[attr-defined]
    return exc


async def _run_wait(args: argparse.Namespace, out: Console, err: Console) -> int:
    endpoints = [parse_endpoint(uri) for uri in args.uris]
    emulator = HAEmulator(EmulatorConfig(describe_attempts=1, connect_timeout_s=2.0))
    deadline = anyio.current_time() + args.timeout
    for endpoint in endpoints:
        while True:
            try:
                described = await emulator.describe(endpoint)
                break
            except WyomingRTError as exc:
                if anyio.current_time() >= deadline:
                    raise ServerStartError(f"{endpoint} did not answer describe within {args.timeout:g} s: {exc}") from exc
                await anyio.sleep(0.5)
        kinds = [kind for kind in ("asr", "tts") if described.info_data.get(kind)]
        out.print(f"{endpoint.uri} is up ({', '.join(kinds) or 'no asr/tts'}; describe {described.latency_s * 1000:.0f} ms)")
    return EXIT_PASS


def _run_compare(args: argparse.Namespace, out: Console) -> int:
    comparison = compare(
        load_report(args.base), load_report(args.new), Margins(wer=args.max_wer_increase, latency=args.max_regression)
    )
    if args.json:
        write_json(comparison, args.json)
    render_comparison(comparison, Console(stderr=True, highlight=False) if is_stdout(args.json) else out)
    return EXIT_FAIL if comparison.regressed else EXIT_PASS


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    out = Console(highlight=False)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out.width = 120  # CI logs: wide enough for the table, still readable
    err = Console(stderr=True, highlight=False)
    if args.command == "rules":
        sys.stdout.write(rules_markdown())
        return EXIT_PASS
    if args.command == "compare":
        try:
            return _run_compare(args, out)
        except WyomingRTError as exc:
            sys.stderr.write(f"wyoming-rt: error: {exc}\n")
            return EXIT_CANNOT_RUN
    command = {"validate": _run_validate, "serve": _run_serve, "wait": _run_wait}[args.command]
    if args.command == "serve":
        logging.basicConfig(
            level=logging.DEBUG if args.debug else logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
    try:
        return anyio.run(command, args, out, err)
    except KeyboardInterrupt:
        err.print("wyoming-rt: interrupted", highlight=False)
        return EXIT_INTERRUPTED
    except BaseException as exc:  # one line for users; the chain with --debug
        leaf = _leaf(exc)
        if isinstance(leaf, KeyboardInterrupt):
            err.print("wyoming-rt: interrupted", highlight=False)
            return EXIT_INTERRUPTED
        if isinstance(leaf, SystemExit):
            raise leaf from None
        if args.debug:
            err.print_exception(show_locals=False)
        prefix = "error" if isinstance(leaf, WyomingRTError) else f"internal error ({type(leaf).__name__})"
        message = str(leaf).strip().splitlines()[0] if str(leaf).strip() else type(leaf).__name__
        sys.stderr.write(f"wyoming-rt: {prefix}: {message}\n")
        return EXIT_CANNOT_RUN

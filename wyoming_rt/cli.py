"""Command line: argument parsing and wiring only.

Exit codes: 0 every check passed; 1 a check or a threshold failed; 2 the run could not
happen (usage, a server unreachable at start, an unusable corpus); 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import anyio
from rich.console import Console

from . import __version__
from .corpus import Corpus, load_bundled_corpus, load_corpus
from .endpoint import Endpoint, parse_endpoint
from .errors import UsageError, WyomingRTError
from .gates import Gates
from .report.console import render_report
from .report.json_writer import write_json
from .roundtrip import RoundTripResult
from .validation import ValidateOptions, validate

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


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="wyoming-rt", description="Validate Wyoming STT/TTS servers the way Home Assistant uses them.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    v = commands.add_parser(
        "validate",
        help="round-trip a corpus through an STT and a TTS server and check everything",
        description="Round-trip a corpus: STT server -> transcript -> TTS server -> audio. "
        "Without --stt/--tts, starts the upstream reference servers itself.",
    )
    v.add_argument("--stt", metavar="URI", help="STT server: host:port, tcp://host:port or unix:///path (default: start wyoming-faster-whisper)")
    v.add_argument("--tts", metavar="URI", help="TTS server (default: start wyoming-piper)")
    v.add_argument("--corpus", metavar="DIR", type=Path, help="directory of NAME.wav + NAME.txt pairs (default: the bundled corpus)")
    v.add_argument("--concurrency", metavar="N", type=_positive_int, default=4, help="round trips at once (default: 4)")
    v.add_argument("--timeout", metavar="SECONDS", type=_positive_float, default=30.0, help="watchdog for each STT or TTS request (default: 30)")
    v.add_argument("--max-wer", metavar="X", type=_non_negative_float, default=0.15, help="fail when the normalised corpus WER is above X (default: 0.15)")
    v.add_argument("--max-p95-ms", metavar="MS", type=_positive_float, help="fail when the round-trip P95 latency is above MS")
    v.add_argument("--json", metavar="PATH", type=Path, help="write the JSON report to PATH")
    v.add_argument("--language", default="en", help="language HA sends with transcribe (default: en)")
    v.add_argument("--voice", help="voice name HA sends with synthesize (default: none, the server's default)")
    v.add_argument("--speaker", help="speaker of the voice (with --voice)")
    v.add_argument(
        "--tts-streaming", choices=("auto", "on", "off"), default="auto",
        help="auto: stream when the server advertises supports_synthesize_streaming, as HA does (default)",
    )  # fmt: skip
    v.add_argument("--quiet", action="store_true", help="print only findings and the verdict")
    v.add_argument("--debug", action="store_true", help="show the full error chain on failure")
    return parser


def _status(err: Console, line: str) -> None:
    """Progress for a person at a terminal; stderr stays a single error line in CI and scripts."""
    if err.is_terminal:
        err.print(line, highlight=False, soft_wrap=True)


def _load_corpus(path: Path | None) -> Corpus:
    return load_bundled_corpus() if path is None else load_corpus(path)


@asynccontextmanager
async def _servers(stt: Endpoint | None, tts: Endpoint | None, err: Console) -> AsyncIterator[tuple[Endpoint, Endpoint]]:
    """The endpoints to test: the given ones, or the upstream servers started for this run."""
    async with AsyncExitStack() as stack:
        if stt is None or tts is None:
            from .servers import upstream

            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wyoming-rt-")))
            if stt is None:
                _status(err, "starting wyoming-faster-whisper (tiny.en) ...")
                stt = (await stack.enter_async_context(upstream.run_upstream_stt(work))).endpoint
            if tts is None:
                _status(err, "starting wyoming-piper (en_US-joe-medium) ...")
                tts = (await stack.enter_async_context(upstream.run_upstream_tts(work))).endpoint
        yield stt, tts


async def _run_validate(args: argparse.Namespace, out: Console, err: Console) -> int:
    stt = parse_endpoint(args.stt) if args.stt else None
    tts = parse_endpoint(args.tts) if args.tts else None
    if args.speaker and not args.voice:
        raise UsageError("--speaker needs --voice")
    corpus = _load_corpus(args.corpus)
    options = ValidateOptions(
        concurrency=args.concurrency,
        timeout_s=args.timeout,
        language=args.language,
        voice=args.voice,
        speaker=args.speaker,
        tts_streaming={"auto": None, "on": True, "off": False}[args.tts_streaming],
        gates=Gates(max_wer=args.max_wer, max_p95_ms=args.max_p95_ms),
    )
    done = 0

    def progress(result: RoundTripResult) -> None:
        nonlocal done
        done += 1
        state = "ok" if result.round_trip_s is not None else "failed"
        _status(err, f"  [{done}/{len(corpus)}] {result.utterance.id}: {state}")

    async with _servers(stt, tts, err) as (stt_endpoint, tts_endpoint):
        _status(
            err,
            f"round-tripping {len(corpus)} utterances: STT {stt_endpoint} -> TTS {tts_endpoint}"
            f" (concurrency {args.concurrency}, timeout {args.timeout:g} s)",
        )
        report = await validate(stt_endpoint, tts_endpoint, corpus, options, on_result=progress)
    if args.json:
        write_json(report, args.json)
    if args.quiet:
        for f in report.findings:
            out.print(f"{f.severity} {f.rule}{' [' + f.utterance + ']' if f.utterance else ''}: {f.message}", highlight=False)
        out.print("Verdict: PASS" if report.passed else "Verdict: FAIL")
    else:
        render_report(report, out)
    return EXIT_PASS if report.passed else EXIT_FAIL


def _leaf(exc: BaseException) -> BaseException:
    """The first real exception inside (nested) exception groups."""
    while isinstance(getattr(exc, "exceptions", None), (list, tuple)) and exc.exceptions:  # type: ignore[attr-defined]
        exc = exc.exceptions[0]  # type: ignore[attr-defined]
    return exc


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    out = Console(highlight=False)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out.width = 120  # CI logs: wide enough for the table, still readable
    err = Console(stderr=True, highlight=False)
    try:
        return anyio.run(_run_validate, args, out, err)
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

"""Running ``wyoming-rt validate`` (its parser: `wyoming_rt.cli.validate`): the options from
the command line and the TOML file, the corpus, the servers to test, the run, and its outputs.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path

from rich.console import Console

from wyoming_rt.cli import corpus_options
from wyoming_rt.cli.gate_options import gates_from_args
from wyoming_rt.cli.incomplete import write_incomplete
from wyoming_rt.cli.parser import EXIT_FAIL, EXIT_PASS
from wyoming_rt.cli.progress import RunProgress, status_lines
from wyoming_rt.corpus import load_named_corpus
from wyoming_rt.endpoint import Endpoint, parse_endpoint
from wyoming_rt.records.corpus import Corpus
from wyoming_rt.records.errors import UsageError
from wyoming_rt.records.options import options_of
from wyoming_rt.records.shard import shard_corpus
from wyoming_rt.report.audio_files import save_audio
from wyoming_rt.report.console import render_load_report, render_quiet, render_report
from wyoming_rt.report.html import write_html
from wyoming_rt.report.json_writer import is_stdout, write_json
from wyoming_rt.report.junit import write_junit
from wyoming_rt.report.markdown import write_markdown
from wyoming_rt.report.model import Report
from wyoming_rt.run.config import load_config
from wyoming_rt.run.load import RunnerFactory, load_validate, local_runner
from wyoming_rt.run.options import ValidateOptions
from wyoming_rt.run.validate import ValidationRun
from wyoming_rt.servers.reference import Flavour, run_reference_server, server_name, wait_all_ready


def options_from(args: argparse.Namespace) -> ValidateOptions:
    """The run's options: the defaults, then the TOML file's, then the command line's."""
    config = load_config(args.config)
    given = {spec.name: getattr(args, spec.name) for spec in options_of(ValidateOptions) if spec.cli}
    gates = gates_from_args(config.gates, args)
    options = config.validate_options(given, gates)
    if options.speaker and not options.voice:
        raise UsageError("--speaker needs --voice")
    return options


def _load_corpus(args: argparse.Namespace, language: str | None) -> Corpus:
    corpus = load_named_corpus(args.corpus, language)
    return corpus_options.repeat(corpus_options.only(corpus, args.only), args.repeat)


@asynccontextmanager
async def _servers(
    stt: Endpoint | None, tts: Endpoint | None, flavour: Flavour, say: Callable[[str], None], language: str | None
) -> AsyncIterator[tuple[Endpoint, Endpoint, dict[str, int]]]:
    """The endpoints to test: the given ones, or reference servers started for this run (and
    the processes of those, by role); a reference STT server for ``language``."""
    async with AsyncExitStack() as stack:
        started = []
        pids: dict[str, int] = {}
        if stt is None or tts is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wyoming-rt-")))
            since = time.monotonic()
            if stt is None:
                say(f"starting {server_name(flavour, 'stt', language)} ...")
                started.append(
                    await stack.enter_async_context(run_reference_server(flavour, "stt", work, wait=False, language=language))
                )
                stt, pids["stt"] = started[-1].endpoint, started[-1].process.pid
            if tts is None:
                say(f"starting {server_name(flavour, 'tts')} ...")
                started.append(await stack.enter_async_context(run_reference_server(flavour, "tts", work, wait=False)))
                tts, pids["tts"] = started[-1].endpoint, started[-1].process.pid
            await wait_all_ready(started)  # both load their models at the same time
            say(f"reference server(s) ready after {time.monotonic() - since:.0f} s")
        yield stt, tts, pids


def _with_started(options: ValidateOptions, pids: dict[str, int]) -> ValidateOptions:
    """The started servers' processes are the ones whose CPU and memory the run samples."""
    return replace(
        options, stt_pid=pids.get("stt", options.stt_pid), tts_pid=pids.get("tts", options.tts_pid),
        started_pids=tuple(pids.values()),
    )  # fmt: skip


async def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    stt = parse_endpoint(args.stt) if args.stt else None
    tts = parse_endpoint(args.tts) if args.tts else None
    options = options_from(args)
    for warning in options.gates.percent_like():  # still run: a WER above 1 is possible
        err.print(f"wyoming-rt: warning: {warning}", highlight=False, markup=False, soft_wrap=True)
    if (args.ray or args.ray_actors) and not (args.concurrency_sweep or args.rate):
        raise UsageError("--ray and --ray-actors are for load runs: add --concurrency-sweep or --rate")
    if args.ray_actors and not args.ray:
        raise UsageError("--ray-actors needs --ray ADDRESS (or --ray local)")
    corpus = _load_corpus(args, options.language)
    options = options.for_corpus(corpus)
    if args.concurrency_sweep or args.rate:
        if options.shard is not None:
            raise UsageError("--shard splits a conformance run's corpus; a load run takes the whole corpus")
        return await _run_load(args, stt, tts, corpus, options, out, err)
    sent = corpus if options.shard is None else shard_corpus(corpus, options.shard).corpus
    progress = RunProgress(err, len(sent), quiet=args.quiet)
    async with _servers(stt, tts, args.reference, progress.line, options.language) as (stt_endpoint, tts_endpoint, pids):
        options = _with_started(options, pids)
        progress.line(
            f"validating with {len(sent)} utterances{_of_shard(options, corpus)}: STT {stt_endpoint} -> TTS {tts_endpoint}"
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
        render_quiet(report, out)
    else:
        render_report(report, out)
    return EXIT_PASS if report.passed else EXIT_FAIL


def _of_shard(options: ValidateOptions, corpus: Corpus) -> str:
    return "" if options.shard is None else f" (shard {options.shard} of a corpus of {len(corpus)})"


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
    runner = _load_runner(args)
    say = status_lines(err, quiet=args.quiet)
    async with _servers(stt, tts, args.reference, say, options.language) as (stt_endpoint, tts_endpoint, pids):
        options = _with_started(options, pids)
        what = (
            f"arrivals at {args.rate:g}/s for {args.duration:g} s"
            if args.rate
            else f"concurrency levels {args.concurrency_sweep}"
        )
        where = f" on Ray ({args.ray})" if args.ray else ""
        say(f"load run over {len(corpus)} utterances{where}: {what}")
        report = await load_validate(
            stt_endpoint,
            tts_endpoint,
            list(corpus),
            options,
            sweep=args.concurrency_sweep or (),
            rate_per_s=args.rate,
            duration_s=args.duration,
            runner=runner,
        )
    if args.json:
        write_json(report, args.json)
    render_load_report(report, err if is_stdout(args.json) else out)
    return EXIT_PASS if report.passed else EXIT_FAIL


def _load_runner(args: argparse.Namespace) -> RunnerFactory:
    """This process, or Ray actors for ``--ray`` (whose module, and Ray, load only then)."""
    if not args.ray:
        return local_runner
    from wyoming_rt.run import ray_load

    ray_load.import_ray()  # a missing extra is a one-line error before any server starts
    return ray_load.ray_runner(ray_load.RaySettings(args.ray, args.ray_actors))

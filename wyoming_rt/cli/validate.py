"""``wyoming-rt validate``: a conformance run, or a load run (``--concurrency-sweep`` / ``--rate``).

Its run options are the fields of `ValidateOptions` (`wyoming_rt.run.options`); this module adds
only what belongs to the command: the servers, the corpus, the gates' flags and the outputs.
The parser only: the command runs in `wyoming_rt.cli.validate_run`, imported once the command
line is parsed, so that ``--help`` and a usage error load neither numpy nor the report nor the run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from wyoming_rt.cli.gate_options import add_gate_arguments
from wyoming_rt.cli.parser import Commands, add_options
from wyoming_rt.records.options import GROUPS, options_of, positive_float, positive_int
from wyoming_rt.records.report_choices import AUDIO_CHOICES
from wyoming_rt.run.options import ValidateOptions


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
        "--corpus", metavar="DIR|bundled[:LANG]",
        help="directory of NAME.wav (.flac, .ogg, .mp3) + NAME.txt pairs, with an optional corpus.json naming its "
        "language; or a bundled corpus: bundled:de, bundled:zh, ... (default: the bundled one in --language)",
    )  # fmt: skip
    groups["Corpus"].add_argument(
        "--only", metavar="ID_GLOB", action="append", default=[],
        help="only the utterances (and speech-free clips) whose id matches, e.g. '0*' or '*_slt' (repeatable)",
    )  # fmt: skip
    groups["Corpus"].add_argument(
        "--repeat", metavar="N", type=positive_int, default=1,
        help="send each utterance N times (ids of the copies end in #2 .. #N): more samples for the latency percentiles",
    )  # fmt: skip
    add_gate_arguments(groups["Gates and thresholds"])
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
    load.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="run the load generators as Ray actors spread over a cluster's nodes (the ray extra): a cluster's address "
        "for ray.init, or 'local' to start one on this machine for the run (docs/distributed-load.md)",
    )
    load.add_argument(
        "--ray-actors", type=positive_int, metavar="N", help="load generators on Ray (default: one per CPU of the cluster)"
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

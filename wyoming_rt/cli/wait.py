"""``wyoming-rt wait``: poll servers with ``describe`` until every one answers (for CI)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from wyoming_rt.cli.parser import EXIT_PASS, Commands
from wyoming_rt.records.errors import ServerStartError, WyomingRTError
from wyoming_rt.records.options import positive_float

if TYPE_CHECKING:
    from rich.console import Console


def add_parser(commands: Commands) -> None:
    wait = commands.add_parser(
        "wait",
        help="wait until Wyoming servers answer describe (for CI, after starting a server)",
        description="Poll each URI with describe until it answers with info; exit 0 when all do, 2 on timeout.",
    )
    wait.add_argument("uris", nargs="+", metavar="URI")
    wait.add_argument(
        "--timeout", type=positive_float, default=120.0, metavar="SECONDS", help="give up after this long (default 120)"
    )
    wait.add_argument("--debug", action="store_true", help="full error chains")


async def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    # the emulator (numpy, wyoming) and anyio load when the command runs, not when the parser is built for --help
    import anyio

    from wyoming_rt.emulator import EmulatorConfig, HAEmulator
    from wyoming_rt.endpoint import parse_endpoint

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

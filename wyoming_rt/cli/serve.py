"""``wyoming-rt serve stt|tts|null``: a reference Wyoming server in the foreground."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from wyoming_rt.cli.parser import EXIT_PASS, Commands, Parser, status
from wyoming_rt.records.options import non_negative_float, non_negative_int, positive_int
from wyoming_rt.records.server_limits import MAX_CONNECTIONS

if TYPE_CHECKING:
    from rich.console import Console


def add_parser(commands: Commands) -> None:
    serve = commands.add_parser(
        "serve",
        help="run a reference Wyoming server (faster-whisper STT or Piper TTS)",
        description="Run a Wyoming server in the foreground until interrupted: the reference STT (faster-whisper) or "
        "TTS (Piper) that validate starts when --stt/--tts is missing (they need the reference extra), or the null "
        "server, which answers at once with no speech work.",
    )
    roles = serve.add_subparsers(dest="role", required=True, parser_class=Parser)
    stt = roles.add_parser(
        "stt",
        help="speech-to-text on faster-whisper",
        description="A Wyoming STT server on faster-whisper (tiny.en by default, packaged: no download). It listens "
        "while the audio arrives and decodes as soon as the speech stops, so the transcript is ready at audio-stop.",
    )
    stt.add_argument(
        "--uri", default="tcp://127.0.0.1:10300", help="where to listen (default: tcp://127.0.0.1:10300, loopback only)"
    )
    stt.add_argument(
        "--model",
        help="'tiny.en' (packaged, default), 'base' (OpenAI's multilingual Whisper base, packaged in the multilingual "
        "extra: every language Whisper knows) or a local CTranslate2 model directory",
    )
    stt.add_argument("--beam-size", type=positive_int, default=3, help="beam size (default: 3)")
    stt.add_argument("--compute-type", default="int8", help="CTranslate2 compute type (default: int8)")
    stt.add_argument("--cpu-threads", type=non_negative_int, default=0, help="threads per transcription (default: one per core)")
    stt.add_argument("--workers", type=positive_int, default=1, help="transcriptions at once (default: 1)")
    stt.add_argument(
        "--endpointing", choices=("ha", "server"), default="ha",
        help="ha: the client ends the upload (requires_external_vad, default); server: the server hears the end of "
        "the command itself (HA's voice detector) and sends the transcript before audio-stop",
    )  # fmt: skip
    stt.add_argument(
        "--no-speculation", dest="speculation", action="store_false",
        help="decode only at audio-stop (default: decode as soon as the speech stops, and answer with it at "
        "audio-stop when only silence followed)",
    )  # fmt: skip
    stt.add_argument(
        "--streaming-transcripts", action="store_true",
        help="send transcript-start and transcript-chunks of the words two decodes agree on while the user speaks",
    )  # fmt: skip
    tts = roles.add_parser(
        "tts",
        help="text-to-speech on Piper",
        description="A Wyoming TTS server on Piper (en_US-joe-medium by default, packaged: no download); text is "
        "spoken in pieces cut at clause boundaries, so streamed text (an LLM's answer) is spoken while it arrives.",
    )
    tts.add_argument(
        "--uri", default="tcp://127.0.0.1:10200", help="where to listen (default: tcp://127.0.0.1:10200, loopback only)"
    )
    tts.add_argument("--voice", help="'en_US-joe-medium' (packaged, default) or a local .onnx voice (with its .onnx.json)")
    tts.add_argument("--workers", type=positive_int, default=1, help="syntheses at once (default: 1)")
    tts.add_argument(
        "--first-piece-words", type=non_negative_int, default=8,
        help="the first audio starts at the first clause boundary after 4 words, or, with none, after this many "
        "words (0: like later pieces; default: 8)",
    )  # fmt: skip
    tts.add_argument(
        "--max-piece-words", type=positive_int, default=20,
        help="later pieces also end at clause boundaries, or, with none, after this many words (default: 20)",
    )  # fmt: skip
    null = roles.add_parser(
        "null",
        help="instant STT and TTS with no speech work, to measure a client (answers name their request)",
        description="One server for STT and TTS that does no speech work: the transcript and the (silent) audio "
        "name the request they answer, so a client's own overhead and any crosstalk can be measured.",
    )
    null.add_argument(
        "--uri", default="tcp://127.0.0.1:10400", help="where to listen (default: tcp://127.0.0.1:10400, loopback only)"
    )
    null.add_argument(
        "--reply-seconds", type=non_negative_float, default=3.0, help="seconds of (silent) audio per TTS answer (default: 3)"
    )
    for p in (stt, tts):
        p.add_argument(
            "--max-connections", type=positive_int, default=MAX_CONNECTIONS,
            help=f"connections served at once; one more is answered 'busy' and closed (default: {MAX_CONNECTIONS})",
        )  # fmt: skip
    for p in (stt, tts, null):
        p.add_argument("--debug", action="store_true", help="debug logging and full error chains")


def configure_logging(debug: bool) -> None:
    """The servers log to stderr: INFO, or DEBUG with ``--debug``."""
    import logging  # here, not at the top: only a server logs, and --help need not load it

    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


async def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    # anyio and the servers load when the command runs, not when the parser is built for --help
    import anyio

    from wyoming_rt.endpoint import parse_endpoint

    endpoint = parse_endpoint(args.uri)
    if args.role == "null":
        from wyoming_rt.servers.null import run_null_server

        async with run_null_server(endpoint, reply_seconds=args.reply_seconds) as bound:
            status(err, f"null server listening on {bound.uri}")
            await anyio.sleep_forever()
    if args.role == "stt":
        from wyoming_rt.servers.stt import SttSettings, serve_stt

        settings = SttSettings(
            model=args.model, beam_size=args.beam_size, compute_type=args.compute_type,
            cpu_threads=args.cpu_threads, workers=args.workers, endpointing=args.endpointing,
            speculation=args.speculation, streaming_transcripts=args.streaming_transcripts,
        )  # fmt: skip
        await serve_stt(endpoint, settings, max_connections=args.max_connections)
    else:
        from wyoming_rt.servers.tts import TtsSettings, serve_tts

        voice = TtsSettings(
            voice=args.voice, workers=args.workers, first_piece_words=args.first_piece_words,
            max_piece_words=args.max_piece_words,
        )  # fmt: skip
        await serve_tts(endpoint, voice, max_connections=args.max_connections)
    return EXIT_PASS

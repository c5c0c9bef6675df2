"""Swapped ports against a real server: ``--stt`` given the Piper TTS server stops right after
describe, in one line that says what the server is."""

from __future__ import annotations

import subprocess
import sys

import pytest

from wyoming_rt.endpoint import free_tcp_port

pytestmark = pytest.mark.integration


def run_cli(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wyoming_rt", *args], capture_output=True, text=True, timeout=timeout)


def test_a_tts_server_given_as_the_stt_server_is_named_at_once() -> None:
    uri = f"tcp://127.0.0.1:{free_tcp_port()}"
    server = subprocess.Popen(
        [sys.executable, "-m", "wyoming_rt", "serve", "tts", "--uri", uri],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait = run_cli("wait", uri, "--timeout", "300", timeout=360)
        assert wait.returncode == 0, wait.stdout + wait.stderr
        # the TTS server for both roles: HA's STT entity would find no asr program in its info
        # --quiet: off a terminal the progress lines go to stderr too; the error must be the only line left
        validate = run_cli("validate", "--quiet", "--stt", uri, "--tts", uri, "--no-probes", timeout=300)
    finally:
        server.terminate()
        server.wait(30)
    assert validate.returncode == 2, validate.stdout[-2000:] + validate.stderr
    assert validate.stderr == (
        f"wyoming-rt: error: the server at {uri} describes itself as a TTS server (its info has tts programs and no"
        " asr): did you swap --stt and --tts?\n"
    )
    assert validate.stdout == ""  # nothing was run

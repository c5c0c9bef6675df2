"""A run that stops before its end still reports what finished, marked incomplete: on Ctrl-C
(a real SIGINT to ``python -m wyoming_rt``), on a fatal error, and with ``--fail-fast``."""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

import wyoming_rt.run.validate as run_validate
from tests.cli_servers import Transcripts, servers_in_thread
from tests.fake_servers import FakeStt
from tests.report_schema import assert_valid_report
from wyoming_rt.cli import main
from wyoming_rt.corpus import load_bundled_corpus
from wyoming_rt.endpoint import free_tcp_port
from wyoming_rt.records.errors import WyomingRTError

BUNDLED_IDS = [u.id for u in load_bundled_corpus()]
WATCHDOG_S = 120.0


def outputs(tmp_path: Path) -> list[str]:
    return [
        "--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "junit.xml"), "--markdown", str(tmp_path / "r.md"),
        "--html", str(tmp_path / "r.html"), "--html-audio", "none",
    ]  # fmt: skip


def read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    assert_valid_report(data)
    return data


def failing_cases(junit: Path) -> dict[tuple[str | None, str | None], str | None]:
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    return {
        (case.get("classname"), case.get("name")): failure.get("message")
        for case in suite.findall("testcase")
        if (failure := case.find("failure")) is not None
    }


def lines_of(stream: Any, into: queue.Queue[str | None]) -> None:
    for line in stream:
        into.put(line.rstrip("\n"))
    into.put(None)


def test_sigint_in_the_latency_phase_writes_the_finished_round_trips_marked_incomplete(tmp_path: Path) -> None:
    # warm-up gets one answer and the first two utterances theirs; the third is never answered,
    # so the run is certainly still in the latency phase when the interrupt comes
    with (
        servers_in_thread(FakeStt(after_audio_stop=Transcripts(3, None))) as (stt, tts),
        (tmp_path / "stdout.txt").open("w") as stdout,
    ):
        proc = subprocess.Popen(
            [sys.executable, "-m", "wyoming_rt", "validate", "--stt", stt.uri, "--tts", tts.uri, "--no-back-wer", "--max-wer", "1",
             "--timeout", "60", *outputs(tmp_path)],
            stdout=stdout, stderr=subprocess.PIPE, text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal
        )  # fmt: skip
        try:
            assert proc.stderr is not None
            lines: queue.Queue[str | None] = queue.Queue()
            threading.Thread(target=lines_of, args=(proc.stderr, lines), daemon=True).start()
            seen: list[str] = []
            deadline = time.monotonic() + WATCHDOG_S
            while not any(line.startswith(f"[ 2/{len(BUNDLED_IDS)}]") for line in seen):
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
                assert line is not None, "the run ended before it could be interrupted:\n" + "\n".join(seen)
                seen.append(line)
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
            while (line := lines.get(timeout=10)) is not None:
                seen.append(line)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 130, "\n".join(seen)
    assert "phase: latency" in seen and seen[-1] == "wyoming-rt: interrupted"
    assert re.fullmatch(rf"\[ 1/38\] {BUNDLED_IDS[0]} ok  STT \d+ ms  round trip \d+ ms", seen[seen.index("phase: latency") + 1])
    assert "incomplete report written (interrupted during phase latency): 2 finished round trip(s)" in seen
    assert (tmp_path / "stdout.txt").read_text() == ""  # no console report after an interrupt
    report = read_json(tmp_path / "r.json")
    assert report["incomplete"] == "interrupted during phase latency"
    assert report["passed"] is False
    assert [u["id"] for u in report["utterances"]] == BUNDLED_IDS[:2]
    assert all(u["transcript"] and u["latency_ms"]["round_trip"] for u in report["utterances"])
    assert report["servers"]["stt"]["uri"] == stt.uri  # preflight had found them
    assert [p["name"] for p in report["phases"]] == ["preflight", "preparation", "warm-up", "latency"]
    assert failing_cases(tmp_path / "junit.xml") == {
        ("wyoming-rt.run", "complete"): "INCOMPLETE: interrupted during phase latency"
    }
    markdown = (tmp_path / "r.md").read_text()
    assert markdown.startswith("## wyoming-rt: ❌ INCOMPLETE") and "interrupted during phase latency" in markdown
    page = (tmp_path / "r.html").read_text()
    assert "<title>wyoming-rt: INCOMPLETE</title>" in page and "did not finish: interrupted during phase latency" in page


def test_a_fatal_error_mid_run_writes_what_finished_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def servers_gone(*args: object, **kwargs: object) -> None:
        raise WyomingRTError("the servers went away")

    monkeypatch.setattr(run_validate, "run_concurrency_phase", servers_gone)
    with servers_in_thread(FakeStt()) as (stt, tts):
        args = ["validate", "--stt", stt.uri, "--tts", tts.uri, "--only", "01_*", "--only", "02_*", *outputs(tmp_path)]
        assert main(args) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == "wyoming-rt: error: the servers went away"
    report = read_json(tmp_path / "r.json")
    assert report["incomplete"] == "fatal error during phase concurrency: the servers went away"
    assert [u["id"] for u in report["utterances"]] == BUNDLED_IDS[:2] and report["summary"]["utterances"] == 2
    assert report["passed"] is False and report["summary"]["latency_ms"]["round_trip"]["count"] == 2
    assert ("wyoming-rt.run", "complete") in failing_cases(tmp_path / "junit.xml")


def test_a_server_unreachable_at_the_start_still_leaves_a_report_saying_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    closed = free_tcp_port()
    with servers_in_thread(FakeStt()) as (_, tts):
        assert main(["validate", "--stt", f"127.0.0.1:{closed}", "--tts", tts.uri, *outputs(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines()[-1].startswith("wyoming-rt: error: STT server unavailable")
    report = read_json(tmp_path / "r.json")
    assert report["incomplete"].startswith("fatal error during phase preflight: STT server unavailable")
    assert report["utterances"] == [] and report["servers"] == {} and report["passed"] is False


def test_fail_fast_stops_at_the_first_failed_utterance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # warm-up is answered; the first utterance gets an empty transcript, an error
    with servers_in_thread(FakeStt(after_audio_stop=Transcripts(1, ""))) as (stt, tts):
        args = ["validate", "--stt", stt.uri, "--tts", tts.uri, "--only", "0[12]_*", "--fail-fast", *outputs(tmp_path)]
        assert main(args) == 1
    captured = capsys.readouterr()
    err = captured.err.splitlines()
    first = BUNDLED_IDS[0]
    assert any(re.fullmatch(rf"\[1/2\] {first} FAIL  STT \d+ ms  round trip - ms  \(empty transcript\)", line) for line in err)
    assert "phase: concurrency" not in err and "phase: probes" not in err
    report = read_json(tmp_path / "r.json")
    assert report["incomplete"] == f"fail-fast: {first} failed"
    assert [u["id"] for u in report["utterances"]] == [first]
    assert [p["name"] for p in report["phases"]] == ["preflight", "preparation", "warm-up", "latency"]
    assert report["phases"][-1]["stopped"] == f"fail-fast: {first} failed"
    assert report["settings"]["fail_fast"] is True and report["concurrency"] is None
    assert f"Verdict: INCOMPLETE (fail-fast: {first} failed)" in captured.out
    assert f"INCOMPLETE: fail-fast: {first} failed" in captured.out


def test_without_fail_fast_a_failed_utterance_does_not_stop_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with servers_in_thread(FakeStt(after_audio_stop=Transcripts(1, ""))) as (stt, tts):
        args = [
            "validate",
            "--stt",
            stt.uri,
            "--tts",
            tts.uri,
            "--only",
            "0[12]_*",
            "--no-probes",
            "--max-wer",
            "1",
            *outputs(tmp_path),
        ]
        assert main(args) == 1
    report = read_json(tmp_path / "r.json")
    assert report["incomplete"] is None and [u["passed"] for u in report["utterances"]] == [False, True]
    assert "phase: concurrency" in capsys.readouterr().err.splitlines()

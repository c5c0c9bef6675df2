"""The command line, end to end, against real servers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.report_schema import assert_valid_report
from wyoming_rt.endpoint import Endpoint, free_tcp_port
from wyoming_rt.report.rules_doc import KNOWN_UPSTREAM_DEVIATIONS
from wyoming_rt.servers.models import packaged_piper_voice, packaged_whisper_model

pytestmark = pytest.mark.integration

BUSY_MACHINE_RULES = {"warmup.slow", "info.unavailable-under-load", "load.errors", "tts.long-text-stall"}
"""Findings a busy machine can cause, each saying so in its message: not what a test here is about."""


def run_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wyoming_rt", *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.usefixtures("idle_upstream_servers")  # the conformance tests' probes may still be running there
def test_bundled_corpus_against_upstream_servers_shows_only_documented_deviations(
    wyoming_upstream_stt_endpoint: Endpoint, wyoming_upstream_tts_endpoint: Endpoint, tmp_path: Path
) -> None:
    report_path = tmp_path / "report.json"
    proc = run_cli(
        "validate",
        "--stt",
        wyoming_upstream_stt_endpoint.uri,
        "--tts",
        wyoming_upstream_tts_endpoint.uri,
        "--json",
        str(report_path),
        "--concurrency",
        "2",
        "--timeout",
        "120",
        "--no-long-text",
        "--llm-rate",
        "0",
    )  # fmt: skip  (the long answers on upstream: test_upstream_conformance)
    # wyoming-piper advertises voices it cannot speak offline (documented in docs/rules.md): exit 1
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads(report_path.read_text())
    summary = report["summary"]
    assert report["passed"] is False
    assert {f["rule"] for f in report["findings"] if f["severity"] == "error"} == {"info.voice-unusable"}
    documented = {rule for deviations in KNOWN_UPSTREAM_DEVIATIONS.values() for rule in deviations}
    # a busy machine may add the findings that say so themselves
    assert {f["rule"] for f in report["findings"]} - BUSY_MACHINE_RULES <= documented
    assert summary["utterances"] >= 20 and summary["failed"] == 0
    assert summary["wer"] <= 0.15
    assert summary["wer_raw"] >= summary["wer"]  # normalisation only removes differences of form
    for stage in ("stt", "tts_ttfb", "tts_total", "round_trip"):
        stats = summary["latency_ms"][stage]
        assert stats["count"] == summary["utterances"]
        assert 0 < stats["p50"] <= stats["p95"] <= stats["p99"] <= stats["max"]
    for utterance in report["utterances"]:
        assert utterance["audio"]["valid"] is True, utterance
        assert utterance["audio"]["rate"] == 22050
        assert utterance["transcript"], utterance
    assert report["servers"]["stt"]["info"]["asr"][0]["name"] == "faster-whisper"
    assert report["servers"]["tts"]["streaming"] is True
    # tiny.en as upstream runs it invents "You" in silence and noise: named, but only a warning
    assert len(report["negatives"]) == 3
    assert "info.voice-unusable" in proc.stdout and "Verdict: FAIL" in proc.stdout


@pytest.mark.usefixtures("idle_upstream_servers")  # the run before it ends with its probes
def test_wer_gate_fails_the_run(
    wyoming_upstream_stt_endpoint: Endpoint, wyoming_upstream_tts_endpoint: Endpoint, small_corpus: Path, tmp_path: Path
) -> None:
    # A transcript that does not match its audio guarantees WER > 0.
    first_txt = sorted(small_corpus.glob("*.txt"))[0]
    first_txt.write_text("completely unrelated reference words\n")
    report_path = tmp_path / "report.json"
    proc = run_cli(
        "validate", "--stt", wyoming_upstream_stt_endpoint.uri, "--tts", wyoming_upstream_tts_endpoint.uri,
        "--corpus", str(small_corpus), "--max-wer", "0", "--json", str(report_path), "--no-probes",
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads(report_path.read_text())
    assert report["passed"] is False
    # a busy machine may add the findings that say so themselves (a concurrency-phase timeout)
    assert {f["rule"] for f in report["findings"]} - BUSY_MACHINE_RULES == {"gate.max-wer"}
    # the corpus-level finding, and one on the utterance whose reference was replaced
    assert [f["utterance"] for f in report["findings"] if f["rule"] == "gate.max-wer"] == [None, first_txt.stem]
    assert "Verdict: FAIL" in proc.stdout


def test_closed_stt_port_exits_2_quickly(wyoming_upstream_tts_endpoint: Endpoint, small_corpus: Path) -> None:
    closed = free_tcp_port()
    started = time.monotonic()
    proc = run_cli(
        "validate", "--stt", f"127.0.0.1:{closed}", "--tts", wyoming_upstream_tts_endpoint.uri, "--corpus", str(small_corpus),
        "--quiet", timeout=60,  # --quiet: no progress lines, so the error is all of stderr
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert proc.returncode == 2
    assert elapsed < 15
    assert proc.stderr.strip().splitlines() == [
        f"wyoming-rt: error: STT server unavailable: cannot connect to tcp://127.0.0.1:{closed}: "
        "Connection refused (after 4 attempts)"
    ]


def child_pids(parent: int) -> list[str]:
    """Live children of ``parent``, read from /proc (no procps needed)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == str(parent) and fields[0] != "Z":
            children.append(stat.parent.name)
    return children


def test_embedded_default_stops_its_servers_on_ctrl_c() -> None:
    # The whole bundled corpus takes tens of seconds here, so the interrupt lands mid-run.
    proc = subprocess.Popen(
        [sys.executable, "-m", "wyoming_rt", "validate", "--concurrency", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal
    )
    children: list[str] = []
    deadline = time.monotonic() + 60
    while len(children) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        children = child_pids(proc.pid)
    assert len(children) == 2, "the two reference servers did not start"
    time.sleep(3)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert err.strip().splitlines()[-1] == "wyoming-rt: interrupted"
    assert child_pids(proc.pid) == []
    for pid in children:
        assert not Path(f"/proc/{pid}").exists(), f"reference server {pid} survived the interrupt"


def test_embedded_default_runs_our_reference_servers(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    proc = run_cli("validate", "--json", str(report_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(report_path.read_text())
    assert_valid_report(report)
    assert report["passed"] is True and report["summary"]["failed"] == 0
    assert report["summary"]["wer"] <= 0.15
    assert report["servers"]["stt"]["info"]["asr"][0]["name"] == "wyoming-rt-stt"
    assert report["servers"]["tts"]["info"]["tts"][0]["name"] == "wyoming-rt-tts"
    assert all(u["audio"]["valid"] and u["audio"]["quality"]["speech_s"] > 0.3 for u in report["utterances"])
    assert_plausible_server_cost(report["resources"])
    summary = report["summary"]
    assert summary["back_wer"] is not None and summary["back_wer"] <= 0.25  # the TTS audio is intelligible
    assert summary["latency_ms"]["tts_first_audible"]["count"] == summary["utterances"]
    assert summary["chunk_gap_ms"]["count"] > 0 and summary["rtf"]["tts"] < 1.0
    assert [(n["id"], n["hallucinated"]) for n in report["negatives"]] == [
        ("negative/pink_noise", False),
        ("negative/silence", False),
        ("negative/white_noise", False),
    ]


def test_concurrency_sweep_against_our_reference_servers(
    wyoming_stt_endpoint: Endpoint, wyoming_tts_endpoint: Endpoint, small_corpus: Path, tmp_path: Path
) -> None:
    report_path = tmp_path / "load.json"
    proc = run_cli(
        "validate", "--stt", wyoming_stt_endpoint.uri, "--tts", wyoming_tts_endpoint.uri, "--corpus", str(small_corpus),
        "--concurrency-sweep", "1,2", "--json", str(report_path),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(report_path.read_text())
    assert report["schema"] == "wyoming-rt/load/1" and report["passed"] is True
    assert [level["concurrency"] for level in report["levels"]] == [1, 2]
    for level in report["levels"]:
        count = max(3, 2 * level["concurrency"])  # the corpus, and at least two per session
        assert level["round_trips"] == count and level["errors"] == 0 and level["mixed"] == 0
        assert level["throughput_per_s"] > 0 and level["latency_ms"]["round_trip"]["count"] == count
    assert report["knee"] in {"concurrency 1", "concurrency 2"}
    assert "Knee:" in proc.stdout and "Verdict: PASS" in proc.stdout


def assert_plausible_server_cost(resources: dict[str, Any]) -> None:
    """The servers the run started were sampled: each holds more memory than its model takes on
    disk, and each STT request cost some CPU but less than the phase's wall time on every core."""
    models = {
        "stt": sum(f.stat().st_size for f in packaged_whisper_model().rglob("*") if f.is_file()),
        "tts": packaged_piper_voice().stat().st_size,
    }
    for role, model_bytes in models.items():
        cost = resources[role]
        assert cost["source"] == "started" and cost["unavailable"] is None, cost
        assert cost["idle_rss_mb"] * 1024 * 1024 > model_bytes and cost["rss_peak_mb"] >= cost["idle_rss_mb"]
        latency = next(p for p in cost["phases"] if p["phase"] == "latency")
        assert latency["requests"] > 0 and latency["work_s"] > 0
        assert 0 < latency["cpu_s"] < latency["wall_s"] * (os.cpu_count() or 1)
        assert latency["cpu_per_request_s"] > 0 and latency["threads_max"] >= 1
        assert len(cost["timeline"]) > 2

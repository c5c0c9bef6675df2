"""What a server costs: the sampler, its sources, the memory-growth check and the resource gates."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import anyio
import pytest

from tests.report_schema import assert_valid_report
from wyoming_rt.checks.scoring import score_corpus
from wyoming_rt.corpus import load_bundled_corpus
from wyoming_rt.emulator import HAEmulator
from wyoming_rt.endpoint import Endpoint, free_tcp_port
from wyoming_rt.records.corpus import Corpus
from wyoming_rt.records.errors import WyomingRTError
from wyoming_rt.records.resources import PhaseResources, ServerResources
from wyoming_rt.report.model import Report, Summary
from wyoming_rt.run.gates import Gates, apply_gates
from wyoming_rt.run.resource_sources import CgroupSource, ProcessSource, find_source
from wyoming_rt.run.resources import ResourceMonitor, memory_growth_findings
from wyoming_rt.run.validate import ValidateOptions, validate

LEAKY_SERVER = Path(__file__).with_name("leaky_server.py")
OPTIONS = ValidateOptions(probes=False, concurrency=0, negatives=False, back_transcribe=False)


@asynccontextmanager
async def scripted_server(leak_mb: float) -> AsyncIterator[tuple[Endpoint, int]]:
    """The null server in its own process, keeping ``leak_mb`` per connection."""
    port = free_tcp_port()
    process = subprocess.Popen([sys.executable, str(LEAKY_SERVER), str(port), str(leak_mb)], cwd=Path(__file__).parents[1])
    endpoint = Endpoint("127.0.0.1", port)
    try:
        with anyio.fail_after(60):  # a busy machine starts Python slowly
            while True:
                try:
                    await HAEmulator().describe(endpoint)
                    break
                except WyomingRTError:
                    await anyio.sleep(0.2)
        yield endpoint, process.pid
    finally:
        process.kill()
        process.wait()


def corpus(n: int = 8) -> Corpus:
    bundled = load_bundled_corpus()
    return replace(bundled, utterances=list(bundled)[:n], negatives=())


@pytest.mark.anyio
async def test_a_server_that_keeps_memory_on_every_request_is_found_leaking() -> None:
    async with scripted_server(leak_mb=8) as (endpoint, pid):
        with anyio.fail_after(120):
            report = await validate(endpoint, endpoint, corpus(), OPTIONS)
    stt = report.resources["stt"]
    assert (stt.source, stt.pid, stt.unavailable) == ("port", pid, None)  # found by its listening port
    assert stt.memory_growth_mb is not None and stt.memory_growth_mb > 8 * 8  # 8 MB for each of the 16 requests
    growth = [f for f in report.findings if f.rule == "resource.memory-growth"]
    assert growth and all(f.severity == "warning" for f in growth)
    assert "over 8 requests after the warm-up" in growth[0].message
    assert_valid_report(report.to_dict())


@pytest.mark.anyio
async def test_the_same_server_without_the_leak_is_not_flagged() -> None:
    async with scripted_server(leak_mb=0) as (endpoint, pid):
        with anyio.fail_after(120):
            report = await validate(endpoint, endpoint, corpus(), replace(OPTIONS, stt_pid=pid, tts_pid=pid))
    stt = report.resources["stt"]
    assert (stt.source, stt.pid) == ("pid", pid)
    assert "resource.memory-growth" not in {f.rule for f in report.findings}
    latency = stt.phase("latency")
    assert latency is not None and latency.requests == 8 and latency.work_s is not None and latency.work_s > 8
    assert stt.idle_rss_mb is not None and stt.idle_rss_mb > 5 and stt.timeline


@pytest.mark.anyio
async def test_no_resources_means_no_sampling() -> None:
    async with scripted_server(leak_mb=0) as (endpoint, _):
        with anyio.fail_after(120):
            report = await validate(endpoint, endpoint, corpus(2), replace(OPTIONS, resources=False))
    assert report.resources == {}


def test_a_server_elsewhere_is_not_measured_and_says_why() -> None:
    assert "not this machine" in (find_source(Endpoint("192.0.2.10", 10300)).unavailable or "")
    assert "Unix socket" in (find_source(Endpoint(path="/run/stt.sock")).unavailable or "")
    assert "no process 2147483000" in (find_source(Endpoint("127.0.0.1", 1), pid=2147483000).unavailable or "")
    free = free_tcp_port()
    assert f"port {free}" in (find_source(Endpoint("127.0.0.1", free)).unavailable or "")


@pytest.mark.anyio
async def test_each_phase_gets_the_cpu_spent_in_it() -> None:
    """A child that burns 0.5 s of CPU in the second phase only: the phases' CPU says so. (The
    test waits until the kernel's count, in 10 ms ticks, shows at least 0.4 s of it.)"""
    script = "import sys,time\nsys.stdin.readline()\nt=time.process_time()\nwhile time.process_time()-t<0.5: pass\nsys.stdin.readline()\n"
    child = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, text=True)
    assert child.stdin is not None
    try:
        monitor = ResourceMonitor({"stt": find_source(Endpoint("127.0.0.1", 1), pid=child.pid)})
        stop = anyio.Event()
        async with anyio.create_task_group() as tg:
            tg.start_soon(monitor.run, stop)
            monitor.phase = "quiet"
            await anyio.sleep(0.5)
            monitor.phase = "busy"
            child.stdin.write("go\n")
            child.stdin.flush()
            with anyio.fail_after(60):
                while ProcessSource(child.pid).read().cpu_s < 0.4:  # type: ignore[union-attr]
                    await anyio.sleep(0.05)
            monitor.finish()
            stop.set()
    finally:
        child.kill()
        child.wait()
    cost = monitor.results({})["stt"]
    quiet, busy = cost.phase("quiet"), cost.phase("busy")
    assert quiet is not None and busy is not None
    assert busy.cpu_s >= 0.35 and quiet.cpu_s < 0.2


def test_a_containers_cgroup_is_read(tmp_path: Path) -> None:
    (tmp_path / "memory.current").write_text("104857600\n")
    (tmp_path / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n")
    (tmp_path / "pids.current").write_text("7\n")
    reading = CgroupSource(tmp_path).read()
    assert reading is not None and (reading.rss_bytes, reading.cpu_s, reading.threads) == (104857600, 2.5, 7)
    (tmp_path / "cpu.stat").write_text("garbage\n")
    assert CgroupSource(tmp_path).read() is None


def server(
    role: str, *, peak: float, cpu_per_audio: float | None = 0.05, after: float = 200, end: float = 210
) -> ServerResources:
    latency = PhaseResources(
        "latency",
        30.0,
        1.0 if cpu_per_audio is None else cpu_per_audio * 20,
        peak,
        peak - 10,
        8,
        1,
        10,
        None if cpu_per_audio is None else 20.0,
    )
    return ServerResources(
        role, "port", 123, rss_after_warm_up_mb=after, rss_at_end_mb=end, requests_after_warm_up=10, phases=[latency]
    )


@pytest.mark.parametrize(
    ("after", "end", "flagged"),
    [(100, 160, True), (400, 460, False), (100, 140, False)],  # 60 MB of 100; of 400 (15 %); 40 MB
)
def test_memory_growth_needs_both_thresholds(after: float, end: float, flagged: bool) -> None:
    findings = memory_growth_findings({"stt": server("stt", peak=end, after=after, end=end)})
    assert bool(findings) is flagged


def a_report(resources: dict[str, ServerResources]) -> Report:
    return Report(Summary(0, 0, score_corpus([], []), {}), [], {}, resources=resources)


def test_the_memory_gate_fails_a_server_above_it_and_one_it_could_not_measure() -> None:
    resources = {"stt": server("stt", peak=500), "tts": ServerResources("tts", unavailable="192.0.2.10 is not this machine")}
    report = apply_gates(a_report(resources), Gates(max_wer=None, max_rss_mb=400))
    results = {g.gate: g.passed for g in report.gate_results}
    assert results == {"max_rss_mb.stt": False, "max_rss_mb.tts": False}
    rules = [(f.rule, f.message) for f in report.findings]
    assert ("gate.max-rss-mb", "STT server's peak memory 500 MB > max 400 MB") in rules
    assert any(rule == "gate.too-little-data" and "not this machine" in message for rule, message in rules)
    below = apply_gates(
        a_report({"stt": server("stt", peak=300), "tts": server("tts", peak=200)}), Gates(max_wer=None, max_rss_mb=400)
    )
    assert all(g.passed for g in below.gate_results) and below.findings == []


def test_the_cpu_gate_reads_the_stt_servers_latency_phase() -> None:
    gates = Gates(max_wer=None, max_cpu_per_audio_s=0.1)
    assert apply_gates(a_report({"stt": server("stt", peak=100, cpu_per_audio=0.05)}), gates).gate_results[0].passed
    failed = apply_gates(a_report({"stt": server("stt", peak=100, cpu_per_audio=0.3)}), gates)
    assert [f.rule for f in failed.findings] == ["gate.max-cpu-per-audio-s"]


@pytest.mark.anyio
async def test_a_concurrency_sweep_reports_the_cost_of_each_level() -> None:
    from io import StringIO

    from rich.console import Console

    from wyoming_rt.report.console import render_load_report
    from wyoming_rt.run.load import load_validate

    async with scripted_server(leak_mb=0) as (endpoint, pid):
        with anyio.fail_after(120):
            report = await load_validate(endpoint, endpoint, list(corpus(4)), ValidateOptions(timeout_s=30), sweep=[1, 2])
    stt = report.resources["stt"]
    assert (stt.source, stt.pid) == ("port", pid)
    for label in ("concurrency 1", "concurrency 2"):
        level = stt.phase(label)
        assert level is not None and level.requests == 4 and level.rss_peak_mb > 5 and level.wall_s > 0
    assert [p["phase"] for p in report.to_dict()["resources"]["tts"]["phases"]][-2:] == ["concurrency 1", "concurrency 2"]
    out = StringIO()
    render_load_report(report, Console(file=out, width=160))
    assert "Server cost per level" in out.getvalue() and "concurrency 2" in out.getvalue()

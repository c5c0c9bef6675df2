"""Load runs on Ray (``--ray``): a real local Ray cluster, two actors, against the null server in
this process (the actors reach it over loopback while the driver's event loop keeps serving).
The merged figures must be those of the union of the actors' requests, and nothing crossed over.
One cluster for the module; no timed assertions."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import numpy as np
import pytest
import ray
from anyio.from_thread import start_blocking_portal

from tests.test_load import null_utterances
from wyoming_rt.checks.load_stats import LevelResult
from wyoming_rt.cli import main
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.records.corpus import Utterance
from wyoming_rt.run import load
from wyoming_rt.run.load import LevelRunner, Target
from wyoming_rt.run.options import ValidateOptions
from wyoming_rt.run.ray_load import RayLoadError, RaySettings, ray_runner
from wyoming_rt.servers.null import run_null_server

pytestmark = pytest.mark.anyio
OPTIONS = ValidateOptions(timeout_s=20, endpointing="none", resources=False)
"""Whole clips: each transcript is then exactly its own utterance's reference, so a transcript
that belongs to another session would count as mixed."""
WATCHDOG_S = 240


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    yield
    ray.shutdown()


class Capture:
    """A runner factory that keeps the Ray runner, to look at each actor's own level."""

    def __init__(self, actors: int = 2) -> None:
        self.factory = ray_runner(RaySettings("local", actors))
        self.runner: Any = None

    @asynccontextmanager
    async def __call__(self, emulator: HAEmulator, utterances: Sequence[Utterance], target: Target) -> AsyncIterator[LevelRunner]:
        async with self.factory(emulator, utterances, target) as runner:
            self.runner = runner
            yield runner


def assert_pooled_exactly(level: LevelResult, parts: list[LevelResult]) -> None:
    for stage in ("stt", "tts_total", "round_trip"):
        union = np.concatenate([part.samples_ms[stage] for part in parts])
        stats = level.latency[stage]
        assert stats is not None and stats.count == len(union) == level.round_trips
        assert [stats.p50, stats.p95, stats.p99] == pytest.approx(list(np.percentile(union, [50, 95, 99])), abs=1e-9)
        assert stats.max == union.max()


async def test_an_open_model_run_on_two_actors_sends_the_whole_schedule_and_merges_exactly(cluster: None) -> None:
    capture = Capture()
    async with run_null_server() as endpoint:
        with anyio.fail_after(WATCHDOG_S):
            report = await load.load_validate(
                endpoint, endpoint, null_utterances(6), OPTIONS, rate_per_s=4, duration_s=3, runner=capture
            )
    [level] = report.levels
    parts = capture.runner.parts["4/s"]
    assert level.round_trips == 12 and [part.round_trips for part in parts] == [6, 6]  # both actors sent
    assert level.errors == 0 and level.mixed == 0 and report.passed
    assert level.offered_per_s == 4 and level.throughput_per_s > 0
    assert_pooled_exactly(level, parts)
    assert report.settings["ray"] == {"address": "local", "actors": 2, "nodes": 1, "round_trips_per_actor": {"4/s": [6, 6]}}
    document = report.to_dict()["levels"][0]
    assert len(document["latency_samples_ms"]["round_trip"]) == 12


async def test_a_closed_level_deals_its_sessions_and_requests_to_the_actors(cluster: None) -> None:
    capture = Capture()
    async with run_null_server() as endpoint:
        with anyio.fail_after(WATCHDOG_S):
            report = await load.load_validate(endpoint, endpoint, null_utterances(6), OPTIONS, sweep=[3], runner=capture)
    [level] = report.levels
    parts = capture.runner.parts["concurrency 3"]
    assert level.concurrency == 3 and [part.concurrency for part in parts] == [2, 1]
    assert level.round_trips == 6 and [part.round_trips for part in parts] == [4, 2]  # each session sends two
    assert level.errors == 0 and level.mixed == 0 and report.knee == "concurrency 3"
    assert_pooled_exactly(level, parts)


def load_actors() -> set[tuple[str, str]]:
    named = ray.util.list_named_actors(all_namespaces=True)
    return {(a["name"], a["namespace"]) for a in named if a["name"].startswith("wyoming-rt-load-")}


def kill_second_actor_when_it_exists(stop: threading.Event, earlier: set[tuple[str, str]]) -> None:
    """Kills the run's second actor as soon as it is named (starting or running: either must fail)."""
    while not stop.is_set():
        for name, namespace in load_actors() - earlier:
            if name.endswith("-2"):
                ray.kill(ray.get_actor(name, namespace=namespace))
                return
        time.sleep(0.05)


async def test_an_actor_that_dies_is_a_one_line_error_naming_it(cluster: None) -> None:
    stop = threading.Event()
    killer = threading.Thread(target=kill_second_actor_when_it_exists, args=(stop, load_actors()), daemon=True)
    emulator = HAEmulator(EmulatorConfig(timeout_s=20, endpointing="none"))
    async with run_null_server() as endpoint:
        killer.start()
        try:
            with anyio.fail_after(WATCHDOG_S), pytest.raises(RayLoadError, match=r"^Ray actor 2 of 2 died during ") as error:
                async with ray_runner(RaySettings("local", 2))(
                    emulator, null_utterances(2), Target(endpoint, endpoint, False)
                ) as runner:
                    await runner.open(rate_per_s=2, duration_s=60)
        finally:
            stop.set()
            killer.join(30)
    assert "\n" not in str(error.value)


def test_the_command_line_starts_a_local_cluster_for_the_run_and_stops_it(tmp_path: Path) -> None:
    """``--ray local`` in a process of its own, longer than a worker thread lives idle: the
    cluster must live as long as the run (its processes die with the thread that started them)."""
    report = tmp_path / "load.json"
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(run_null_server()) as endpoint:
        command = [sys.executable, "-m", "wyoming_rt", "validate", "--stt", endpoint.uri, "--tts", endpoint.uri]
        command += ["--rate", "2", "--duration", "12", "--ray", "local", "--ray-actors", "2", "--endpointing", "none"]
        command += ["--no-resources", "--json", str(report)]
        done = subprocess.run(command, cwd=Path(__file__).parents[1], capture_output=True, text=True, timeout=WATCHDOG_S)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "load: open on Ray, 2 actors over 1 node(s)" in done.stdout
    document = json.loads(report.read_text())
    assert document["levels"][0]["round_trips"] == 24 and document["levels"][0]["errors"] == 0
    assert document["settings"]["ray"]["round_trips_per_actor"] == {"2/s": [12, 12]}


def test_ray_without_a_load_run_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--stt", "127.0.0.1:1", "--tts", "127.0.0.1:1", "--ray", "local"]) == 2
    assert "--ray and --ray-actors are for load runs: add --concurrency-sweep or --rate" in capsys.readouterr().err
    assert main(["validate", "--stt", "127.0.0.1:1", "--tts", "127.0.0.1:1", "--rate", "1", "--ray-actors", "2"]) == 2
    assert "--ray-actors needs --ray ADDRESS" in capsys.readouterr().err


def test_ray_when_it_is_not_installed_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    assert main(["validate", "--stt", "127.0.0.1:1", "--tts", "127.0.0.1:1", "--rate", "1", "--ray", "local"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'wyoming-rt[ray]'" in err

"""`HangBreaker`: slow is not dead, dead costs about two watchdogs, and the validator's own
requests never trip it."""

from __future__ import annotations

import anyio
import pytest

from wyoming_rt.records.errors import NotSentError, ServerClosedError, WatchdogTimeout, WyomingRTError
from wyoming_rt.run.breaker import MAX_FAILED_TRIALS, HangBreaker

pytestmark = pytest.mark.anyio


def scripted(*outcomes: str):  # type: ignore[no-untyped-def]
    """A request that times out, closes or answers, in this order (then answers)."""
    queue = list(outcomes)
    sent: list[str] = []

    async def request() -> str:
        outcome = queue.pop(0) if queue else "ok"
        sent.append(outcome)
        if outcome == "timeout":
            raise WatchdogTimeout("timed out")
        if outcome == "closed":
            raise ServerClosedError("closed")
        return outcome

    return request, sent


async def alive() -> None:
    return None


async def dead() -> None:
    raise WatchdogTimeout("no info")


async def call(breaker: HangBreaker, request, counted: bool = True) -> str:  # type: ignore[no-untyped-def]
    try:
        return await breaker.call(request, counted=counted)
    except WyomingRTError as exc:
        return type(exc).__name__


async def test_a_slow_start_trips_it_but_a_trial_that_answers_closes_it_again() -> None:
    breaker = HangBreaker(1, liveness=alive, pause_s=0.01)
    request, sent = scripted("timeout", "ok", "ok")
    assert [await call(breaker, request) for _ in range(3)] == ["WatchdogTimeout", "ok", "ok"]
    assert sent == ["timeout", "ok", "ok"] and breaker.state == "closed" and breaker.trials == 1


async def test_trials_that_keep_timing_out_declare_the_server_dead_and_nothing_more_is_sent() -> None:
    breaker = HangBreaker(1, liveness=alive, pause_s=0.01)
    request, sent = scripted(*["timeout"] * (1 + MAX_FAILED_TRIALS))
    outcomes = [await call(breaker, request) for _ in range(6)]
    assert outcomes == ["WatchdogTimeout"] * (1 + MAX_FAILED_TRIALS) + ["NotSentError"] * (5 - MAX_FAILED_TRIALS)
    assert len(sent) == 1 + MAX_FAILED_TRIALS and breaker.dead and "still answers describe" in (breaker.dead_reason or "")


async def test_a_server_slow_on_its_first_requests_is_not_dead() -> None:
    breaker = HangBreaker(1, liveness=alive, pause_s=0.01)
    request, _ = scripted(*["timeout"] * MAX_FAILED_TRIALS)
    outcomes = [await call(breaker, request) for _ in range(MAX_FAILED_TRIALS + 2)]
    assert outcomes == ["WatchdogTimeout"] * MAX_FAILED_TRIALS + ["ok", "ok"]
    assert breaker.state == "closed" and breaker.failed_trials == 0


async def test_no_answer_to_describe_declares_it_dead_without_a_trial() -> None:
    breaker = HangBreaker(1, liveness=dead, pause_s=0.01)
    request, sent = scripted("timeout")
    assert [await call(breaker, request) for _ in range(3)] == ["WatchdogTimeout", "NotSentError", "NotSentError"]
    assert sent == ["timeout"] and "did not answer describe" in (breaker.dead_reason or "")


async def test_any_answer_even_an_error_means_alive() -> None:
    breaker = HangBreaker(1, liveness=alive, pause_s=0.01)
    request, _ = scripted("timeout", "closed", "timeout", "ok")
    outcomes = [await call(breaker, request) for _ in range(4)]
    assert outcomes == ["WatchdogTimeout", "ServerClosedError", "WatchdogTimeout", "ok"]
    assert not breaker.dead


async def test_it_trips_only_after_limit_timeouts_in_a_row() -> None:
    breaker = HangBreaker(3, liveness=alive, pause_s=0.01)
    request, _ = scripted("timeout", "timeout", "ok", "timeout", "timeout")
    for _ in range(5):
        await call(breaker, request)
    assert breaker.state == "closed" and breaker.consecutive == 2


async def test_the_validators_own_requests_never_trip_it_and_are_skipped_while_it_is_open() -> None:
    breaker = HangBreaker(1, liveness=alive, pause_s=0.01)
    request, sent = scripted("timeout", "timeout", "timeout")
    assert await call(breaker, request, counted=False) == "WatchdogTimeout"
    assert await call(breaker, request, counted=False) == "WatchdogTimeout"
    assert breaker.state == "closed" and breaker.timeouts == 0
    assert await call(breaker, request) == "WatchdogTimeout"  # a counted one trips it
    assert await call(breaker, request, counted=False) == "NotSentError"
    assert len(sent) == 3


async def test_a_new_phase_restarts_the_count_but_keeps_an_open_breaker_open() -> None:
    breaker = HangBreaker(2, liveness=alive, pause_s=0.01)
    request, _ = scripted("timeout")
    await call(breaker, request)
    breaker.new_phase(2)
    assert breaker.consecutive == 0 and breaker.state == "closed"
    breaker.new_phase(1)
    await call(breaker, scripted("timeout")[0])
    breaker.new_phase(4)
    assert breaker.state == "open"  # the next request, in whatever phase, is the trial


async def test_concurrent_requests_wait_for_the_one_trial() -> None:
    breaker = HangBreaker(1, liveness=alive, pause_s=0.05)
    request, sent = scripted("timeout", "timeout")
    await call(breaker, request)
    outcomes: list[str] = []
    in_flight = most = 0

    async def counted_request() -> str:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        try:
            return await request()
        finally:
            in_flight -= 1

    async def one() -> None:
        outcomes.append(await call(breaker, counted_request))

    async with anyio.create_task_group() as tg:
        for _ in range(4):
            tg.start_soon(one)
    assert sorted(outcomes) == ["WatchdogTimeout"] + ["ok"] * 3  # one trial failed, the next answered
    assert most == 1 and len(sent) == 5 and breaker.state == "closed"


def test_not_sent_is_a_kind_of_watchdog_timeout() -> None:
    assert issubclass(NotSentError, WatchdogTimeout) and NotSentError.kind == "not-sent"

"""Shared test set-up: anyio on asyncio, and helpers for small local servers."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# Fuzzing budget: "ci" keeps the default run short; HYPOTHESIS_PROFILE=long is the deep run.
settings.register_profile("ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=20_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"

"""Shared test set-up: anyio on asyncio, and helpers for small local servers."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest
from hypothesis import HealthCheck, settings

# Fuzzing budget: "ci" keeps the default run short; HYPOTHESIS_PROFILE=long is the deep run.
settings.register_profile("ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=20_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The tests never read or write the user's cache (wyoming_rt.cache): each session has its own,
# empty at the start. Set here, before any test module runs, so that child processes inherit it.
os.environ["WYOMING_RT_CACHE_DIR"] = tempfile.mkdtemp(prefix="wyoming-rt-test-cache-")
atexit.register(shutil.rmtree, os.environ["WYOMING_RT_CACHE_DIR"], ignore_errors=True)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"

"""Shared test set-up: anyio on asyncio, and helpers for small local servers."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"

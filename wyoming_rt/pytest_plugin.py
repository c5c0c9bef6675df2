"""pytest fixtures: the upstream reference servers, started once per test session.

Loaded automatically (entry point ``pytest11``) where wyoming-rt is installed. The fixtures
start servers only when a test asks for them, and need the ``reference`` extra.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from anyio.from_thread import start_blocking_portal

from .endpoint import Endpoint
from .servers.upstream import ReferenceServers, run_upstream_servers


@pytest.fixture(scope="session")
def wyoming_reference_servers() -> Iterator[ReferenceServers]:
    """The upstream wyoming-faster-whisper and wyoming-piper on free loopback ports."""
    with start_blocking_portal() as portal:
        with portal.wrap_async_context_manager(run_upstream_servers()) as servers:
            yield servers


@pytest.fixture(scope="session")
def wyoming_stt_endpoint(wyoming_reference_servers: ReferenceServers) -> Endpoint:
    """Endpoint of the upstream STT server (wyoming-faster-whisper, tiny.en)."""
    return wyoming_reference_servers.stt.endpoint


@pytest.fixture(scope="session")
def wyoming_tts_endpoint(wyoming_reference_servers: ReferenceServers) -> Endpoint:
    """Endpoint of the upstream TTS server (wyoming-piper, en_US-joe-medium)."""
    return wyoming_reference_servers.tts.endpoint

"""pytest fixtures: reference Wyoming servers, started once per test session.

Loaded automatically (entry point ``pytest11``) where wyoming-rt is installed. Servers start
only when a test asks for them, and need the ``reference`` extra.

- ``wyoming_stt_endpoint`` / ``wyoming_tts_endpoint``: wyoming-rt's own reference servers.
- ``wyoming_upstream_stt_endpoint`` / ``wyoming_upstream_tts_endpoint``: the upstream
  wyoming-faster-whisper and wyoming-piper.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from anyio.from_thread import start_blocking_portal

from .endpoint import Endpoint
from .servers.reference import Flavour, ReferenceServers, run_reference_servers


def _servers(flavour: Flavour) -> Iterator[ReferenceServers]:
    with start_blocking_portal() as portal:
        with portal.wrap_async_context_manager(run_reference_servers(flavour)) as servers:
            yield servers


@pytest.fixture(scope="session")
def wyoming_reference_servers() -> Iterator[ReferenceServers]:
    """wyoming-rt's reference STT (faster-whisper tiny.en) and TTS (piper joe-medium) servers."""
    yield from _servers("ours")


@pytest.fixture(scope="session")
def wyoming_upstream_servers() -> Iterator[ReferenceServers]:
    """The upstream wyoming-faster-whisper and wyoming-piper on the same models."""
    yield from _servers("upstream")


@pytest.fixture(scope="session")
def wyoming_stt_endpoint(wyoming_reference_servers: ReferenceServers) -> Endpoint:
    return wyoming_reference_servers.stt.endpoint


@pytest.fixture(scope="session")
def wyoming_tts_endpoint(wyoming_reference_servers: ReferenceServers) -> Endpoint:
    return wyoming_reference_servers.tts.endpoint


@pytest.fixture(scope="session")
def wyoming_upstream_stt_endpoint(wyoming_upstream_servers: ReferenceServers) -> Endpoint:
    return wyoming_upstream_servers.stt.endpoint


@pytest.fixture(scope="session")
def wyoming_upstream_tts_endpoint(wyoming_upstream_servers: ReferenceServers) -> Endpoint:
    return wyoming_upstream_servers.tts.endpoint

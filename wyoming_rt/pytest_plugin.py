"""pytest plugin: Wyoming servers under test, an HA emulator, and a session-wide validation.

Loaded automatically (entry point ``pytest11``) where wyoming-rt is installed.

Options:
    --wyoming-stt URI / --wyoming-tts URI   the servers under test (host:port, tcp://, unix://)
    --wyoming-corpus DIR|bundled[:LANG]      the corpus for ``wyoming_report`` (default: bundled)
    --wyoming-<flag>                         each run option of ``validate --<flag>`` (`ValidateOptions`),
                                             for ``wyoming_report``; ``[tool.wyoming_rt]`` in the rootdir's
                                             pyproject.toml sets gates and options beneath them

Fixtures (all session-scoped except ``wyoming_emulator``; none needs an async test runner):
    wyoming_stt, wyoming_tts     Endpoints under test: the options, or wyoming-rt's reference
                                 servers started on free loopback ports when an option is absent
                                 (needs the ``reference`` extra)
    wyoming_emulator             an `HAEmulator` with Home Assistant's defaults
    wyoming_report               the `Report` of one `validate` run of the corpus against them
    wyoming_stt_endpoint, wyoming_tts_endpoint: wyoming-rt's own reference servers
    wyoming_upstream_stt_endpoint, wyoming_upstream_tts_endpoint: the upstream servers
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from anyio.from_thread import start_blocking_portal

from wyoming_rt.endpoint import Endpoint, parse_endpoint
from wyoming_rt.records.options import OptionSpec, options_of
from wyoming_rt.run.options import ValidateOptions

if TYPE_CHECKING:  # the heavy modules load when a fixture is used, not when pytest loads the plugin
    from wyoming_rt.emulator import HAEmulator
    from wyoming_rt.report.model import Report
    from wyoming_rt.servers.reference import Flavour, ReferenceServers

RUN_OPTIONS: tuple[OptionSpec, ...] = tuple(spec for spec in options_of(ValidateOptions) if spec.pytest)
"""The run options offered as ``--wyoming-<flag>`` (for ``wyoming_report``)."""


def option_flag(spec: OptionSpec) -> str:
    """``--timeout`` -> ``--wyoming-timeout``."""
    return "--wyoming-" + spec.flag.removeprefix("--")


def _dest(spec: OptionSpec) -> str:
    return f"wyoming_{spec.name}"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wyoming-rt", "Wyoming servers under test (wyoming-rt)")
    group.addoption("--wyoming-stt", metavar="URI", help="the STT server under test (default: a reference server)")
    group.addoption("--wyoming-tts", metavar="URI", help="the TTS server under test (default: a reference server)")
    group.addoption(
        "--wyoming-corpus",
        metavar="DIR|bundled[:LANG]",
        help="the corpus for the wyoming_report fixture (default: the bundled one in --wyoming-language)",
    )
    for spec in RUN_OPTIONS:
        group.addoption(option_flag(spec), dest=_dest(spec), **spec.argparse_kwargs())


def _servers(flavour: Flavour, request: pytest.FixtureRequest) -> Iterator[ReferenceServers]:
    from wyoming_rt.servers.reference import run_reference_servers

    language = request.config.getoption("wyoming_language", None)
    started = run_reference_servers(flavour, language=language)
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(started) as servers:
        yield servers


@pytest.fixture(scope="session")
def wyoming_reference_servers(request: pytest.FixtureRequest) -> Iterator[ReferenceServers]:
    """wyoming-rt's reference STT (faster-whisper tiny.en; the multilingual base for a
    ``--wyoming-language`` other than English) and TTS (piper joe-medium) servers."""
    yield from _servers("ours", request)


@pytest.fixture(scope="session")
def wyoming_upstream_servers(request: pytest.FixtureRequest) -> Iterator[ReferenceServers]:
    """The upstream wyoming-faster-whisper and wyoming-piper on the same models."""
    yield from _servers("upstream", request)


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


def _under_test(request: pytest.FixtureRequest, option: str, reference_fixture: str) -> Endpoint:
    uri = request.config.getoption(option)
    if uri:
        return parse_endpoint(uri)
    endpoint: Endpoint = request.getfixturevalue(reference_fixture)
    return endpoint


@pytest.fixture(scope="session")
def wyoming_stt(request: pytest.FixtureRequest) -> Endpoint:
    """The STT server under test: ``--wyoming-stt``, else wyoming-rt's reference STT server."""
    return _under_test(request, "--wyoming-stt", "wyoming_stt_endpoint")


@pytest.fixture(scope="session")
def wyoming_tts(request: pytest.FixtureRequest) -> Endpoint:
    """The TTS server under test: ``--wyoming-tts``, else wyoming-rt's reference TTS server."""
    return _under_test(request, "--wyoming-tts", "wyoming_tts_endpoint")


@pytest.fixture
def wyoming_emulator() -> HAEmulator:
    """A Home Assistant emulator with HA's defaults (one connection per call)."""
    from wyoming_rt.emulator import HAEmulator

    return HAEmulator()


@pytest.fixture(scope="session")
def wyoming_report(request: pytest.FixtureRequest, wyoming_stt: Endpoint, wyoming_tts: Endpoint) -> Report:
    """One `validate` run of the corpus against the servers under test, shared by the session: with
    the ``--wyoming-<flag>`` options over ``[tool.wyoming_rt]`` of the rootdir's pyproject.toml."""
    from wyoming_rt.corpus import load_named_corpus
    from wyoming_rt.run.config import load_config
    from wyoming_rt.run.validate import validate

    given = {spec.name: request.config.getoption(_dest(spec)) for spec in RUN_OPTIONS}
    options = load_config(None, cwd=request.config.rootpath).validate_options(given)
    corpus = load_named_corpus(request.config.getoption("--wyoming-corpus"), options.language)
    with start_blocking_portal() as portal:
        return portal.call(validate, wyoming_stt, wyoming_tts, corpus, options)

"""The pytest plugin, used only as docs/pytest-plugin.md shows: its example test file runs
unchanged in a fresh pytest session (pytester, in a subprocess), under anyio's plugin with
pytest-asyncio installed in strict mode and in auto mode."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from wyoming_rt.corpus import bundled_corpus_dir

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.integration
DOC = Path(__file__).parents[2] / "docs" / "pytest-plugin.md"


def example_from_docs() -> str:
    text = DOC.read_text()
    section = text.split("## Example test file", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "docs/pytest-plugin.md lost its example test file"
    return match.group(1)


@pytest.fixture
def two_utterances(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    target.mkdir()
    for wav in sorted(bundled_corpus_dir().glob("*.wav"))[:2]:
        shutil.copy(wav, target)
        shutil.copy(wav.with_suffix(".txt"), target)
    return target


@pytest.mark.parametrize("asyncio_mode", ["strict", "auto"])
def test_the_documented_example_passes_against_the_embedded_servers(
    pytester: pytest.Pytester, two_utterances: Path, asyncio_mode: str
) -> None:
    pytester.makepyfile(test_addon=example_from_docs())
    result = pytester.runpytest_subprocess(
        "-p", "asyncio", "-o", f"asyncio_mode={asyncio_mode}", "--wyoming-corpus", str(two_utterances)
    )
    result.assert_outcomes(passed=3)


def test_the_options_point_the_fixtures_at_other_servers(pytester: pytest.Pytester, two_utterances: Path) -> None:
    """With --wyoming-stt/--wyoming-tts the fixtures use those servers (here the null server,
    whose transcripts are digests, so validation must fail) and start no reference server."""
    import subprocess
    import sys
    import time

    from wyoming_rt.endpoint import free_tcp_port

    port = free_tcp_port()
    null = subprocess.Popen([sys.executable, "-m", "wyoming_rt", "serve", "null", "--uri", f"tcp://127.0.0.1:{port}"])
    try:
        time.sleep(1.5)
        pytester.makepyfile(
            test_null=f"""
def test_endpoints(wyoming_stt, wyoming_tts):
    assert (wyoming_stt.port, wyoming_tts.port) == ({port}, {port})

def test_report(wyoming_report):
    assert not wyoming_report.passed and wyoming_report.summary.utterances == 2
    assert "null" in wyoming_report.utterances[0].transcript
"""
        )
        result = pytester.runpytest_subprocess(
            "--wyoming-stt", f"127.0.0.1:{port}", "--wyoming-tts", f"127.0.0.1:{port}", "--wyoming-corpus", str(two_utterances)
        )
        result.assert_outcomes(passed=2)
    finally:
        null.terminate()
        null.wait(10)

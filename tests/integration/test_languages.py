"""Every bundled language on real servers: the multilingual reference STT understands each one and
is judged in it, and a real server that answers in English when asked for German is caught."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from anyio.from_thread import start_blocking_portal

from tests.integration.test_validate_cli import run_cli
from tests.report_schema import assert_valid_report
from wyoming_rt.corpus import bundled_languages, load_bundled_corpus
from wyoming_rt.endpoint import Endpoint
from wyoming_rt.records.corpus import Corpus
from wyoming_rt.run.validate import ValidateOptions, validate
from wyoming_rt.servers.reference import run_reference_server

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

LANGUAGES = bundled_languages()[1:]
PER_LANGUAGE = 3
"""Utterances per language here (the whole corpora are measured by bench/languages.py)."""
# The language rules are what these tests are about: no concurrency phase, no probes, generous watchdogs.
OPTIONS = ValidateOptions(timeout_s=120, concurrency=0, probes=False, negatives=False)


def _first(language: str, count: int) -> Corpus:
    corpus = load_bundled_corpus(language)
    return Corpus(corpus.name, corpus.utterances[:count], language=corpus.language)


@pytest.fixture(scope="module")
def multilingual_stt() -> Iterator[Endpoint]:
    """Our STT server on the multilingual Whisper base, as the embedded default starts it for a
    language other than English."""
    with tempfile.TemporaryDirectory(prefix="wyoming-rt-") as work, start_blocking_portal() as portal:
        started = run_reference_server("ours", "stt", Path(work), startup_timeout_s=300, language="de")
        with portal.wrap_async_context_manager(started) as server:
            yield server.endpoint


def test_the_bundled_languages_are_there() -> None:
    assert {"de", "es", "fr", "it", "nl", "pl", "pt", "ru", "zh"} <= set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_multilingual_reference_is_judged_in_each_bundled_language(
    language: str, multilingual_stt: Endpoint, wyoming_tts_endpoint: Endpoint
) -> None:
    report = await validate(multilingual_stt, wyoming_tts_endpoint, _first(language, PER_LANGUAGE), OPTIONS)
    rules = {f.rule for f in report.findings}
    assert report.settings["language"] == language
    assert "info.language-not-listed" not in rules and "stt.wrong-language" not in rules
    assert "info.tts-language-not-listed" in rules  # the reference voice speaks English only: said, not hidden
    # ... and an English voice reading Cyrillic too fast (or spelling out Chinese characters far too
    # long) is the pairing's doing, not a finding on the server
    assert "audio.speaking-rate" not in rules and "tts.duration-implausible" not in rules
    heard = [u.transcript_language.language for u in report.utterances if u.transcript_language is not None]
    # lingua hears most transcripts in the language (one short command alone may read as a neighbour)
    assert heard and heard.count(language) > len(heard) / 2, [(u.transcript, u.transcript_language) for u in report.utterances]
    # understood: a model that does not know the language is near 1 here; the corpus WER itself is
    # bench/languages.py's (three short commands are too few for a tighter bound on any machine)
    assert report.summary.score.wer is not None and report.summary.score.wer <= 0.5, [u.transcript for u in report.utterances]


async def test_a_real_server_that_answers_german_in_english_is_caught(
    wyoming_upstream_stt_endpoint: Endpoint, wyoming_tts_endpoint: Endpoint, idle_upstream_servers: None
) -> None:
    """Upstream wyoming-faster-whisper on tiny.en lists every Whisper language in its info and
    takes HA's ``de``, but an English-only model can only write English."""
    report = await validate(wyoming_upstream_stt_endpoint, wyoming_tts_endpoint, _first("de", 3), OPTIONS)
    wrong = [f for f in report.findings if f.rule == "stt.wrong-language"]
    assert len(wrong) == 1 and "'en'" in wrong[0].message, [u.transcript for u in report.utterances]
    assert not report.passed


async def test_a_server_whose_info_lacks_the_language_is_caught(
    wyoming_stt_endpoint: Endpoint, wyoming_tts_endpoint: Endpoint
) -> None:
    """Our STT server on tiny.en lists English only (and refuses German with an error event)."""
    report = await validate(wyoming_stt_endpoint, wyoming_tts_endpoint, _first("de", 2), OPTIONS)
    (listed,) = [f for f in report.findings if f.rule == "info.language-not-listed"]
    assert "'de'" in listed.message and "'en'" in listed.message


def test_validate_language_de_runs_the_embedded_multilingual_default(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    proc = run_cli("validate", "--language", "de", "--only", "0[1-4]_*", "--no-probes", "--json", str(report_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "faster-whisper base, de" in proc.stderr and "language: de" in proc.stdout
    report = json.loads(report_path.read_text())
    assert_valid_report(report)
    assert report["settings"]["language"] == "de" and report["settings"]["corpus"].startswith("bundled:de")
    assert report["passed"] is True

"""A corpus's language: ``corpus.json``, the bundled corpora by language, ``--corpus bundled:LANG``,
and the language a run sends when none is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_corpus import tone, write_pair
from wyoming_rt.corpus import bundled_languages, load_bundled_corpus, load_corpus, load_named_corpus
from wyoming_rt.records.errors import CorpusError, UsageError
from wyoming_rt.run.options import ValidateOptions


def _corpus_dir(tmp_path: Path, corpus_json: str | bytes | None) -> Path:
    write_pair(tmp_path, "one", tone(1.0, 16000), 16000, "Schalte das Licht aus.")
    if corpus_json is not None:
        data = corpus_json.encode() if isinstance(corpus_json, str) else corpus_json
        (tmp_path / "corpus.json").write_bytes(data)
    return tmp_path


def test_corpus_json_names_the_language(tmp_path: Path) -> None:
    assert load_corpus(_corpus_dir(tmp_path, '{"language": "de-DE", "name": "x"}')).language == "de-DE"


def test_without_corpus_json_the_language_is_unsaid(tmp_path: Path) -> None:
    assert load_corpus(_corpus_dir(tmp_path, None)).language is None


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("{not json", "unreadable corpus.json"),
        (b"\xff\xfe{}", "unreadable corpus.json"),
        ('{"language": 7}', "'language' must be a language code"),
        ('{"language": "German; rm -rf"}', "'language' must be a language code"),
    ],
)
def test_a_bad_corpus_json_is_one_clear_error(tmp_path: Path, content: str | bytes, said: str) -> None:
    with pytest.raises(CorpusError, match=said):
        load_corpus(_corpus_dir(tmp_path, content))


def test_a_giant_corpus_json_is_not_read(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="over the limit"):
        load_corpus(_corpus_dir(tmp_path, '{"language": "de", "pad": "' + "x" * (70 << 10) + '"}'))


def test_the_bundled_corpus_is_english_and_every_language_has_its_own() -> None:
    english = load_bundled_corpus()
    assert english.language == "en" and english.name == "bundled"
    assert bundled_languages()[0] == "en"
    for code in bundled_languages()[1:]:
        corpus = load_bundled_corpus(code)
        assert corpus.language == code and corpus.name == f"bundled:{code}" and not corpus.problems
        assert [n.id for n in corpus.negatives] == [n.id for n in english.negatives]  # the clips are language-free


def test_a_regional_tag_picks_its_language() -> None:
    assert load_bundled_corpus("en-GB").name == "bundled"
    for code in bundled_languages()[1:]:
        assert load_named_corpus(None, f"{code}-XX").language == code


def test_a_language_without_a_bundled_corpus_names_the_ones_there_are() -> None:
    with pytest.raises(CorpusError, match=r"no bundled corpus for language 'tlh' \(bundled: en"):
        load_named_corpus("bundled:tlh", None)
    with pytest.raises(CorpusError, match="no bundled corpus"):
        load_named_corpus(None, "tlh")


def test_corpus_spec_forms(tmp_path: Path) -> None:
    assert load_named_corpus("bundled", None).name == "bundled"
    assert load_named_corpus("bundled:en", None).name == "bundled"
    assert load_named_corpus(str(_corpus_dir(tmp_path, '{"language": "de"}')), "de-AT").language == "de"


def test_a_language_the_corpus_is_not_in_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"--language fr but the corpus .* is in de"):
        load_named_corpus(str(_corpus_dir(tmp_path, '{"language": "de"}')), "fr")
    with pytest.raises(UsageError, match="--language de but the corpus bundled is in en"):
        load_named_corpus("bundled:en", "de")


def test_the_run_sends_the_given_language_else_the_corpus_s_else_english(tmp_path: Path) -> None:
    german = load_corpus(_corpus_dir(tmp_path, '{"language": "de"}'))
    (tmp_path / "plain").mkdir()
    unsaid = load_corpus(_corpus_dir(tmp_path / "plain", None))
    assert ValidateOptions().for_corpus(german).language == "de"
    assert ValidateOptions(language="de-CH").for_corpus(german).language == "de-CH"
    assert ValidateOptions().for_corpus(unsaid).language == "en"
    assert ValidateOptions().emulator_config().language == "en"  # HA always sends one

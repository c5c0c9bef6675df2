"""``--only`` and ``--repeat``: the corpus a run sends, shaped before it starts."""

from __future__ import annotations

import pytest

from tests.fake_servers import SPEECH, TEXT
from wyoming_rt.cli import main
from wyoming_rt.cli.corpus_options import only, repeat
from wyoming_rt.corpus import load_bundled_corpus
from wyoming_rt.records.corpus import Corpus, Utterance
from wyoming_rt.records.errors import UsageError


def corpus() -> Corpus:
    utterances = [Utterance(uid, TEXT, SPEECH) for uid in ("01_lights_slt", "02_lights_kal", "03_timer_slt")]
    return Corpus("c", utterances, negatives=[Utterance("negative/silence", "", SPEECH)])


def test_only_keeps_the_ids_any_glob_matches_in_corpus_order() -> None:
    chosen = only(corpus(), ["*_slt", "negative/*"])
    assert [u.id for u in chosen] == ["01_lights_slt", "03_timer_slt"]
    assert [n.id for n in chosen.negatives] == ["negative/silence"]
    assert chosen.name == "c (only *_slt, negative/*)"
    assert [n.id for n in only(corpus(), ["02*"]).negatives] == []  # a clip is an id like the others
    assert only(corpus(), []) == corpus()


def test_only_without_a_match_names_a_few_ids_in_one_line() -> None:
    with pytest.raises(UsageError) as error:
        only(load_bundled_corpus(), ["kitchen*"])
    message = str(error.value)
    assert message.startswith("--only kitchen*: no utterance id matches (the corpus has 38: 01_weather_kansas_slt, ")
    assert message.endswith(", ...)") and "\n" not in message and message.count(",") == 5


def test_repeat_sends_the_whole_corpus_n_times_with_numbered_ids() -> None:
    repeated = repeat(corpus(), 3)
    ids = [u.id for u in repeated]
    assert ids[:3] == ["01_lights_slt", "02_lights_kal", "03_timer_slt"]
    assert ids[3:] == [f"{uid}#{n}" for n in (2, 3) for uid in ids[:3]]
    assert all(u.audio == SPEECH and u.reference == TEXT for u in repeated)
    assert len(repeated.negatives) == 1 and repeat(corpus(), 1) == corpus()


def test_an_only_that_matches_nothing_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--stt", "127.0.0.1:1", "--tts", "127.0.0.1:1", "--only", "nothing*"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("wyoming-rt: error: --only nothing*: no utterance id matches") and err.count("\n") == 1


def test_repeat_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", "--repeat", "0"])
    assert exit_info.value.code == 2 and "--repeat" in capsys.readouterr().err

import pytest

from wyoming_rt.checks.scoring import normalize, score, score_corpus


def test_normaliser_makes_numbers_case_and_punctuation_agree() -> None:
    assert normalize("What is the weather in Kansas?") == normalize(" what is the weather in kansas")
    assert normalize("Set the heat to ten degrees") == normalize("set the heat to 10 degrees")
    assert normalize("Dim it to 50 percent.") == normalize("dim it to fifty percent")


def test_clock_times_agree_however_written() -> None:
    assert normalize("Wake me up at 7:30.") == normalize("wake me up at 7.30") == normalize("Wake me up at 7 30")
    assert normalize("a 2.5 degree change") == "a 2.5 degree change"  # one decimal digit: not a time


def test_raw_and_normalised_rates_differ_when_only_form_differs() -> None:
    s = score("Set a timer for 10 minutes.", " set a timer for ten minutes")
    assert s.wer == 0.0
    assert s.wer_raw == pytest.approx(3 / 6)  # "Set", "10", "minutes." differ as written


def test_wrong_word_counts() -> None:
    s = score("turn on the lights", "turn off the lights")
    assert s.wer == pytest.approx(0.25)
    assert s.cer is not None and 0 < s.cer < 0.25


def test_empty_hypothesis_is_all_deletions() -> None:
    assert score("open the garage door", "").wer == 1.0


def test_corpus_rate_weights_by_words_not_by_utterance() -> None:
    s = score_corpus(["a b c d e f g h i j", "k"], ["a b c d e f g h i j", "x"])
    assert s.wer == pytest.approx(1 / 11)


def test_reference_without_words_is_not_scored() -> None:
    assert score("", "anything").wer is None

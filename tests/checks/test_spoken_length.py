"""A text's length in letters of speech: syllabic scripts weighted, alphabetic ones as they are."""

from __future__ import annotations

from wyoming_rt.checks.spoken_length import spoken_letters, weighting_note


def test_alphabetic_text_counts_its_characters() -> None:
    for text in ("Turn off the living room lights.", "Schalte das Licht im Büro an.", "Включи свет на кухне."):
        assert spoken_letters(text) == len(text)
        assert weighting_note(text) == ""


def test_chinese_characters_count_as_syllables() -> None:
    assert spoken_letters("打开客厅的灯。") == 6 * 3 + 1  # six syllables and a full stop
    assert spoken_letters("把空调调到22度") == 6 * 3 + 2  # two digits are two letters
    assert weighting_note("打开灯") != ""


def test_kana_and_hangul() -> None:
    assert spoken_letters("キッチン") == 4 * 2
    assert spoken_letters("불 켜") == 3 + 1 + 3

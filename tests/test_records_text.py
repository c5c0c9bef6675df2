"""One check of whether a text can be passed on as UTF-8 (`wyoming_rt.records.text`)."""

from __future__ import annotations

import pytest

from wyoming_rt.records.text import first_unencodable, is_encodable


@pytest.mark.parametrize("text", ["", "turn on the lights", "küche 🏠", "\ufffd", "\0"])
def test_valid_unicode_is_encodable(text: str) -> None:
    assert is_encodable(text) and first_unencodable(text) is None


@pytest.mark.parametrize(("text", "at"), [("\ud800", 0), ("ab\udc80cd", 2), ("lights\udfff", 6)])
def test_a_lone_surrogate_is_not_and_its_place_is_named(text: str, at: int) -> None:
    assert not is_encodable(text)
    assert first_unencodable(text) == at

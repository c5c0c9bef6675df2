"""Where the TTS server cuts streamed text into pieces (`tts_segments.ClauseSegmenter`)."""

from __future__ import annotations

import pytest

from wyoming_rt.llm_stream import ha_tts_chunks, token_deltas
from wyoming_rt.servers.tts_segments import MAX_PIECE_CHARS, ClauseSegmenter, PieceLimits, segment


def streamed(text: str, deltas: list[str] | None = None) -> list[tuple[int, str]]:
    """Each piece with the number of deltas that had been added when it came out."""
    segmenter = ClauseSegmenter()
    out: list[tuple[int, str]] = []
    for count, delta in enumerate(deltas if deltas is not None else token_deltas(text), start=1):
        out += [(count, piece) for piece in segmenter.add(delta)]
    return out + [(-1, piece) for piece in segmenter.finish()]


def test_the_first_piece_ends_at_the_first_clause_boundary_after_enough_words() -> None:
    text = "Sure, the front door is locked, and the alarm is armed for the night. Anything else?"
    deltas = token_deltas(text)
    pieces = streamed(text, deltas)
    assert [p for _, p in pieces] == [
        "Sure, the front door is locked,",  # "Sure," alone is too short to sound natural
        "and the alarm is armed for the night.",
        "Anything else?",
    ]
    first_at = pieces[0][0]
    assert "".join(deltas[:first_at]).endswith("locked, and")  # out with the token that begins the next word
    assert pieces[1][0] > first_at


def test_a_sentence_end_ends_a_piece_whatever_its_length() -> None:
    assert segment("Done. The lights are off.") == ["Done.", "The lights are off."]


@pytest.mark.parametrize(
    "text",
    [
        "It is 3.5 degrees outside at 10:30 this morning and 1,000 people agree.",
        "Dr. Smith and Mrs. J. Doe, e.g. the neighbours, met at 7 a.m. today.",
        "Version 2.10.3 is installed on No. 5 and U.S. servers.",
    ],
)
def test_numbers_abbreviations_and_initials_are_never_cut(text: str) -> None:
    segmenter = ClauseSegmenter(PieceLimits(first_piece_words=0))  # no word-count cut in these short texts
    pieces = [piece for delta in token_deltas(text) for piece in segmenter.add(delta)] + segmenter.finish()
    assert " ".join(pieces) == text
    assert all(p.endswith((",", ".")) for p in pieces)  # only at real boundaries
    for word in ("3.5", "10:30", "1,000", "Dr. Smith", "Mrs. J. Doe", "e.g. the", "7 a.m. today", "2.10.3", "No. 5", "U.S."):
        if word in text:
            assert any(word in p for p in pieces), (word, pieces)


def test_an_unpunctuated_answer_still_starts_and_is_cut_into_bounded_pieces() -> None:
    words = [f"word{i}" for i in range(60)]
    pieces = [p.split() for _, p in streamed(" ".join(words))]
    limits = PieceLimits()
    assert len(pieces[0]) == limits.first_piece_words
    assert all(len(p) <= limits.max_piece_words for p in pieces)
    assert [w for p in pieces for w in p] == words  # cut at word gaps, nothing lost or split


def test_a_clause_end_already_there_is_preferred_to_a_cut_at_the_word_limit() -> None:
    text = "The front door is locked and the alarm is armed, so the house is secure for the night."
    clause = "The front door is locked and the alarm is armed,"  # 10 words: past the first piece's limit of 8
    assert streamed(text, [text])[0][1] == clause  # all there at once (HA's first chunk holds 60 characters)
    assert streamed(text, ha_chunk_texts(text))[0][1] == clause
    one_by_one = streamed(text)  # token by token, the 8th word is cut as soon as it is complete
    assert one_by_one[0][1] == "The front door is locked and the alarm"


def ha_chunk_texts(text: str) -> list[str]:
    return [chunk.text for chunk in ha_tts_chunks(text)]


def test_later_sentences_are_cut_at_their_clauses_too() -> None:
    text = (
        "The lights are off. In the kitchen the oven is still on, the dishwasher has finished its cycle, "
        "the fridge door is closed; and the back door, which was open an hour ago, is now locked."
    )
    assert segment(text) == [
        "The lights are off.",
        "In the kitchen the oven is still on,",
        "the dishwasher has finished its cycle,",
        "the fridge door is closed;",
        "and the back door,",
        "which was open an hour ago,",
        "is now locked.",  # 3 words, but a sentence end
    ]


def test_a_clause_mark_needs_enough_words_in_the_piece() -> None:
    assert segment("Yes, ok, the porch light is on, and so is the hall.") == [
        "Yes, ok, the porch light is on,",
        "and so is the hall.",
    ]


def test_dashes_line_breaks_and_markdown() -> None:
    text = "Here is what I found:\n- **Kitchen**: lights on\n- Hallway: lights off\nThe porch light—it is on—stays on."
    assert segment(text) == ["Here is what I found:", "Kitchen: lights on", "Hallway: lights off", "The porch light—it is on—", "stays on."]  # fmt: skip


def test_a_piece_never_passes_its_character_bound() -> None:
    long_words = " ".join(["supercalifragilistic"] * 30)
    assert all(len(p) <= MAX_PIECE_CHARS for p in segment(long_words))
    blob = "x" * (3 * MAX_PIECE_CHARS + 7)
    assert [len(p) for p in segment(blob)] == [MAX_PIECE_CHARS] * 3 + [7]  # no word gap at all: hard cuts


def test_streamed_text_gives_the_pieces_of_the_whole_text() -> None:
    text = "Okay! I set the thermostat to 21.5 degrees, turned off the lights: all of them. Goodnight, Dr. Lee."
    for deltas in (token_deltas(text), list(text), [text]):
        assert [p for _, p in streamed(text, deltas)] == segment(text)

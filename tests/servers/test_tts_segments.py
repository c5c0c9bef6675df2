from wyoming_rt.servers.tts_segments import _cut


def phonemes(text: str) -> list[str]:
    return list(text)  # one character per "phoneme" is enough to test the cutting rules


def test_cuts_after_a_clause_mark_before_the_target() -> None:
    sentence = phonemes("the front door is locked, and the alarm is armed and the lights are off.")
    head, tail = _cut(sentence, 30)
    assert "".join(head) == "the front door is locked,"
    assert head + tail == sentence


def test_cuts_at_a_word_gap_when_there_is_no_clause_mark() -> None:
    sentence = phonemes("turn off every light in the house and then lock all of the doors please.")
    head, tail = _cut(sentence, 24)
    assert "".join(head) == "turn off every light in"  # the last word gap within 24
    assert "".join(head) + " " + "".join(tail) == "".join(sentence)


def test_short_sentences_are_not_cut() -> None:
    sentence = phonemes("lights off.")
    assert _cut(sentence, 24) == (sentence, [])


def test_no_cut_leaves_a_tiny_tail() -> None:
    sentence = phonemes("a sentence of about thirty chars.")  # 33 < 30 + a minimum tail of 10
    head, tail = _cut(sentence, 30)
    assert tail == [] and head == sentence


def test_every_long_sentence_is_split_into_bounded_pieces() -> None:
    from wyoming_rt.servers.tts_segments import split_long

    unpunctuated = phonemes(" ".join(["lights"] * 3_000))  # 20,999 "phonemes", one sentence
    pieces = split_long(unpunctuated, 400)
    assert max(len(p) for p in pieces) <= 400 and len(pieces) >= 20_999 // 400
    assert " ".join("".join(p) for p in pieces) == "".join(unpunctuated)  # cut at word gaps, nothing lost
    no_gaps = phonemes("x" * 1_000)
    assert [len(p) for p in split_long(no_gaps, 400)] == [400, 400, 200]  # hard cuts when there is no gap
    assert split_long(phonemes("short."), 400) == [phonemes("short.")]

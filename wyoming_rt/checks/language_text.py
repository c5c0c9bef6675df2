"""Transcript normalisation for any language, so that WER and CER count misheard words, not spelling.

A reference writes "Stelle die Heizung auf 21 Grad." and a server may answer "stelle die heizung
auf einundzwanzig grad": the same words. `normalize_for_language` folds what does not change the
words: Unicode compatibility forms (NFKC: full-width digits and letters), case (``str.casefold``,
so "Straße" and "Strasse" agree), punctuation and symbols (every Unicode P* and S* character,
full-width ones too), numbers written in digits (spelled out in the language's words, after which
"%" and "°" become the language's words for percent and degrees), traditional Chinese characters
(simplified) and the grammatical forms of "one" and "two" (also the indefinite article in
de/fr/es/it/pt). Diacritics are kept, as Whisper's BasicTextNormalizer keeps them for its
multilingual evaluation: "Küche" for "Kuche" is a real error.

Libraries (each pure Python; none downloads anything):
- num2words spells numbers for the languages it has (de, fr, es, it, nl, pl, pt, ru, ja and 45
  more, regional variants such as pt_BR and fr_CH included): its decimals read as people say them
  ("три целых пять десятых", "trzy przecinek pięć"), where the CLDR rules fail for fr, pl and ru.
- unicode-rbnf (CLDR's rule-based number formats, the formatter Home Assistant's hassil uses)
  for the languages num2words lacks (zh, yue, km, lo, my and some 40 more) and where num2words
  fails on a number (Italian decimals, Polish negatives).
- opencc-python-reimplemented (OpenCC's dictionaries, Apache-2.0) turns traditional Chinese into
  simplified; zhconv is faster but GPL.

English is not handled here: `normalize_for_language` gives it (and an unknown language) to
Whisper's English normaliser, as `scoring.normalize` does, so that the function is total.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, NamedTuple

import num2words
import regex
from opencc import OpenCC
from unicode_rbnf import RbnfEngine
from unicode_rbnf.engine import RbnfError
from whisper_normalizer.english import EnglishTextNormalizer

from wyoming_rt.records.language import base_language

_UNSPACED = frozenset({"zh", "yue", "ja", "th", "lo", "km", "my", "bo"})
"""Languages written without spaces between words: their normalised text has no spaces, and
their headline error rate is CER (a "word" error rate would count whole sentences)."""

_HAN_SIMPLIFIED = frozenset({"zh", "yue"})
"""Languages whose traditional characters are folded into simplified ones."""

_DECIMAL_POINT = frozenset({"en", "zh", "yue", "ja", "ko", "th", "lo", "km", "my", "he", "hi", "bn", "ta", "te", "kn", "ur", "ne", "ms",
                            "fil", "ga", "cy", "mt", "sw"})  # fmt: skip
"""Languages whose decimal separator is a point, so a comma between digit groups is a thousands
separator ("1,000"). Everywhere else "3,5" and "3.5" are both decimals and "1.000" is a thousand."""

MAX_DIGITS = 15
"""Numbers with more digits are left in digits: the spelling libraries go through floats (exact
to 15 digits) and some overflow; no spoken command has such numbers."""

MAX_SPELLED_DIGITS = 500
"""Digits spelled out per text; the numbers after them stay in digits. A text of 5,000 characters
of large numbers would otherwise cost 0.1-0.2 s (a number of 12 digits takes 0.3 ms to spell),
and a server can send one with every answer."""


def is_unspaced(language: str | None) -> bool:
    """Whether the language is written without spaces between words (zh, yue, ja, th, lo, km, my,
    bo): its normalised text has no spaces and CER is the figure that says how well it was heard."""
    return base_language(language) in _UNSPACED


@lru_cache(maxsize=1024)
def normalize_for_language(text: str, language: str | None) -> str:
    """``text`` normalised for scoring in ``language`` (a code such as "de", "pt-BR", "zh-Hant"):
    words joined by single spaces, or no spaces at all for an unspaced language. Kept for the texts
    seen last, as a run normalises each reference many times."""
    tag = _tag(language)
    if tag is None or tag.language == "en":
        return _english(text)
    lang = tag.language
    text = unicodedata.normalize("NFKC", _THIN_THOUSANDS.sub("", text))
    if lang in _HAN_SIMPLIFIED:
        text = _t2s().convert(text)
    text = _spell_numbers(text, tag).casefold()
    for pattern, replacement in _TEXT_FOLDS.get(lang, ()):
        text = pattern.sub(replacement, text)
    text = _CONTROL.sub("", _PUNCTUATION.sub(" ", text))
    folds = _WORD_FOLDS.get(lang, {})
    words = [folds.get(word, word) for word in text.split()]
    return ("" if lang in _UNSPACED else " ").join(words)


class _Tag(NamedTuple):
    language: str
    region: str | None


def _tag(code: str | None) -> _Tag | None:
    parts = (code or "").strip().replace("_", "-").split("-")
    if not parts[0]:
        return None
    region = next((p.upper() for p in parts[1:] if (len(p) == 2 and p.isalpha()) or (len(p) == 3 and p.isdigit())), None)
    return _Tag(parts[0].lower(), region)


# English: Whisper's English normaliser, clock times split first (it keeps "7.30" as a decimal
# and splits "7:30" into two words), whitespace folded.
_CLOCK_TIME_EN = re.compile(r"\b([01]?\d|2[0-3])[:.]([0-5]\d)\b")


@lru_cache(maxsize=1)
def _english_normalizer() -> EnglishTextNormalizer:
    return EnglishTextNormalizer()


def _english(text: str) -> str:
    return " ".join(_english_normalizer()(_CLOCK_TIME_EN.sub(r"\1 \2", text)).split())


@lru_cache(maxsize=1)
def _t2s() -> Any:
    return OpenCC("t2s")


# Punctuation and symbols become spaces (after the numbers, whose separators and signs they are);
# a zero-width space separates words too. Other invisible format characters go.
_PUNCTUATION = regex.compile(r"[\p{P}\p{S}\u200b]+")
_CONTROL = regex.compile(r"\p{Cf}+")

# Thousands separated by a thin or no-break space (as typeset French and Polish write them):
# unambiguous before NFKC turns those spaces into plain ones.
_THIN_THOUSANDS = re.compile(r"(?<=\d)[\u00a0\u202f\u2009](?=\d{3}(?!\d))")


# --- numbers ---------------------------------------------------------------------------------

_Speller = Callable[[Decimal], str]


def _num2words_speller(name: str) -> _Speller:
    def spell(number: Decimal) -> str:
        # A whole number goes in as an int: num2words is 15 times slower on a Decimal.
        whole = number == number.to_integral_value()
        return str(num2words.num2words(int(number) if whole else number, lang=name))

    return spell


@lru_cache(maxsize=16)
def _rbnf_engine(name: str) -> RbnfEngine:
    return RbnfEngine.for_language(name)


def _rbnf_speller(name: str) -> _Speller:
    def spell(number: Decimal) -> str:
        engine = _rbnf_engine(name)
        try:  # the plain spelling alone: formatting with every ruleset costs several times more
            return engine.format_number(number, ruleset_names=["spellout-numbering"]).text
        except (RbnfError, ValueError):  # some languages spell decimals only in their cardinal rules
            return engine.format_number(number).text

    return spell


@lru_cache(maxsize=1)
def _rbnf_languages() -> frozenset[str]:
    return frozenset(RbnfEngine.get_supported_languages())


# The CLDR rules for Chinese in simplified characters (the text is folded into them first).
_RBNF_NAMES = {"zh": "zh", "yue": "yue_Hans"}


@lru_cache(maxsize=64)
def _spellers(tag: _Tag) -> tuple[_Speller, ...]:
    """The number spellers for a language, best first: num2words (regional variant first), then
    CLDR's rules."""
    names = [f"{tag.language}_{tag.region}", tag.language] if tag.region else [tag.language]
    spellers = [_num2words_speller(n) for n in names if n in num2words.CONVERTER_CLASSES][:1]
    rbnf = [_RBNF_NAMES.get(tag.language, n) for n in names]
    spellers += [_rbnf_speller(n) for n in rbnf if n in _rbnf_languages()][:1]
    return tuple(spellers)


@lru_cache(maxsize=4096)
def _spell(tag: _Tag, number: Decimal) -> str | None:
    """``number`` in words, or ``None`` when no library spells it. A speller whose words for a
    fraction are its words for the whole part (num2words drops Italian decimals) is passed over."""
    whole = number.to_integral_value(rounding=ROUND_DOWN)
    for speller in _spellers(tag):
        try:
            words = speller(number)
            if number != whole and words == speller(whole):
                continue
        except Exception:  # a library's failure on one number leaves the digits
            continue
        if words.strip():
            return words
    return None


def _plural(language: str, number: Decimal) -> str:
    """The CLDR plural category of ``number`` that the unit words below need: "one", "few",
    "many" (Slavic), "fraction" (a Slavic non-integer: genitive singular) or "other"."""
    n = abs(number)
    if language in ("ru", "uk", "be", "pl", "cs"):
        if n != n.to_integral_value():
            return "fraction"
        i = int(n)
        one = i == 1 if language in ("pl", "cs") else i % 10 == 1 and i % 100 != 11
        if one:
            return "one"
        if 2 <= i % 10 <= 4 and not 12 <= i % 100 <= 14 and (language != "cs" or i < 5):
            return "few"
        return "many"
    if language == "fr":
        return "one" if n < 2 else "other"
    return "one" if n == 1 else "other"


class _Unit(NamedTuple):
    forms: Mapping[str, str]
    """Word by plural category ("other" for the rest)."""
    before: bool = False
    """Written before the number ("百分之五十")."""

    def word(self, language: str, number: Decimal) -> str:
        return self.forms.get(_plural(language, number), self.forms["other"])


def _u(other: str, **forms: str) -> _Unit:
    return _Unit({"other": other, **forms})


# "%" and "°" (also "°C") in words, as usage writes them: "50 %" is read "fünfzig Prozent",
# "21 °C" "einundzwanzig Grad". Languages missing here keep the number and lose the sign.
_PERCENT: dict[str, _Unit] = {
    "de": _u("Prozent"),
    "fr": _u("pour cent"),
    "es": _u("por ciento"),
    "it": _u("per cento"),
    "nl": _u("procent"),
    "pl": _u("procent"),
    "pt": _u("por cento"),
    "ru": _u("процентов", one="процент", few="процента", fraction="процента"),
    "uk": _u("відсотків", one="відсоток", few="відсотки", fraction="відсотка"),
    "cs": _u("procent", one="procento", few="procenta", fraction="procenta"),
    "zh": _Unit({"other": "百分之"}, before=True),
    "yue": _Unit({"other": "百分之"}, before=True),
    "ja": _u("パーセント"),
}
_DEGREE: dict[str, _Unit] = {
    "de": _u("Grad"),
    "fr": _u("degrés", one="degré"),
    "es": _u("grados", one="grado"),
    "it": _u("gradi", one="grado"),
    "nl": _u("graden", one="graad"),
    "pl": _u("stopni", one="stopień", few="stopnie", fraction="stopnia"),
    "pt": _u("graus", one="grau"),
    "ru": _u("градусов", one="градус", few="градуса", fraction="градуса"),
    "uk": _u("градусів", one="градус", few="градуси", fraction="градуса"),
    "cs": _u("stupňů", one="stupeň", few="stupně", fraction="stupně"),
    "zh": _u("度"),
    "yue": _u("度"),
    "ja": _u("度"),
}

# Clock times "7:30" and "7.30" are two numbers; where a language reads the hour with a word
# ("sieben Uhr dreißig", "sept heures trente", "七点三十分"), that word is put in (and a written
# one after the time, "7:30 Uhr", taken in). Minutes ":00" are not read.
_CLOCK: dict[str, tuple[_Unit, str, str]] = {
    # language: (hour word, minute word, written hour word that may follow the time)
    "de": (_u("Uhr"), "", r"\s?[Uu]hr\b"),
    "fr": (_u("heures", one="heure"), "", ""),
    "zh": (_u("点"), "分", ""),
    "yue": (_u("点"), "分", ""),
    "ja": (_u("時"), "分", ""),
}


class _NumberPatterns(NamedTuple):
    clock: re.Pattern[str]
    number: re.Pattern[str]


@lru_cache(maxsize=64)
def _patterns(language: str) -> _NumberPatterns:
    point = language in _DECIMAL_POINT
    thousands = r"," if point else r"\."
    decimal = r"\." if point else r"[.,]"
    hour_word = _CLOCK.get(language, (None, "", ""))[2]
    clock = rf"(?<!\d)(?<!\d[.,:])(?P<h>[01]?\d|2[0-3])[:.](?P<m>[0-5]\d)(?![\d]|[.,:]\d)(?:{hour_word})?"
    if language == "fr":  # "7h30", "7 h 30", "21h"
        clock = rf"(?:{clock}|(?<!\d)(?<!\d[.,:])(?P<fh>[01]?\d|2[0-3])\s?h(?:\s?(?P<fm>[0-5]\d))?(?![^\W_]))"
    number = (
        r"(?:(?<![^\s(])(?P<sign>[-−]))?(?<!\d)"
        rf"(?P<int>\d{{1,3}}(?:{thousands}\d{{3}})+(?!\d)|\d{{1,3}}(?: \d{{3}})+(?!\d)|\d+)"
        rf"(?:{decimal}(?P<frac>\d+))?(?!\d)"
        r"(?:\s?(?P<unit>%|°(?:\s?[CcFf](?![^\W\d_]))?))?"
    )
    return _NumberPatterns(re.compile(clock), re.compile(number))


def _spell_numbers(text: str, tag: _Tag) -> str:
    if not any(c.isdigit() for c in text):
        return text
    patterns = _patterns(tag.language)

    def clock(m: re.Match[str]) -> str:
        hour, minute = (m["h"], m["m"]) if m["h"] else (m["fh"], m["fm"])
        return _clock_words(tag, int(hour), int(minute or 0)) or m[0]

    budget = MAX_SPELLED_DIGITS

    def number(m: re.Match[str]) -> str:
        nonlocal budget
        budget -= sum(c.isdigit() for c in m[0])
        return (_number_words(tag, m["sign"], m["int"], m["frac"], m["unit"]) if budget >= 0 else None) or m[0]

    return patterns.number.sub(number, patterns.clock.sub(clock, text))


def _clock_words(tag: _Tag, hour: int, minute: int) -> str | None:
    hour_words, minute_words = _spell(tag, Decimal(hour)), _spell(tag, Decimal(minute))
    if hour_words is None or minute_words is None:
        return None
    hour_unit, minute_unit, _ = _CLOCK.get(tag.language, (None, "", ""))
    words = f" {hour_words} "
    if hour_unit:
        words += hour_unit.word(tag.language, Decimal(hour)) + " "
    if minute:
        words += f"{minute_words}{minute_unit} "
    return words


def _number_words(tag: _Tag, sign: str | None, whole: str, fraction: str | None, unit: str | None) -> str | None:
    digits = re.sub(r"\D", "", whole)
    if len(digits) + len(fraction or "") > MAX_DIGITS:
        return None
    try:
        number = Decimal(f"{'-' if sign else ''}{digits}{'.' + fraction if fraction else ''}")
    except InvalidOperation:
        return None
    words = _spell(tag, number)
    if words is None:
        return None
    if unit:
        table = _PERCENT if unit == "%" else _DEGREE if unit.startswith("°") else {}
        spec = table.get(tag.language)
        if spec is None:
            words += f" {unit}"
        elif spec.before:
            words = spec.word(tag.language, number) + words
        else:
            words += " " + spec.word(tag.language, number)
    return f" {words} "


# --- folds after case folding ---------------------------------------------------------------

# Whole words: the forms of "one" and "two" by gender and case (the number words spelled from
# digits have one form: "1 Stunde" is "eins stunde", a server writes "eine Stunde"; in de, fr,
# es, it and pt the same words are the indefinite article, folded alike on both sides), and
# spelling variants of the same number (pt-BR "dezesseis", pt-PT "dezasseis").
_WORD_FOLDS: dict[str, dict[str, str]] = {
    "de": dict.fromkeys(("ein", "eine", "einen", "einem", "einer", "eines"), "eins") | {"zwo": "zwei"},
    "fr": {"une": "un"},
    "es": {"un": "uno", "una": "uno", "veintiún": "veintiuno", "veintiuna": "veintiuno"},
    "it": {"un": "uno", "una": "uno", "ventun": "ventuno", "ventuna": "ventuno", "percento": "per cento"},
    "pt": {
        "uma": "um",
        "duas": "dois",
        "dezesseis": "dezasseis",
        "dezessete": "dezassete",
        "dezenove": "dezanove",
        "quatorze": "catorze",
    },
    "ru": {"одна": "один", "одно": "один", "одну": "один", "две": "два"},
    "uk": {"одна": "один", "одне": "один", "одну": "один", "дві": "два"},
    "pl": {"jedna": "jeden", "jedno": "jeden", "jedną": "jeden", "dwie": "dwa"},
}

# Inside words: a leading "one" before hundred or thousand that people leave out ("hundertachtzig"
# for num2words' "einhundertachtzig", "тысяча" for "одна тысяча"), Dutch "één" for "een" (also
# inside "honderdéén"), Chinese 两 for 二 and 〇 for 零 (CLDR writes 二千〇二十四, people 两千零二十四).
_TEXT_FOLDS: dict[str, tuple[tuple[re.Pattern[str], str], ...]] = {
    "de": ((re.compile(r"\bein(?=hundert|tausend)"), ""),),
    "ru": ((re.compile(r"\bодна тысяча\b"), "тысяча"),),
    "uk": ((re.compile(r"\bодна тисяча\b"), "тисяча"),),
    "nl": ((re.compile("één"), "een"),),
    "zh": ((re.compile("两"), "二"), (re.compile("〇"), "零")),
    "yue": ((re.compile("两"), "二"), (re.compile("〇"), "零")),
}

"""Which language a transcript is in, to catch a server that answers in another language than
the one HA asked for (a dropped language code: Whisper auto-detects or translates; an English-only
model).

Language identification is lingua's (``lingua-language-detector``: n-gram models of 75 languages,
offline, calibrated confidences; chosen over langid/fastText for its accuracy on the short texts
voice commands are). One transcript is too short to judge alone ("Is the garage door open?" reads
as Dutch), so each utterance only says which language its transcript most likely is, when its
reference is recognisably in the language asked for, and `wrong_language_findings` judges the run.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from wyoming_rt.checks.scoring import cap_text
from wyoming_rt.records.findings import Finding, finding
from wyoming_rt.records.language import base_language
from wyoming_rt.records.rules import STT_WRONG_LANGUAGE

if TYPE_CHECKING:
    from lingua import LanguageDetector

CANDIDATES = ("en", "de", "fr", "es", "it", "nl", "pl", "pt", "ru", "zh", "ja")
"""The languages a transcript is told apart from (plus the one asked for): the ones Home Assistant
users most often speak to it in. More candidates cost memory (about 20 MB each) and blur short texts."""
MIN_CONFIDENCE = 0.5
"""A transcript is counted as in another language only when lingua gives it at least this."""
MIN_SHARE = 0.25
MIN_COUNT = 2
"""The run's transcripts are in another language when at least this share of the judged ones,
and at least this many, confidently are: a single misread short command is no verdict."""
MAX_JUDGED_CHARS = 500
"""Each text is judged over its beginning only (detection time grows with the length)."""


@dataclass(frozen=True)
class LanguageVerdict:
    """One utterance's transcript: the language lingua finds most likely, and how sure it is."""

    language: str
    confidence: float


_lock = threading.Lock()


@lru_cache(maxsize=4)
def _detector(asked: str) -> LanguageDetector | None:
    """lingua's detector over `CANDIDATES` and ``asked``; ``None`` when lingua does not know ``asked``."""
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    def language(code: str) -> Language | None:
        iso = getattr(IsoCode639_1, code.upper(), None)
        return None if iso is None else Language.from_iso_code_639_1(iso)

    if language(asked) is None:
        return None
    languages = {lang for code in (*CANDIDATES, asked) if (lang := language(code)) is not None}
    # every model loaded now: loading holds the GIL, and lazily it would happen mid-analysis
    return LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models().build()


def prepare_language_check(asked: str | None) -> None:
    """Build the detector for ``asked`` now (about a second of CPU, holding the GIL, and 200 MB):
    a run calls this before its measured phases, so that the analysis beside them finds it ready."""
    code = base_language(asked)
    if code is not None:
        with _lock:
            _detector(code)


def _top(detector: LanguageDetector, text: str) -> LanguageVerdict | None:
    values = detector.compute_language_confidence_values(cap_text(text)[:MAX_JUDGED_CHARS])
    if not values:
        return None
    top = values[0]
    return LanguageVerdict(top.language.iso_code_639_1.name.lower(), float(top.value))


def transcript_language(reference: str, transcript: str, asked: str | None) -> LanguageVerdict | None:
    """The language ``transcript`` is most likely in, when it can be judged: lingua knows the
    language ``asked`` and finds ``reference`` in it, and the transcript has letters. ``None``
    otherwise (the utterance does not count either way)."""
    code = base_language(asked)
    if code is None or not any(ch.isalpha() for ch in transcript):
        return None
    with _lock:  # lingua's detector is built once; the analysis may run in several threads
        detector = _detector(code)
    if detector is None:
        return None
    reference_language = _top(detector, reference)
    if reference_language is None or reference_language.language != code:
        return None
    return _top(detector, transcript)


def wrong_language_findings(verdicts: Sequence[tuple[str, str, LanguageVerdict | None]], asked: str | None) -> list[Finding]:
    """`STT_WRONG_LANGUAGE` when the run's transcripts are in another language than ``asked``:
    ``verdicts`` are ``(utterance id, transcript, verdict)``; at least `MIN_COUNT` and `MIN_SHARE`
    of the judged ones confidently in one other language."""
    code = base_language(asked)
    judged = [(uid, text, v) for uid, text, v in verdicts if v is not None]
    other = [(uid, text, v) for uid, text, v in judged if v.language != code and v.confidence >= MIN_CONFIDENCE]
    if code is None or len(other) < MIN_COUNT or len(other) < MIN_SHARE * len(judged):
        return []
    language, count = Counter(v.language for _, _, v in other).most_common(1)[0]
    uid, text, _ = next(item for item in other if item[2].language == language)
    example = text.strip()[:80]
    message = (
        f"asked for {asked!r}; {len(other)} of {len(judged)} transcripts are in another language"
        f" ({count} in {language!r}), e.g. {uid}: {example!r}"
    )
    return [finding(STT_WRONG_LANGUAGE, message)]

"""The language rules: what a server's info lists for the language HA asks for, and a run whose
transcripts are in another language than the one asked for."""

from __future__ import annotations

from typing import Any

from wyoming_rt.checks.protocol import check_stt_info, check_tts_info
from wyoming_rt.checks.transcript_language import transcript_language, wrong_language_findings
from wyoming_rt.records.language import base_language, listed_language, same_language


def _stt_info(*languages: Any, installed: bool = True) -> dict[str, Any]:
    model = {"name": "m", "installed": installed, "languages": list(languages), "attribution": {}}
    return {"asr": [{"name": "p", "installed": True, "models": [model], "attribution": {}}]}


def _tts_info(*languages: Any) -> dict[str, Any]:
    voice = {"name": "v", "installed": True, "languages": list(languages), "attribution": {}}
    return {"tts": [{"name": "p", "installed": True, "voices": [voice], "attribution": {}}]}


def _rules(findings: list[Any]) -> list[str]:
    return [f.rule for f in findings]


def test_language_tags_compare_by_their_language() -> None:
    assert base_language("de-DE") == "de" and base_language("pt_BR") == "pt" and base_language("zh-Hans") == "zh"
    assert base_language(None) is None and base_language("  ") is None
    assert same_language("de", "de_CH") and same_language("EN-us", "en")
    assert not same_language("de", "en") and not same_language(None, None)


def test_stt_info_must_list_the_language_asked_for() -> None:
    assert _rules(check_stt_info(_stt_info("en"), None, "de")) == ["info.language-not-listed"]
    assert check_stt_info(_stt_info("en"), None, "en-US") == []
    assert check_stt_info(_stt_info("de_DE", "fr"), None, "de") == []
    assert check_stt_info(_stt_info("en"), None) == []  # no language asked: nothing to check
    # junk in the list is skipped, not trusted; the message names what is listed
    (found,) = check_stt_info(_stt_info(5, None, "fr"), None, "de")
    assert found.rule == "info.language-not-listed" and "'fr'" in found.message and "'de'" in found.message


def test_stt_language_counts_only_for_installed_models() -> None:
    assert _rules(check_stt_info(_stt_info("de", installed=False), None, "de")) == ["info.no-asr-program"]


def test_tts_without_a_voice_in_the_language_is_a_warning() -> None:
    (found,) = check_tts_info(_tts_info("en_US"), None, "de")
    assert (found.rule, found.severity) == ("info.tts-language-not-listed", "warning")
    assert check_tts_info(_tts_info("en_US"), None, "en") == []
    assert check_tts_info(_tts_info("de_DE"), None, "de") == []


GERMAN = [
    "Schalte das Licht in der Küche aus.",
    "Stelle die Heizung im Wohnzimmer auf 21 Grad.",
    "Wie spät ist es?",
    "Öffne die Rollläden im Schlafzimmer.",
    "Starte einen Timer für 10 Minuten.",
    "Wie ist das Wetter morgen?",
    "Mach den Ventilator im Büro an.",
    "Ist die Haustür abgeschlossen?",
]
ENGLISH = [
    "Turn off the light in the kitchen.",
    "Set the heating in the living room to 21 degrees.",
    "What time is it?",
    "Open the shutters in the bedroom.",
    "Start a timer for 10 minutes.",
    "What is the weather like tomorrow?",
    "Turn on the fan in the office.",
    "Is the front door locked?",
]


def _verdicts(references: list[str], transcripts: list[str], asked: str) -> list[Any]:
    return [(f"u{i}", t, transcript_language(r, t, asked)) for i, (r, t) in enumerate(zip(references, transcripts, strict=True))]


def test_a_run_answered_in_english_is_caught() -> None:
    (found,) = wrong_language_findings(_verdicts(GERMAN, ENGLISH, "de"), "de")
    assert found.rule == "stt.wrong-language" and found.utterance is None
    assert "'en'" in found.message and "of 8 transcripts" in found.message


def test_a_run_answered_in_the_language_asked_for_is_not() -> None:
    misheard = [t.replace("Küche", "Kirche").replace("21", "20") for t in GERMAN]  # errors, same language
    assert wrong_language_findings(_verdicts(GERMAN, misheard, "de-DE"), "de-DE") == []


def test_one_transcript_in_another_language_is_no_verdict() -> None:
    mixed = [*GERMAN[:-1], ENGLISH[-1]]
    assert wrong_language_findings(_verdicts(GERMAN, mixed, "de"), "de") == []


def test_nothing_is_judged_without_letters_or_for_a_language_lingua_lacks() -> None:
    assert transcript_language(GERMAN[0], "", "de") is None
    assert transcript_language(GERMAN[0], "21 %", "de") is None
    assert transcript_language(GERMAN[0], ENGLISH[0], "tlh") is None  # Klingon: unknown to lingua
    assert wrong_language_findings(_verdicts(GERMAN, ENGLISH, "tlh"), "tlh") == []


def test_a_reference_not_in_the_language_asked_for_is_not_judged() -> None:
    """A corpus labelled German whose texts are English cannot tell a server's language."""
    assert transcript_language(ENGLISH[1], ENGLISH[1], "de") is None


def test_chinese_answered_in_english_is_caught() -> None:
    chinese = ["把客厅的温度调到21度", "打开厨房的灯", "现在几点了", "关闭卧室的窗帘"]
    (found,) = wrong_language_findings(_verdicts(chinese, ENGLISH[:4], "zh"), "zh")
    assert "'en'" in found.message


def test_ha_sends_the_tag_the_server_lists() -> None:
    assert listed_language("de-DE", ["en", "de"]) == "de"  # HA's pipeline holds the engine's own tag
    assert listed_language("de", ["de_DE", "de_CH"]) == "de_DE"
    assert listed_language("de-CH", ["de_DE", "de-CH"]) == "de-CH"  # listed as asked: as asked
    assert listed_language("fr", ["en"]) == "fr"  # not listed at all: sent as asked (info.language-not-listed says so)
    assert listed_language("de", None) == "de" and listed_language(None, ["de"]) is None

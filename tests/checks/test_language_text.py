import jiwer
import pytest

from wyoming_rt.checks.language_text import MAX_DIGITS, base_language, is_unspaced, normalize_for_language


def same(language: str, *texts: str) -> None:
    normalised = {normalize_for_language(t, language) for t in texts}
    assert len(normalised) == 1, normalised


def different(language: str, a: str, b: str) -> None:
    assert normalize_for_language(a, language) != normalize_for_language(b, language)


@pytest.mark.parametrize(
    ("code", "base"),
    [("de-DE", "de"), ("pt_BR", "pt"), ("zh-Hans", "zh"), ("zh-cn", "zh"), ("zh-TW", "zh"), ("EN", "en"), ("yue-Hant-HK", "yue"),
     (" fr ", "fr"), ("", None), (None, None)],
)  # fmt: skip
def test_base_language(code: str | None, base: str | None) -> None:
    assert base_language(code) == base


def test_unspaced_languages() -> None:
    assert all(is_unspaced(code) for code in ("zh", "zh-Hant", "ja-JP", "th", "lo", "km", "my", "yue", "bo"))
    assert not any(is_unspaced(code) for code in ("de", "en", "ko", "ru", "", None))


# --- German ---


def test_german_numbers_percent_and_degrees() -> None:
    same("de", "Stelle die Heizung im Wohnzimmer auf 21 Grad.", "stelle die heizung im wohnzimmer auf einundzwanzig grad")
    same("de", "21 Grad", "einundzwanzig Grad", "21°", "21 °C", "21℃")
    same("de", "50 %", "50%", "fünfzig Prozent", "５０％")
    same("de", "Stelle das Licht auf 50%.", "stelle das licht auf fünfzig prozent")
    same("de", "3,5 Grad", "3.5 Grad", "drei Komma fünf Grad")
    same("de", "-5 °C", "minus fünf Grad")
    same("de", "1.000 Watt", "1000 Watt", "1 000 Watt", "1\u202f000 Watt", "tausend Watt")
    same("de", "Ofen auf 180 Grad", "Ofen auf hundertachtzig Grad", "Ofen auf einhundertachtzig Grad")
    same("de", "in 1 Stunde", "in einer Stunde")
    different("de", "21 Grad", "22 Grad")
    different("de", "21 Grad", "zweiundzwanzig Grad")


def test_german_clock_times() -> None:
    # A time reads "sieben Uhr dreißig"; the "Uhr" written after it is taken in.
    same("de", "Weck mich um 7:30", "Weck mich um 7.30 Uhr", "weck mich um sieben Uhr dreißig", "Weck mich um 7 Uhr 30")
    same("de", "um 7:00 Uhr", "um sieben Uhr")
    different("de", "um 7:30", "um 7:45")


def test_german_case_sharp_s_and_diacritics() -> None:
    same("de", "Straße", "Strasse", "STRASSE")
    different("de", "Küche", "Kuche")  # a diacritic is a real error
    assert normalize_for_language("Schalte das Licht in der Küche aus!", "de-DE") == "schalte das licht in der küche aus"


# --- French ---


def test_french() -> None:
    same("fr", "21 degrés", "vingt et un degrés", "vingt-et-un degrés", "21°C")
    same("fr", "50 %", "50\u00a0%", "cinquante pour cent")
    same("fr", "Mets la lumière de la cuisine à 50 %.", "mets la lumière de la cuisine à cinquante pour cent")
    same("fr", "3,5", "3.5", "trois virgule cinq")
    same("fr", "Réveille-moi à 7h30", "réveille moi à 7:30", "Réveille-moi à sept heures trente")
    same("fr", "Allume l'éclairage", "allume l’éclairage", "Allume l éclairage")
    same("fr", "1 heure", "une heure")
    different("fr", "éclairage", "eclairage")


# --- Spanish, Italian, Dutch, Portuguese ---


def test_spanish() -> None:
    same("es", "Pon la calefacción a 21 grados", "pon la calefacción a veintiún grados", "pon la calefacción a veintiuno grados")
    same("es", "Sube la luz al 50 %", "sube la luz al cincuenta por ciento")
    same("es", "1 hora", "una hora")
    different("es", "21 grados", "22 grados")


def test_italian() -> None:
    same(
        "it",
        "Imposta il riscaldamento a 21 gradi",
        "imposta il riscaldamento a ventuno gradi",
        "imposta il riscaldamento a ventun gradi",
    )
    same("it", "Luce al 50 %", "luce al cinquanta per cento", "luce al cinquanta percento")
    same("it", "3,5 gradi", "tre virgola cinque gradi")  # num2words drops Italian decimals: CLDR's rules spell them
    same("it", "un'ora", "un ora", "una ora")


def test_dutch() -> None:
    same("nl", "Zet de verwarming op 21 graden", "zet de verwarming op eenentwintig graden")
    same("nl", "Licht op 50%", "licht op vijftig procent")
    same("nl", "1 lamp", "één lamp", "een lamp")


def test_portuguese() -> None:
    same("pt", "Coloca o aquecimento a 21 graus", "coloca o aquecimento a vinte e um graus")
    same("pt", "50 %", "cinquenta por cento")
    same("pt", "2 horas", "duas horas")
    same("pt-BR", "16 graus", "dezesseis graus", "dezasseis graus")  # Brazil and Portugal spell 16 apart
    same("pt-PT", "16 graus", "dezesseis graus", "dezasseis graus")


# --- Polish, Russian: the unit agrees with the number ---


def test_polish() -> None:
    same("pl", "Ustaw temperaturę na 21 stopni", "ustaw temperaturę na dwadzieścia jeden stopni", "ustaw temperaturę na 21°")
    same("pl", "22°", "dwadzieścia dwa stopnie")
    same("pl", "1°", "jeden stopień")
    same("pl", "Światło na 50 %", "światło na pięćdziesiąt procent")
    same("pl", "3,5", "trzy przecinek pięć")
    same("pl", "-5", "minus pięć")  # num2words fails on Polish negatives: CLDR's rules spell them
    same("pl", "2 minuty", "dwie minuty")


def test_russian() -> None:
    same("ru", "Установи температуру 21 градус", "установи температуру двадцать один градус", "Установи температуру 21°")
    same("ru", "5°", "пять градусов")
    same("ru", "2°", "два градуса")
    same("ru", "50 %", "пятьдесят процентов")
    same("ru", "21 %", "двадцать один процент")
    same("ru", "3,5 %", "три целых пять десятых процента")
    same("ru", "на 1 минуту", "на одну минуту")
    same("ru", "1000", "тысяча")
    different("ru", "21 градус", "22 градуса")


# --- Chinese and Japanese: no spaces, CER ---


def test_chinese() -> None:
    same("zh", "把客厅的温度调到21度", "把客廳的溫度調到二十一度", "把客厅的温度调到 21 度。", "把客厅的温度调到21°C")
    same("zh-TW", "把客厅的温度调到21度", "把客廳的溫度調到二十一度")
    assert normalize_for_language("打开灯，好吗？好。", "zh") == "打开灯好吗好"
    same("zh", "亮度调到50%", "亮度调到百分之五十")
    same("zh", "七点三十分", "7:30")
    same("zh", "2024", "两千零二十四", "二千〇二十四")
    different("zh", "21度", "22度")


def test_japanese() -> None:
    same("ja", "温度を２１度に設定して。", "温度を21度に設定して", "温度を二十一度に設定して")
    assert " " not in normalize_for_language("電気を つけて 、 ください", "ja")


def test_other_languages_spell_digits_when_a_library_can() -> None:
    same("el", "Ρύθμισε στους 21 βαθμούς.", "ρύθμισε στους είκοσι ένα βαθμούς")  # num2words has no Greek: CLDR does
    assert normalize_for_language("Code 21, bitte!", "xx") == "code 21 bitte"  # no library: digits kept


def test_english_is_whispers_normaliser() -> None:
    same("en", "Set the heat to ten degrees.", "set the heat to 10 degrees")
    same("en-US", "Wake me up at 7:30", "wake me up at 7 30")
    same(None, "Dim it to 50 percent.", "dim it to fifty percent")  # None: the caller's English path


# --- bounds ---


def test_long_numbers_stay_digits() -> None:
    forty = "1234567890" * 4
    assert normalize_for_language(f"Code {forty}", "de") == f"code {forty}"
    assert normalize_for_language("1" * (MAX_DIGITS + 1), "fr") == "1" * (MAX_DIGITS + 1)
    assert normalize_for_language("9" * MAX_DIGITS, "fr").startswith("neuf cent quatre vingt dix neuf billions")


def test_long_text_is_normalised() -> None:
    text = ("Stelle die Heizung auf 21 Grad. " * 200)[:5000]
    out = normalize_for_language(text, "de")
    assert out.startswith("stelle die heizung auf einundzwanzig grad stelle")
    digits = " ".join(str(n * 7919) for n in range(1000))[:5000]  # many numbers: the first are spelled, the rest kept
    out = normalize_for_language(digits, "zh")
    assert out.startswith("零七千九百一十九") and out.endswith(digits.rsplit(" ", 1)[-1])


@pytest.mark.parametrize("language", ["de", "fr", "ru", "zh", "ja", "el", "xx"])
@pytest.mark.parametrize("text", ["", "   ", "?!…", "。，", "%", "\u200b"])
def test_nothing_in_nothing_out(text: str, language: str) -> None:
    assert normalize_for_language(text, language) == ""


@pytest.mark.parametrize("language", ["en", None])
def test_nothing_in_nothing_out_in_english(language: str | None) -> None:
    assert normalize_for_language("", language) == normalize_for_language(" \n ", language) == ""


@pytest.mark.parametrize(
    ("language", "reference", "hypothesis", "wer"),
    [
        ("de", "Stelle die Heizung auf 21 Grad.", "stelle die heizung auf einundzwanzig grad", 0.0),
        ("de", "Stelle die Heizung auf 21 Grad.", "stelle die heizung auf 22 grad", 1 / 6),
        ("fr", "Mets la lumière à 50 %.", "mets la lumière à cinquante pour cent", 0.0),
        ("ru", "Установи 21 градус", "установи двадцать один градус", 0.0),
        ("zh", "把客厅的温度调到21度", "把客廳的溫度調到二十一度", 0.0),
    ],
)
def test_jiwer_on_normalised_texts(language: str, reference: str, hypothesis: str, wer: float) -> None:
    ref, hyp = normalize_for_language(reference, language), normalize_for_language(hypothesis, language)
    measure = jiwer.cer if language == "zh" else jiwer.wer
    assert measure(ref, hyp) == pytest.approx(wer)


def test_jiwer_with_an_empty_hypothesis() -> None:
    ref, hyp = normalize_for_language("Licht an", "de"), normalize_for_language("…", "de")
    assert hyp == ""
    assert jiwer.wer(ref, hyp) == 1.0
    assert jiwer.cer(normalize_for_language("开灯", "zh"), normalize_for_language("。", "zh")) == 1.0

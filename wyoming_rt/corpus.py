"""Utterances to send: the bundled corpus, or a directory of ``NAME.<audio>`` + ``NAME.txt`` pairs
(any format libsndfile reads here: WAV, FLAC, OGG/Vorbis or Opus, MP3 when it has MP3, ...)."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np
import soundfile

from wyoming_rt.pcm import from_float, to_ha_format
from wyoming_rt.records.audio import AudioFormat, PcmAudio
from wyoming_rt.records.corpus import Corpus, Utterance
from wyoming_rt.records.errors import CorpusError, UsageError
from wyoming_rt.records.language import LANGUAGE_TAG, base_language, same_language
from wyoming_rt.records.text import is_encodable


def bundled_corpus_dir() -> Path:
    """The corpus shipped with the package (wheel) or lying next to it (source checkout)."""
    package_dir = Path(__file__).resolve().parent
    for candidate in (package_dir / "_corpus", package_dir.parent / "corpus"):
        if any(candidate.glob("*.wav")):
            return candidate
    raise CorpusError(f"bundled corpus not found (looked in {package_dir / '_corpus'} and {package_dir.parent / 'corpus'})")


BUNDLED_DEFAULT_LANGUAGE = "en"
"""The language of the bundled corpus's top directory; the others live in ``<code>/`` below it."""


def bundled_languages() -> tuple[str, ...]:
    """The languages with a bundled corpus: English and each ``<code>/`` with a ``corpus.json``."""
    root = bundled_corpus_dir()
    others = sorted(d.name for d in root.iterdir() if (d / CORPUS_FILE).is_file() and d.name == base_language(d.name))
    return (BUNDLED_DEFAULT_LANGUAGE, *others)


def load_bundled_corpus(language: str | None = None) -> Corpus:
    """The bundled corpus of spoken smart-home commands in ``language`` (a code such as ``de`` or
    ``de-DE``; default English). Every language shares the speech-free clips. `CorpusError` names
    the bundled languages when there is none for ``language``."""
    root = bundled_corpus_dir()
    base = bundled_language_of(language)
    if base == BUNDLED_DEFAULT_LANGUAGE:
        return load_corpus(root, name="bundled")
    corpus = load_corpus(root / base, name=f"bundled:{base}")
    problems = list(corpus.problems)
    negatives = load_negatives(root, problems)
    return replace(corpus, negatives=negatives, problems=problems)


def bundled_language_of(language: str | None) -> str:
    """The bundled corpus that serves ``language`` (``de-DE`` → ``de``, ``zh-Hans`` → ``zh``);
    `CorpusError` when there is none."""
    if language is None:
        return BUNDLED_DEFAULT_LANGUAGE
    base = base_language(language) or BUNDLED_DEFAULT_LANGUAGE
    available = bundled_languages()
    if base not in available:
        raise CorpusError(
            f"no bundled corpus for language {language!r} (bundled: {', '.join(available)}); "
            "give --corpus DIR with your own recordings"
        )
    return base


BUNDLED = "bundled"
"""``--corpus bundled`` (the default) or ``bundled:LANG``; a directory of that name is ``./bundled``."""


def load_named_corpus(spec: str | None, language: str | None) -> Corpus:
    """The corpus ``--corpus`` names: a bundled one (``bundled``, ``bundled:de``; without a
    language, the one in ``language``) or a directory. `UsageError` when ``language`` and the
    corpus's own language disagree: the server would be asked for one language and sent another."""
    if spec is None or spec == BUNDLED or spec.startswith(f"{BUNDLED}:"):
        named = (spec or "").partition(":")[2] or None
        corpus = load_bundled_corpus(named or language)
    else:
        corpus = load_corpus(Path(spec))
    if language is not None and corpus.language is not None and not same_language(language, corpus.language):
        raise UsageError(
            f"--language {language} but the corpus {corpus.name} is in {corpus.language}: "
            f"drop --language, or use a corpus in {language}"
        )
    return corpus


CORPUS_FILE = "corpus.json"
"""A corpus directory may say its language here: ``{"language": "de"}``."""
MAX_CORPUS_FILE_BYTES = 64 << 10


def read_corpus_language(directory: Path) -> str | None:
    """The language a corpus directory's ``corpus.json`` names; ``None`` without the file.
    `CorpusError` for a file that is unreadable, not a JSON object, or names no usable code."""
    path = directory / CORPUS_FILE
    if not path.exists():
        return None
    _regular_file(path, MAX_CORPUS_FILE_BYTES, "corpus.json")
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CorpusError(f"{path}: unreadable corpus.json ({_short(exc)})") from exc
    language = data.get("language") if isinstance(data, dict) else None
    if language is None:
        return None
    if not isinstance(language, str) or not LANGUAGE_TAG.fullmatch(language):
        raise CorpusError(f'{path}: \'language\' must be a language code such as "de" or "pt-BR", not {language!r}')
    return language


MAX_AUDIO_FILE_BYTES = 512 << 20
MAX_AUDIO_S = 900.0
"""One utterance's audio: at most this long (15 minutes) and this large, checked before reading."""
MAX_TRANSCRIPT_BYTES = 64 << 10

_EXTENSIONS: Mapping[str, str] = {
    ".wav": "WAV", ".wave": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".oga": "OGG", ".opus": "OGG",
    ".mp3": "MP3", ".aiff": "AIFF", ".aif": "AIFF", ".aifc": "AIFF", ".au": "AU", ".snd": "AU",
    ".caf": "CAF", ".w64": "W64", ".rf64": "RF64", ".voc": "VOC", ".sph": "NIST", ".avr": "AVR",
    ".iff": "SVX", ".svx": "SVX", ".paf": "PAF", ".pvf": "PVF", ".sds": "SDS", ".wve": "WVE",
}  # fmt: skip
"""Audio file name endings and the libsndfile format each stands for (libsndfile itself reads
the format from the file's header; the ending only says which files are audio)."""
_OTHER_AUDIO = frozenset({".m4a", ".mp4", ".aac", ".wma", ".webm", ".mka", ".amr", ".ape", ".wv", ".ac3", ".3gp"})
"""Audio endings libsndfile does not read: such a file is a named problem, not skipped silently."""


@cache
def audio_extensions() -> tuple[str, ...]:
    """The endings of the audio files a corpus may hold: those whose format the installed
    libsndfile reads (MP3 only when it was built with it; ``.opus`` only when Ogg has Opus)."""
    formats = soundfile.available_formats()
    opus = "OPUS" in soundfile.available_subtypes("OGG") if "OGG" in formats else False
    return tuple(ext for ext, name in _EXTENSIONS.items() if name in formats and (ext != ".opus" or opus))


def _is_audio(path: Path) -> bool:
    return path.suffix.lower() in audio_extensions()


def _not_read(path: Path) -> bool:
    """An audio file by its ending that the installed libsndfile does not read."""
    suffix = path.suffix.lower()
    return suffix in _OTHER_AUDIO or (suffix in _EXTENSIONS and suffix not in audio_extensions())


def _readable_list() -> str:
    """The common endings read here, for messages (`audio_extensions` has them all)."""
    common = [ext for ext in (".wav", ".flac", ".ogg", ".opus", ".mp3", ".aiff") if ext in audio_extensions()]
    return ", ".join(common) + (", ..." if len(audio_extensions()) > len(common) else "")


def _regular_file(path: Path, limit: int, what: str) -> None:
    """Raise `CorpusError` unless ``path`` is a regular file of at most ``limit`` bytes (no FIFO,
    device, directory, link loop or giant is ever opened)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise CorpusError(f"{path}: unreadable {what} ({_short(exc)})") from exc
    if not stat.S_ISREG(info.st_mode):
        raise CorpusError(f"{path}: {what} is not a regular file (a FIFO, device or directory is never read)")
    if info.st_size > limit:
        raise CorpusError(f"{path}: {what} is {info.st_size} bytes, over the limit of {limit}")


def read_audio(path: Path) -> PcmAudio:
    """Read any audio file libsndfile opens (WAV, FLAC, OGG, MP3, ...) as PCM, converted to HA's
    16 kHz mono 16-bit. The file and its declared format are checked against the budgets before
    any sample is read."""
    try:
        _regular_file(path, MAX_AUDIO_FILE_BYTES, "audio file")
    except FileNotFoundError as exc:
        raise CorpusError(f"{path}: audio file not found") from exc
    try:
        declared = soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError, OSError) as exc:
        raise CorpusError(f"{path}: unreadable audio file ({_short(exc)})") from exc
    if AudioFormat.playable(int(declared.samplerate), 2, int(declared.channels)) is None:  # read as 16-bit
        raise CorpusError(
            f"{path}: audio file declares {declared.samplerate} Hz, {declared.channels} channels (not a playable format)"
        )
    if declared.frames > MAX_AUDIO_S * declared.samplerate:
        raise CorpusError(
            f"{path}: audio file is {declared.frames / declared.samplerate:.0f} s long, over the limit of {MAX_AUDIO_S:g} s"
        )
    try:
        samples, rate_hz = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, OSError) as exc:
        raise CorpusError(f"{path}: unreadable audio file ({_short(exc)})") from exc
    if samples.shape[0] == 0:
        raise CorpusError(f"{path}: audio file has no samples")
    missing = _wav_bytes_missing(path)
    if missing:
        raise CorpusError(f"{path}: truncated WAV file ({missing} bytes of audio missing; the header promises more)")
    if not np.all(np.isfinite(samples)):
        raise CorpusError(f"{path}: audio file contains NaN or infinite samples")
    return to_ha_format(from_float(samples, int(rate_hz)))


def _wav_bytes_missing(path: Path) -> int:
    """How many bytes of its data chunk a RIFF/WAVE file lacks (libsndfile reads what is there
    without a word; a cut-off recording no longer matches its transcript). 0 when whole or not a WAV."""
    with path.open("rb") as wav:
        if wav.read(12)[8:12] != b"WAVE":
            return 0
        size = path.stat().st_size
        while len(chunk := wav.read(8)) == 8:
            declared = int.from_bytes(chunk[4:], "little")
            if chunk[:4] == b"data":
                if declared == 0xFFFFFFFF:  # written while streaming: length unknown
                    return 0
                return max(0, declared - (size - wav.tell()))
            wav.seek(declared + (declared & 1), 1)
    return 0


def read_reference(path: Path) -> str:
    """Read a transcript file: UTF-8, whitespace folded to single spaces."""
    try:
        _regular_file(path, MAX_TRANSCRIPT_BYTES, "transcript")
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise CorpusError(f"{path}: missing transcript (expected next to its audio file)") from exc
    except OSError as exc:
        raise CorpusError(f"{path}: unreadable transcript ({_short(exc)})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: transcript is not UTF-8 (byte {exc.start})") from exc
    text = " ".join(text.split())
    if not text:
        raise CorpusError(f"{path}: transcript is empty")
    return text


def load_utterance(audio: Path) -> Utterance:
    """Load one ``NAME.<audio>`` and its ``NAME.txt``; raise `CorpusError` naming the bad file."""
    reference = read_reference(audio.with_suffix(".txt"))
    return Utterance(id=audio.stem, reference=reference, audio=read_audio(audio), source=audio)


def load_corpus(directory: Path, name: str | None = None) -> Corpus:
    """Load every ``NAME.<audio>`` (`audio_extensions`) with its ``NAME.txt`` from a directory,
    sorted by name, and the speech-free clips in its ``negative/`` folder.

    A bad pair is kept in `Corpus.problems` and the others load; so is a transcript with no audio
    next to it and an audio file in a format libsndfile does not read. Raises `CorpusError` when
    the directory is missing (or a file) or holds no usable utterance at all, or when its
    ``corpus.json`` (the corpus's language, optional) is unusable.
    """
    directory = Path(directory)
    if directory.is_file():
        raise CorpusError(
            f"{directory} is a file, not a directory: a corpus is a directory of NAME.wav + NAME.txt pairs"
            f" (audio: {_readable_list()})"
        )
    if not directory.is_dir():
        raise CorpusError(f"{directory}: corpus directory not found")
    language = read_corpus_language(directory)
    utterances: list[Utterance] = []
    problems: list[CorpusError] = []
    for audio in _audio_files(directory, problems, paired=True):
        try:
            utterances.append(load_utterance(audio))
        except CorpusError as exc:
            problems.append(exc)
    if not utterances:
        detail = f": {problems[0]}" if problems else f": no NAME.wav + NAME.txt pairs (audio: {_readable_list()})"
        raise CorpusError(f"{directory}: no usable utterance{detail}")
    negatives = load_negatives(directory, problems)
    return Corpus(name=name or str(directory), utterances=utterances, problems=problems, negatives=negatives, language=language)


def load_negatives(directory: Path, problems: list[CorpusError]) -> list[Utterance]:
    """The speech-free clips in ``directory/negative`` (none without the folder); bad ones go to ``problems``."""
    negatives: list[Utterance] = []
    negative_dir = directory / "negative"
    if negative_dir.is_dir():
        for audio in _audio_files(negative_dir, problems, paired=False):
            try:
                negatives.append(Utterance(id=f"negative/{audio.stem}", reference="", audio=read_audio(audio), source=audio))
            except CorpusError as exc:
                problems.append(exc)
    return negatives


def _audio_files(directory: Path, problems: list[CorpusError], *, paired: bool) -> list[Path]:
    """The audio files directly in ``directory`` (any case of the ending), sorted by name. Named
    in ``problems`` instead of skipped: a name that is not UTF-8 (it could not be reported or
    matched to its text), an audio file libsndfile does not read, two audio files for one name,
    and (``paired``: transcripts expected) a ``NAME.txt`` with no audio file next to it."""
    by_stem: dict[str, list[Path]] = {}
    for entry in directory.iterdir():
        if entry.is_dir():
            continue
        if not is_encodable(entry.name):
            if _is_audio(entry) or _not_read(entry) or entry.suffix.lower() == ".txt":
                shown = entry.name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                problems.append(CorpusError(f"{directory / shown}: file name is not UTF-8"))
            continue
        by_stem.setdefault(entry.stem, []).append(entry)
    found: list[Path] = []
    for stem, entries in by_stem.items():
        audio = [e for e in entries if _is_audio(e)]
        has_text = paired and any(e.suffix.lower() == ".txt" for e in entries)
        # not read: a known audio ending libsndfile lacks, or whatever else sits next to a lone transcript
        unread = [
            e for e in entries
            if _not_read(e) or (has_text and not audio and e.suffix.lower() != ".txt")
        ]  # fmt: skip
        if len(audio) == 1:
            found.append(audio[0])
        elif audio:
            names = ", ".join(sorted(a.name for a in audio))
            problems.append(CorpusError(f"{directory / stem}: {len(audio)} audio files for one name ({names}): keep one"))
        elif unread:
            problems.extend(
                CorpusError(f"{e}: not an audio format libsndfile reads here (it reads {_readable_list()})")
                for e in sorted(unread)
            )
        elif has_text:
            text = next(e for e in entries if e.suffix.lower() == ".txt")
            expected = f"expected {stem}.wav, or {_readable_list()}"
            problems.append(CorpusError(f"{text}: transcript with no audio file next to it ({expected})"))
    return sorted(found)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__

"""Utterances to send: the bundled corpus, or a directory of ``NAME.wav`` + ``NAME.txt`` pairs."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import soundfile

from wyoming_rt.pcm import from_float, to_ha_format
from wyoming_rt.records.audio import AudioFormat, PcmAudio
from wyoming_rt.records.corpus import Corpus, Utterance
from wyoming_rt.records.errors import CorpusError
from wyoming_rt.records.text import is_encodable


def bundled_corpus_dir() -> Path:
    """The corpus shipped with the package (wheel) or lying next to it (source checkout)."""
    package_dir = Path(__file__).resolve().parent
    for candidate in (package_dir / "_corpus", package_dir.parent / "corpus"):
        if any(candidate.glob("*.wav")):
            return candidate
    raise CorpusError(f"bundled corpus not found (looked in {package_dir / '_corpus'} and {package_dir.parent / 'corpus'})")


def load_bundled_corpus() -> Corpus:
    """The bundled corpus of spoken smart-home commands."""
    return load_corpus(bundled_corpus_dir(), name="bundled")


MAX_AUDIO_FILE_BYTES = 512 << 20
MAX_AUDIO_S = 900.0
"""One utterance's audio: at most this long (15 minutes) and this large, checked before reading."""
MAX_TRANSCRIPT_BYTES = 64 << 10


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


def read_wav(path: Path) -> PcmAudio:
    """Read any WAV/FLAC/OGG soundfile can open as PCM, converted to HA's 16 kHz mono 16-bit.
    The file and its declared format are checked against the budgets before any sample is read."""
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
        raise CorpusError(f"{path}: missing transcript (expected next to the .wav)") from exc
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


def load_utterance(wav: Path) -> Utterance:
    """Load one ``NAME.wav`` and its ``NAME.txt``; raise `CorpusError` naming the bad file."""
    reference = read_reference(wav.with_suffix(".txt"))
    return Utterance(id=wav.stem, reference=reference, audio=read_wav(wav), source=wav)


def load_corpus(directory: Path, name: str | None = None) -> Corpus:
    """Load every ``NAME.wav`` with its ``NAME.txt`` from a directory, sorted by name.

    A bad pair is kept in `Corpus.problems` and the others load. Raises `CorpusError` when
    the directory is missing or holds no usable utterance at all.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise CorpusError(f"{directory}: corpus directory not found")
    utterances: list[Utterance] = []
    problems: list[CorpusError] = []
    for wav in _wav_files(directory, problems):
        try:
            utterances.append(load_utterance(wav))
        except CorpusError as exc:
            problems.append(exc)
    if not utterances:
        detail = f": {problems[0]}" if problems else ": no .wav files in corpus directory"
        raise CorpusError(f"{directory}: no usable utterance{detail}")
    negatives: list[Utterance] = []
    negative_dir = directory / "negative"
    if negative_dir.is_dir():
        for wav in _wav_files(negative_dir, problems):
            try:
                negatives.append(Utterance(id=f"negative/{wav.stem}", reference="", audio=read_wav(wav), source=wav))
            except CorpusError as exc:
                problems.append(exc)
    return Corpus(name=name or str(directory), utterances=utterances, problems=problems, negatives=negatives)


def _wav_files(directory: Path, problems: list[CorpusError]) -> list[Path]:
    """The ``.wav`` entries directly in ``directory`` (any case of the suffix), sorted by name; a
    name that is not UTF-8 goes to ``problems`` (it could not be reported or matched to its text)."""
    found = []
    for entry in directory.iterdir():
        if entry.suffix.lower() != ".wav" or entry.is_dir():
            continue
        if not is_encodable(entry.name):
            shown = entry.name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            problems.append(CorpusError(f"{directory / shown}: file name is not UTF-8"))
            continue
        found.append(entry)
    return sorted(found)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__

"""Bad and unusual corpus files: each is handled correctly or named in a one-line error, and
every other utterance still runs."""

from __future__ import annotations

import os
from pathlib import Path

import anyio
import numpy as np
import pytest
import soundfile

from tests.fake_servers import TEXT, FakeStt, fake_pair
from wyoming_rt.corpus import load_corpus
from wyoming_rt.run.gates import Gates
from wyoming_rt.run.validate import ValidateOptions, validate

RATE = 16000


def tone(seconds: float, rate: int = RATE, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    mono = 0.3 * np.sin(2 * np.pi * 220 * t)
    return np.repeat(mono[:, None], channels, axis=1) if channels > 1 else mono


def write(directory: Path, name: str, audio: bytes | np.ndarray | None, text: str | None = TEXT, **kwargs: object) -> None:
    wav = directory / f"{name}.wav"
    if isinstance(audio, bytes):
        wav.write_bytes(audio)
    elif audio is not None:
        soundfile.write(str(wav), audio, kwargs.pop("rate", RATE), **kwargs)  # type: ignore[arg-type]
    if text is not None:
        (directory / f"{name}.txt").write_text(text)


# name -> (what the file is, the duration it must load with, or the error it must be named with)
GOOD = {
    "pcm_u8": (tone(1.0), {"subtype": "PCM_U8"}, 1.0),
    "float32": (tone(1.0), {"subtype": "FLOAT"}, 1.0),
    "pcm24_48k": (tone(1.0, 48000), {"subtype": "PCM_24", "rate": 48000}, 1.0),
    "four_channels": (tone(1.0, channels=4), {"subtype": "PCM_16"}, 1.0),
    "ten_minutes": (tone(600.0), {"subtype": "PCM_16"}, 600.0),
    "ten_ms": (tone(0.01), {"subtype": "PCM_16"}, 0.01),
}
BAD = {
    "corrupt": "unreadable audio file",
    "empty_file": "unreadable audio file",
    "no_samples": "audio file has no samples",
    "truncated": "truncated WAV file",
    "no_transcript": "missing transcript",
    "empty_transcript": "transcript is empty",
    "not_utf8": "transcript is not UTF-8",
    # hostile files: never opened beyond a stat, never read without a budget
    "fifo": "not a regular file",
    "dev_zero_transcript": "transcript is not a regular file",
    "link_loop": "unreadable audio file",
    "one_hertz": "1 Hz",
    "too_long": "over the limit of 900 s",
    "bad\ufffdname": "file name is not UTF-8",
}


@pytest.fixture
def mixed_corpus(tmp_path: Path) -> Path:
    for name, (audio, options, _) in GOOD.items():
        write(tmp_path, name, audio, **options)
    write(tmp_path, "corrupt", np.random.default_rng(0).bytes(5000))
    write(tmp_path, "empty_file", b"")
    write(tmp_path, "no_samples", np.zeros(0), subtype="PCM_16")
    write(tmp_path, "truncated", tone(1.0), subtype="PCM_16")
    whole = (tmp_path / "truncated.wav").read_bytes()
    (tmp_path / "truncated.wav").write_bytes(whole[: len(whole) // 2])
    write(tmp_path, "no_transcript", tone(1.0), text=None, subtype="PCM_16")
    write(tmp_path, "empty_transcript", tone(1.0), text="  \n", subtype="PCM_16")
    write(tmp_path, "not_utf8", tone(1.0), text=None, subtype="PCM_16")
    (tmp_path / "not_utf8.txt").write_bytes(b"caf\xe9")
    os.mkfifo(tmp_path / "fifo.wav")  # opening it would block for ever
    (tmp_path / "fifo.txt").write_text(TEXT)
    write(tmp_path, "dev_zero_transcript", tone(1.0), text=None, subtype="PCM_16")
    (tmp_path / "dev_zero_transcript.txt").symlink_to("/dev/zero")  # reading it would never end
    (tmp_path / "link_loop.wav").symlink_to(tmp_path / "link_loop.wav")
    (tmp_path / "link_loop.txt").write_text(TEXT)
    write(tmp_path, "one_hertz", np.zeros(48_000), rate=1, subtype="PCM_16")  # 13 hours at 1 Hz: a 16,000x upsample
    write(tmp_path, "too_long", np.zeros(901 * 4000), rate=4000, subtype="PCM_U8")  # just over 15 minutes
    with open(os.path.join(os.fsencode(tmp_path), b"bad\xffname.wav"), "wb") as odd:
        odd.write((tmp_path / "pcm_u8.wav").read_bytes())
    return tmp_path


def test_each_file_is_loaded_right_or_named(mixed_corpus: Path) -> None:
    corpus = load_corpus(mixed_corpus)
    loaded = {u.id: u for u in corpus}
    assert set(loaded) == set(GOOD)
    for name, (_, _, seconds) in GOOD.items():
        audio = loaded[name].audio
        assert (audio.rate_hz, audio.width_bytes, audio.channels) == (16000, 2, 1), name
        assert audio.duration_s == pytest.approx(seconds, abs=0.002), name
        assert np.abs(audio.samples()).max() > 0.2, name  # the tone survived the conversion
    problems = {Path(str(p).split(":")[0]).stem: str(p) for p in corpus.problems}
    assert set(problems) == set(BAD)
    for name, words in BAD.items():
        assert words in problems[name], problems[name]
        assert "\n" not in problems[name]


@pytest.mark.anyio
async def test_the_other_utterances_still_run(mixed_corpus: Path) -> None:
    corpus = load_corpus(mixed_corpus)
    received: list[int] = []

    async def count_and_answer(stream, audio: bytes) -> None:  # type: ignore[no-untyped-def]
        from tests.fake_servers import send_transcript

        received.append(len(audio))
        await send_transcript(stream, TEXT if audio else "")

    async with fake_pair(FakeStt(after_audio_stop=count_and_answer)) as (stt, tts):
        with anyio.fail_after(120):
            options = ValidateOptions(
                timeout_s=30, gates=Gates(max_wer=None), probes=False, back_transcribe=False, endpointing="none"
            )
            report = await validate(stt, tts, corpus, options)
    assert len(report.utterances) == len(GOOD)
    assert all(u.transcript == TEXT for u in report.utterances)
    assert 600 * 16000 * 2 in received  # the ten minutes went over the wire whole
    bad_files = [f for f in report.findings if f.rule == "corpus.bad-file"]
    assert len(bad_files) == len(BAD)
    assert not report.passed  # an incomplete corpus is an error

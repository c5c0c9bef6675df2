"""The multilingual Whisper base: its two PyPI halves joined once into the cache, checked, and
served by our STT server with every language it knows in its info."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import anyio
import pytest

from wyoming_rt.checks.scoring import score
from wyoming_rt.corpus import load_bundled_corpus
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.endpoint import Endpoint, free_tcp_port
from wyoming_rt.records.errors import ServerStartError
from wyoming_rt.servers import joined_model
from wyoming_rt.servers.joined_model import RECORD, model_parts, multilingual_model
from wyoming_rt.servers.models import resolve_whisper_model
from wyoming_rt.servers.process import python_module_argv, run_server
from wyoming_rt.servers.reference import server_argv

TAIL = 1 << 16


def _head_and_tail(path: Path) -> tuple[bytes, bytes]:
    with path.open("rb") as f:
        head = f.read(TAIL)
        f.seek(-TAIL, os.SEEK_END)
        return head, f.read()


def test_the_halves_are_joined_once_into_the_cache(tmp_path: Path) -> None:
    _, parts = model_parts()
    model = multilingual_model(tmp_path)
    joined = model / "model.bin"
    assert joined.stat().st_size == sum(p.stat().st_size for p in parts)
    assert _head_and_tail(joined)[0] == _head_and_tail(parts[0])[0]
    assert _head_and_tail(joined)[1] == _head_and_tail(parts[1])[1]
    assert {"config.json", "tokenizer.json", "vocabulary.txt", RECORD} <= {p.name for p in model.iterdir()}
    written = joined.stat().st_mtime_ns
    assert multilingual_model(tmp_path) == model and joined.stat().st_mtime_ns == written  # not joined again
    assert [p.name for p in tmp_path.iterdir()] == [model.name]  # no leftovers


def test_a_broken_join_is_joined_again(tmp_path: Path) -> None:
    model = multilingual_model(tmp_path)
    size = (model / "model.bin").stat().st_size
    with (model / "model.bin").open("r+b") as f:
        f.truncate(size // 3)  # a join cut short (disk full, killed)
    assert multilingual_model(tmp_path) == model and (model / "model.bin").stat().st_size == size
    (model / RECORD).write_text("not json")
    assert multilingual_model(tmp_path) == model and (model / RECORD).read_text() != "not json"


def test_servers_started_at_once_share_one_join(tmp_path: Path) -> None:
    found: list[Path] = []
    threads = [threading.Thread(target=lambda: found.append(multilingual_model(tmp_path))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(found) == 3 and len(set(found)) == 1
    assert [p.name for p in tmp_path.iterdir()] == [found[0].name]


def test_without_the_extra_the_error_says_which_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(joined_model, "PART_PACKAGES", ("wyoming_rt_no_such_part1", "wyoming_rt_no_such_part2"))
    with pytest.raises(ServerStartError, match=r"pip install 'wyoming-rt\[multilingual\]'"):
        resolve_whisper_model("base")


@pytest.mark.anyio
async def test_our_stt_server_serves_the_multilingual_model() -> None:
    """``serve stt --model base``: info lists the model's languages, and English is still transcribed right."""
    port = free_tcp_port()
    argv = python_module_argv("wyoming_rt", "serve", "stt", "--uri", f"tcp://127.0.0.1:{port}", "--model", "base")
    clips = list(load_bundled_corpus())[:3]
    emulator = HAEmulator(EmulatorConfig(timeout_s=120))
    async with run_server("multilingual STT", argv, Endpoint("127.0.0.1", port), startup_timeout_s=300) as server:
        with anyio.fail_after(600):
            described = await emulator.describe(server.endpoint)
            results = [await emulator.transcribe(server.endpoint, u.audio, "en") for u in clips]
            told = await emulator.transcribe(server.endpoint, clips[0].audio, None)  # no language: Whisper tells it
    assert described.info is not None
    model = described.info.asr[0].models[0]
    assert model.name == "base" and {"en", "de", "fr", "es", "zh", "ja"} <= set(model.languages)
    wer = [score(u.reference, r.text).wer for u, r in zip(clips, results, strict=True)]
    assert all(w is not None and w <= 0.2 for w in wer), [r.text for r in results]
    assert (score(clips[0].reference, told.text).wer or 0) <= 0.2, told.text


def test_a_language_run_without_the_extra_names_it_before_any_server_starts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(joined_model, "PART_PACKAGES", ("wyoming_rt_no_such_part1", "wyoming_rt_no_such_part2"))
    with pytest.raises(ServerStartError, match=r"reference STT server for 'de'.*pip install 'wyoming-rt\[multilingual\]'"):
        server_argv("ours", "stt", 1, tmp_path, "de")
    assert "--model" not in server_argv("ours", "stt", 1, tmp_path, "en-GB")  # English: tiny.en, no extra needed
    assert "--model" not in server_argv("ours", "tts", 1, tmp_path, "de")  # the TTS is the same in every language

"""CLI contract without servers: usage errors and unusable input exit 2 with one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from wyoming_rt.cli import main


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "--stt", "nohost", "--tts", "127.0.0.1:1"], "invalid URI"),
        (["validate", "--concurrency", "-1"], "must be 0 or more"),
        (["validate", "--max-wer", "-1"], "must be 0 or more"),
        (["validate", "--bogus"], "unrecognized arguments"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        code = main(args)
        raise SystemExit(code)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_unusable_corpus_exits_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", "--stt", "127.0.0.1:1", "--tts", "127.0.0.1:1", "--corpus", str(tmp_path / "none")])
    assert code == 2
    assert capsys.readouterr().err.strip() == f"wyoming-rt: error: {tmp_path / 'none'}: corpus directory not found"


def test_speaker_without_voice_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--stt", "127.0.0.1:1", "--tts", "127.0.0.1:1", "--speaker", "2"]) == 2
    assert "--speaker needs --voice" in capsys.readouterr().err

"""Gates from TOML: a --config file or [tool.wyoming_rt] in pyproject.toml; the command line wins."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wyoming_rt.cli import main
from wyoming_rt.records.errors import UsageError
from wyoming_rt.run.config import load_gates
from wyoming_rt.run.gates import Gates

PYPROJECT = """
[project]
name = "my-addon"

[tool.wyoming_rt]
max_wer = 0.2
max_back_wer = 0.3
max_failure_rate = 0.1
ignore = ["stt.hallucination"]

[tool.wyoming_rt.max_p95_ms]
round_trip = 4000
stt = 1500

[tool.wyoming_rt.max_p99_ms]
tts_ttfb = 800
"""


def test_pyproject_table_in_the_current_directory(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    gates = load_gates(None, cwd=tmp_path)
    assert gates == Gates(
        max_wer=0.2, max_back_wer=0.3, max_p95_ms={"round_trip": 4000, "stt": 1500}, max_p99_ms={"tts_ttfb": 800},
        max_failure_rate=0.1, ignore=("stt.hallucination",),
    )  # fmt: skip


def test_config_file_with_top_level_keys(tmp_path: Path) -> None:
    config = tmp_path / "gates.toml"
    config.write_text("max_wer = 0.05\n[max_p95_ms]\nround_trip = 2500\n")
    assert load_gates(config) == Gates(max_wer=0.05, max_p95_ms={"round_trip": 2500})


def test_no_config_means_the_defaults(tmp_path: Path) -> None:
    assert load_gates(None, cwd=tmp_path) == Gates()


def test_the_command_line_wins_and_stage_limits_merge(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    gates = load_gates(None, cwd=tmp_path).merged(max_wer=0.1, max_p95_ms={"round_trip": 3000}, max_back_wer=None)
    assert gates.max_wer == 0.1 and gates.max_back_wer == 0.3
    assert gates.max_p95_ms == {"round_trip": 3000, "stt": 1500}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("max_werr = 0.1\n", "unknown gate(s) max_werr"),
        ("[max_p95_ms]\nround_trips = 10\n", "max_p95_ms must be a table of stage = ms"),
        ('max_wer = "low"\n', "max_wer must be a non-negative number"),
        ('ignore = "stt.closed"\n', "ignore must be a list of rule ids"),
        ("max_wer = \n", "cannot read the gates"),
        ("max_p95_ms = { stt = 1 }\nmax_p95 = { stt = 2 }\n", "max_p95 and max_p95_ms are the same gate: set one of them"),
        ("max_p95 = 4000\n", "max_p95 must be a table of stage = ms"),
        ("[max_p99]\nsst = 10\n", "max_p99 must be a table of stage = ms"),
        (
            "max_p59_ms = 10\n",
            "unknown gate(s) max_p59_ms (known: ignore, max_back_wer, max_cpu_per_audio_s, max_failure_rate, max_p95, max_p95_ms,",
        ),
        ("max_wre = 0.1\n", "(did you mean max_wer?)"),
    ],
)
def test_bad_configs_are_one_line_errors(tmp_path: Path, text: str, error: str) -> None:
    config = tmp_path / "gates.toml"
    config.write_text(text)
    with pytest.raises(UsageError, match=re.escape(error)):
        load_gates(config)


def test_a_bad_config_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "gates.toml"
    config.write_text("max_werr = 1\n")
    assert main(["validate", "--stt", "127.0.0.1:9", "--tts", "127.0.0.1:9", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    assert "unknown gate(s) max_werr" in err and "\n" not in err


def test_the_command_line_spellings_are_accepted_in_toml(tmp_path: Path) -> None:
    config = tmp_path / "gates.toml"
    config.write_text("[max_p95]\nstt = 1500\nround_trip = 4000\n[max_p99]\ntts_ttfb = 800\n")
    assert load_gates(config) == Gates(max_p95_ms={"stt": 1500, "round_trip": 4000}, max_p99_ms={"tts_ttfb": 800})
    config.write_text("max_p95_ms = 4000\n")  # as --max-p95-ms 4000: the round trip
    assert load_gates(config) == Gates(max_p95_ms={"round_trip": 4000})

"""compare: a baseline and a new report; regressions beyond the margins exit 1."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from wyoming_rt.checks.scoring import Score
from wyoming_rt.checks.stats import LatencyStats
from wyoming_rt.cli import main
from wyoming_rt.records.findings import Finding
from wyoming_rt.report.compare import Differences, Margins, compare, differences, load_report
from wyoming_rt.report.model import Report, Summary, UtteranceReport


def report(wer: float, p95_ms: float, errors: tuple[str, ...] = ()) -> Report:
    stats = LatencyStats(10, p95_ms / 2, p95_ms, p95_ms * 1.1, p95_ms / 2, p95_ms * 1.2)
    summary = Summary(
        10,
        len(errors),
        Score(wer, None, None, None),
        {"round_trip": stats, "stt": None},
        back_score=Score(0.02, None, None, None),
    )
    return Report(summary, [], {}, [Finding(r, "error", "x") for r in errors])


def test_same_figures_are_no_regression() -> None:
    comparison = compare(report(0.05, 1000), report(0.055, 1050))
    assert not comparison.regressed
    assert {c.verdict for c in comparison.changes} == {"same"}


def test_latency_and_wer_beyond_the_margins_regress() -> None:
    comparison = compare(report(0.05, 1000), report(0.08, 1200), Margins(wer=0.01, latency=0.10))
    verdicts = {c.metric: c.verdict for c in comparison.changes}
    assert verdicts["wer"] == "regression" and verdicts["round_trip.p95_ms"] == "regression"
    assert verdicts["stt.p95_ms"] == "same"  # absent in both
    assert comparison.regressed


def test_improvements_and_new_error_rules() -> None:
    comparison = compare(report(0.08, 1200, ("info.slow",)), report(0.05, 900, ("tts.closed",)))
    verdicts = {c.metric: c.verdict for c in comparison.changes}
    assert verdicts["wer"] == "improvement" and verdicts["round_trip.p95_ms"] == "improvement"
    assert comparison.new_rules == ["tts.closed"] and comparison.fixed_rules == ["info.slow"]
    assert comparison.regressed


def test_small_changes_on_fast_stages_are_noise() -> None:
    assert not compare(report(0.05, 40), report(0.05, 55)).regressed  # +15 ms: under the 20 ms floor


@pytest.mark.parametrize(("new", "code"), [(report(0.05, 1000), 0), (report(0.05, 2000), 1)])
def test_cli_exit_codes(tmp_path: Path, new: Report, code: int, capsys: pytest.CaptureFixture[str]) -> None:
    base_path, new_path, out = tmp_path / "base.json", tmp_path / "new.json", tmp_path / "cmp.json"
    base_path.write_text(report(0.05, 1000).to_json())
    new_path.write_text(new.to_json())
    assert main(["compare", str(base_path), str(new_path), "--json", str(out)]) == code
    assert json.loads(out.read_text())["regressed"] is bool(code)
    assert ("REGRESSION" in capsys.readouterr().out) is bool(code)


def test_cli_names_a_file_that_is_not_a_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": 1}')
    assert main(["compare", str(bad), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "notes.json: not a wyoming-rt report with schema wyoming-rt/report/1" in err and err.count("\n") == 1


def test_a_report_read_back_compares_as_the_one_written(tmp_path: Path) -> None:
    base, new = report(0.05, 1000, ("info.slow",)), report(0.0812345, 1234.56789, ("tts.closed",))
    (tmp_path / "base.json").write_text(base.to_json())
    (tmp_path / "new.json").write_text(new.to_json())
    loaded, direct = compare(load_report(tmp_path / "base.json"), load_report(tmp_path / "new.json")), compare(base, new)
    assert [(c.metric, c.verdict) for c in loaded.changes] == [(c.metric, c.verdict) for c in direct.changes]
    assert (loaded.new_rules, loaded.fixed_rules, loaded.regressed) == (["tts.closed"], ["info.slow"], True)


def test_compare_json_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "base.json"
    path.write_text(report(0.05, 1000).to_json())
    assert main(["compare", str(path), str(path), "--json", "-"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["regressed"] is False  # stdout holds the JSON alone
    assert "REGRESSION" not in captured.err


def test_cli_names_a_malformed_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "cut.json"
    document = report(0.05, 1000).to_dict()
    del document["summary"]
    bad.write_text(json.dumps(document))
    assert main(["compare", str(bad), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "cut.json: a malformed wyoming-rt report" in err and err.count("\n") == 1


def run_of(ids: list[str], corpus: str = "bundled", **settings: object) -> Report:
    """A report of a run over the utterances ``ids`` with these settings (the rest as validate's defaults)."""
    base = report(0.05, 1000)
    utterances = [UtteranceReport(i, "turn on the lights", "turn on the lights", None, None, {}) for i in ids]
    defaults = {"ha_mode": "latest", "upload": "burst", "endpointing": "vad", "concurrency": 4, "tts_streaming": False}
    return replace(base, utterances=utterances, settings={"corpus": corpus, **defaults, "timeout_s": 30.0, **settings})


BUNDLED_RUN = run_of([f"{n:02d}_utterance" for n in range(1, 39)])


def write_pair(tmp_path: Path, base: Report, new: Report) -> tuple[str, str]:
    (tmp_path / "base.json").write_text(base.to_json())
    (tmp_path / "new.json").write_text(new.to_json())
    return str(tmp_path / "base.json"), str(tmp_path / "new.json")


def test_reports_of_different_corpora_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = run_of(["a", "b", "c", "d"], corpus="/home/me/corpus")
    assert main(["compare", *write_pair(tmp_path, BUNDLED_RUN, mine)]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        "wyoming-rt: error: the reports ran different corpora: bundled (38 utterances) and /home/me/corpus"
        " (4 utterances; 38 only in the base, 4 only in the new one); compare runs of one corpus,"
        " or pass --allow-different-corpus\n"
    )
    assert "REGRESSION" not in captured.out


def test_different_corpora_compare_when_allowed_with_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = run_of(["a", "b", "c", "d"], corpus="/home/me/corpus")
    assert main(["compare", *write_pair(tmp_path, BUNDLED_RUN, mine), "--allow-different-corpus"]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("wyoming-rt: warning: the reports ran different corpora: bundled (38 utterances)")
    assert "Verdict: no regression" in captured.out  # compared


def test_settings_that_change_the_figures_warn_and_the_comparison_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slower = run_of([u.id for u in BUNDLED_RUN.utterances], ha_mode="2026.2", upload="realtime", timeout_s=60.0)
    assert main(["compare", *write_pair(tmp_path, BUNDLED_RUN, slower)]) == 0
    assert capsys.readouterr().err == (
        "wyoming-rt: warning: the runs differ in settings that change the figures:"
        " ha_mode latest -> 2026.2, pace burst -> realtime, timeout_s 30.0 -> 60.0\n"
    )


def test_differences_of_two_runs() -> None:
    same = differences(BUNDLED_RUN, BUNDLED_RUN)
    assert same == Differences(None, [])
    moved = run_of([u.id for u in BUNDLED_RUN.utterances], corpus="/ci/corpus", tts_streaming=True, concurrency=2)
    assert differences(BUNDLED_RUN, moved) == Differences(
        None, ["corpus bundled -> /ci/corpus (the same utterance ids)", "concurrency 4 -> 2", "tts_streaming false -> true"]
    )
    fewer = run_of([u.id for u in BUNDLED_RUN.utterances][:-1])
    assert differences(BUNDLED_RUN, fewer).corpus == (
        "the reports ran different corpora: bundled (38 utterances) and bundled (37 utterances; 1 only in the base,"
        " 0 only in the new one)"
    )

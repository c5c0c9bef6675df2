"""The report model: complete when built, read back from its JSON, described by the published
schema (docs/report.schema.json), and written by writers that read only the model."""

from __future__ import annotations

import io
import json
import math
import re
import wave
from pathlib import Path
from typing import Any

import pytest

from tests.report_schema import assert_valid_report, report_validator, schema_errors
from tests.resource_fixtures import stt_resources, unavailable
from wyoming_rt.checks.audio import AudioValidation
from wyoming_rt.checks.audio_quality import AudioQuality
from wyoming_rt.checks.load_stats import LevelResult, LoadReport
from wyoming_rt.checks.scoring import Score
from wyoming_rt.checks.stats import LatencyStats
from wyoming_rt.records.audio import PcmAudio
from wyoming_rt.records.errors import UsageError
from wyoming_rt.records.findings import Finding
from wyoming_rt.records.gates import GateResult
from wyoming_rt.records.health import HealthCheck
from wyoming_rt.report.audio_files import save_audio
from wyoming_rt.report.compare import compare, load_report
from wyoming_rt.report.html import report_html
from wyoming_rt.report.json_writer import document_json, write_json
from wyoming_rt.report.model import (
    STAGES,
    ConcurrencyReport,
    GapSummary,
    NegativeReport,
    PhaseRecord,
    Report,
    ServerReport,
    Summary,
    UtteranceReport,
)
from wyoming_rt.run.gates import Gates, apply_gates

STATS = LatencyStats(2, 812.3456, 1010.0001, 1020.5, 850.25, 1023.75)
AUDIO = PcmAudio(b"\x01\x00" * 1600, 16000, 2, 1)


def utterance(uid: str, wer: float, findings: list[Finding] | None = None) -> UtteranceReport:
    quality = AudioQuality(1.23456, -20.123456, -3.0, 0.0, 0.001, 0.15, 0.2, 0.9, 14.56789)
    return UtteranceReport(
        uid, "turn on the lights", "turn on the light", Score(wer, 0.05, wer + 0.1, 0.06), AudioValidation(True, 1.234567, 16000, 2, 1, 3200, 2, 1),
        {"stt": 250.1234, "stt_upload": 10.0, "tts_ttfb": None, "round_trip": 1000.98765}, findings or [],
        quality=quality, back_transcript="turn on the light", back_score=Score(0.25, 0.1, 0.3, 0.1), chunk_gaps_s=[0.01, 0.2],
        rtf={"stt": 0.123456, "tts": None}, chunk_gaps=GapSummary.of([0.01, 0.2]),
    )  # fmt: skip


def complete_report() -> Report:
    """A report with every part filled: findings everywhere, gates, phases, load, health checks, one
    server's cost measured and the other's not."""
    level = LevelResult("4 sessions", 4, None, 8, 1, 0, 0.5, 14.0, {"round_trip": STATS, "stt": None}, error_kinds={"timeout": 1})
    return Report(
        Summary(2, 1, Score(0.125, 0.05, 0.2, 0.07), dict.fromkeys(STAGES, STATS) | {"tts_first_audible": None},
                back_score=Score(0.1, None, None, None), chunk_gaps=GapSummary.of([0.01, 0.2, 0.03]), rtf={"stt": 0.1, "tts": 0.2}),
        [utterance("u0", 0.25, [Finding("tts.implausible-duration", "warning", "short", "u0")]), utterance("u1", 0.0)],
        {"stt": ServerReport("stt", "tcp://127.0.0.1:1", {"asr": []}, 3.14159), "tts": ServerReport("tts", "tcp://127.0.0.1:2", None, None, {"streaming": True})},
        [Finding("info.slow", "warning", "slow describe"), Finding("load.errors", "error", "1 of 8 failed")],
        {"corpus": "fake", "gates": {"max_wer": 0.15}},
        [NegativeReport("negative/noise", "thank you", [Finding("stt.hallucination", "error", "heard", "negative/noise")]),
         NegativeReport("negative/silence", "")],
        gate_results=[GateResult("max_wer", 0.15, 0.125, True, 2, 2)],
        ignored_findings=[Finding("stt.closed", "error", "closed", "u1")],
        phases=[PhaseRecord("preflight", 0.01234, 2), PhaseRecord("probes", 1.5, 10, notes={"busy_unfinished": ["stt"]})],
        concurrency=ConcurrencyReport(level, 4, 2, 1),
        health_checks=[HealthCheck("stt", 30.004, "latency", "interval", 1, 2.5, None),
                       HealthCheck("tts", 31.5, "concurrency", "busy", 3, None, "did not answer describe within 5 s")],
        audio={"u0": AUDIO},
        resources={"stt": stt_resources(), "tts": unavailable("tts")},
    )  # fmt: skip


def test_a_complete_report_reads_back_into_the_same_document() -> None:
    report = complete_report()
    document = report.to_dict()
    loaded = Report.from_dict(document)
    assert loaded.to_dict() == document
    assert loaded.run_findings == report.run_findings and loaded.findings == report.findings
    assert loaded.gate_results == report.gate_results and loaded.health_checks == report.health_checks
    assert loaded.audio == {}  # the audio is not in the JSON
    text = report.to_json()
    assert Report.from_dict(json.loads(text)).to_json() == text


def test_a_complete_report_and_an_empty_one_follow_the_schema() -> None:
    assert_valid_report(json.loads(complete_report().to_json()))
    empty = Report(Summary(0, 0, Score(None, None, None, None), dict.fromkeys(STAGES)), [], {})
    assert_valid_report(json.loads(empty.to_json()))
    assert Report.from_dict(empty.to_dict()).to_dict() == empty.to_dict()


OPEN = {"server", "phase"}
"""Objects that carry notes of their own beside the listed fields."""


def undocumented(data: Any, schema: dict[str, Any], path: str = "", name: str = "") -> list[str]:
    """Fields of ``data`` that the schema does not list (it allows them: fields may be added)."""
    defs = report_validator().schema["$defs"]
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = defs[name]
    found = []
    if isinstance(data, dict):
        listed = schema.get("properties", {})
        if listed and name not in OPEN:
            found += [f"{path}/{key}" for key in data if key not in listed]
        for key, value in data.items():
            inner = listed.get(key, schema.get("additionalProperties"))
            if isinstance(inner, dict):
                found += undocumented(value, inner, f"{path}/{key}")
    elif isinstance(data, list) and isinstance(schema.get("items"), dict):
        for i, value in enumerate(data):
            found += undocumented(value, schema["items"], f"{path}/{i}")
    return found


def test_the_schema_lists_every_field_the_report_writes() -> None:
    document = json.loads(complete_report().to_json())
    assert undocumented(document, report_validator().schema) == []
    assert undocumented({**document, "extra": 1}, report_validator().schema) == ["/extra"]


def _broken(change: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(complete_report().to_json())
    change(document)
    return document


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda d: d.pop("summary"), "'summary' is a required property"),
        (lambda d: d.update(schema="wyoming-rt/report/2"), "schema: 'wyoming-rt/report/1' was expected"),
        (lambda d: d["findings"][0].update(severity="fatal"), "findings/0/severity: 'fatal' is not one of"),
        (lambda d: d["utterances"][0].pop("id"), "utterances/0: 'id' is a required property"),
        (lambda d: d["summary"]["latency_ms"]["stt"].update(p95="fast"), "summary/latency_ms/stt/p95: 'fast' is not of type"),
        (lambda d: d["health_checks"][0].update(reason="sometimes"), "health_checks/0/reason: 'sometimes' is not one of"),
        (lambda d: d["resources"]["stt"].update(source="docker"), "resources/stt/source: 'docker' is not one of"),
        (
            lambda d: d["resources"]["stt"]["timeline"][0].__setitem__(1, "big"),
            "resources/stt/timeline/0/1: 'big' is not of type",
        ),
        (lambda d: d["resources"]["stt"]["phases"][1].pop("cpu_s"), "resources/stt/phases/1: 'cpu_s' is a required property"),
        (
            lambda d: d["resources"]["tts"].update(requests_after_warm_up=-1),
            "resources/tts/requests_after_warm_up: -1 is less than",
        ),
    ],
)
def test_the_schema_refuses_what_is_not_a_report(change: Any, error: str) -> None:
    errors = schema_errors(_broken(change))
    assert any(error in e for e in errors), errors


def test_apply_gates_gives_a_new_report_and_leaves_the_built_one_alone() -> None:
    built = complete_report()
    before = built.to_dict()
    gated = apply_gates(built, Gates(max_wer=0.1, ignore=("info.slow",)))
    assert built.to_dict() == before  # nothing changed after it was built
    assert [f.rule for f in gated.ignored_findings] == ["info.slow"]
    assert [(g.gate, g.passed) for g in gated.gate_results] == [("max_wer", False)]
    assert [f.rule for f in gated.run_findings] == ["load.errors", "gate.max-wer"]
    assert [f.rule for f in gated.utterances[0].findings] == ["tts.implausible-duration", "gate.max-wer"]
    assert gated.utterances[1].findings == [] and gated.summary.failed == 1
    assert gated.audio == built.audio


def test_the_writers_read_the_audio_from_the_report(tmp_path: Path) -> None:
    report = complete_report()
    assert report_html(report).count("<audio controls") == 1
    index = json.loads(save_audio(report, tmp_path).read_text())
    assert [(e["id"], e["file"]) for e in index] == [("u0", "u0.wav"), ("u1", None)]
    with wave.open(str(tmp_path / "u0.wav")) as wav:
        assert (wav.getframerate(), wav.getnframes()) == (16000, 1600)


@pytest.mark.parametrize("rate_hz", [10**15, 2**32, 1])
def test_audio_in_a_format_no_wav_holds_is_left_out_not_a_crash(rate_hz: int, tmp_path: Path) -> None:
    """A server that declares a rate no WAV header can hold: no player, no file, no struct.error."""
    report = complete_report()
    report.audio["u0"] = PcmAudio(b"\0\0" * 1600, rate_hz, 2, 1)
    assert "<audio controls" not in report_html(report)
    index = json.loads(save_audio(report, tmp_path).read_text())
    assert index[0]["file"] == (None if rate_hz >= 2**31 else "u0.wav")


@pytest.mark.parametrize(
    "document",
    [
        complete_report(),
        LoadReport("sweep", [], None, [Finding("load.errors", "error", "x")]),
        compare(complete_report(), complete_report()),
    ],
)
def test_one_json_writer_for_every_document(document: Any, tmp_path: Path) -> None:
    path = tmp_path / "out" / "doc.json"
    write_json(document, path)
    assert path.read_text(encoding="utf-8") == document_json(document)
    assert json.loads(path.read_text()) == json.loads(json.dumps(document.to_dict()))
    stdout = io.StringIO()
    write_json(document, "-", stdout=stdout)
    assert stdout.getvalue() == document_json(document)


def test_json_to_stdout_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    write_json(complete_report(), Path("-"))
    assert json.loads(capsys.readouterr().out)["schema"] == "wyoming-rt/report/1"


def test_non_finite_figures_become_null_and_read_back(tmp_path: Path) -> None:
    report = complete_report()
    report.summary.latency["stt"] = LatencyStats(1, math.nan, 1.0, 1.0, 1.0, math.inf)
    path = tmp_path / "r.json"
    write_json(report, path)
    data = json.loads(path.read_text())
    assert_valid_report(data)
    loaded = load_report(path)
    stats = loaded.summary.latency["stt"]
    assert stats is not None and stats.p50 is None and stats.max is None


def test_load_report_names_a_file_that_is_not_a_report(tmp_path: Path) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": 1}')
    with pytest.raises(UsageError, match=re.escape("notes.json: not a wyoming-rt report with schema wyoming-rt/report/1")):
        load_report(bad)
    cut = tmp_path / "cut.json"
    cut.write_text(json.dumps(_broken(lambda d: d["summary"].pop("latency_ms"))))
    with pytest.raises(UsageError, match=re.escape("cut.json: a malformed wyoming-rt report")):
        load_report(cut)

"""``compare BASE NEW --html PATH``: the two runs side by side in headless Chromium, per stage and
per utterance, with the rules broken and fixed and a word when the corpora differ."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from tests.html_fixtures import bundled_report, colour_pixels, dump_dom, screenshot
from tests.test_html_report import assert_self_contained, rows_of
from wyoming_rt.cli import main
from wyoming_rt.records.findings import Finding
from wyoming_rt.report.model import Report
from wyoming_rt.run.build_report import build_report


def slower(report: Report, factor: float) -> Report:
    """The same run with every round trip ``factor`` times longer, the last utterance left out, and a new error."""
    utterances = [
        replace(u, latency_ms={**u.latency_ms, "round_trip": (u.latency_ms["round_trip"] or 0) * factor})
        for u in report.utterances[:-1]
    ]
    built = build_report(
        [], report.servers, [Finding("tts.closed", "error", "closed early")], report.settings, utterance_reports=utterances
    )
    return replace(built, created="2026-05-02T08:00:00+00:00")


def test_compare_html_shows_both_runs_per_stage_and_per_utterance(tmp_path: Path) -> None:
    base = bundled_report()
    new = slower(base, 1.5)
    base_path, new_path, page = tmp_path / "base.json", tmp_path / "new.json", tmp_path / "compare.html"
    base_path.write_text(base.to_json())
    new_path.write_text(new.to_json())
    # the new run lost its last utterance: compared all the same, as the page must show it
    assert main(["compare", str(base_path), str(new_path), "--html", str(page), "--allow-different-corpus"]) == 1
    text = page.read_text()
    assert_self_contained(text)
    dom = dump_dom(tmp_path, page.as_uri())
    assert "REGRESSION" in dom and 'data-js="ready"' in dom
    assert "The corpora differ: 38 utterances in the base, 37 in the new run, 37 in both" in dom
    stages = rows_of(dom, "stages")
    round_trip = next(row for row in stages if "Round trip" in row)
    assert 'class="fail"' in round_trip and re.search(r"\+(4[5-9]|5[0-5]) %", round_trip) and "regression" in round_trip
    assert any("STT (audio-stop" in row and "same" in row for row in stages)
    utterances = rows_of(dom, "compare-utterances")
    assert len(utterances) == len(new.utterances)
    first = base.utterances[0]
    rt = first.latency_ms["round_trip"] or 0
    assert f"{rt:.0f}</td>" in utterances[0] and f"{rt * 1.5:.0f}</td>" in utterances[0]
    assert f"Only in the base (1): {base.utterances[-1].id}" in dom
    new_rules = dom[dom.index('id="new-rules"') :]
    assert "tts.closed" in new_rules[: new_rules.index("</p>")]
    assert base.created in dom and "2026-05-02T08:00:00+00:00" in dom
    assert 'id="compare-cdf"' in dom
    image = screenshot(tmp_path, page.as_uri(), 1280, 2400)
    assert colour_pixels(image, (0x7F, 0x5E, 0xA8)) > 300  # the new run's round-trip line
    assert colour_pixels(image, (0xCF, 0x22, 0x2E)) > 500  # the regression's red

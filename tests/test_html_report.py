"""The HTML report opens in headless Chromium with its charts and audio players visible: the
proof is a screenshot, whose pixels must show each chart colour and the players."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import anyio
import numpy as np
from PIL import Image

from tests.fake_servers import FakeStt, FakeTts, fake_pair, speech_corpus
from tests.report_schema import assert_valid_report
from wyoming_rt.report.html import report_html, write_html
from wyoming_rt.report.model import Report
from wyoming_rt.run.validate import ValidateOptions, validate

CHROMIUM = "/usr/bin/chromium"  # Debian's chromium package (installed by .ci/run and the README)
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--hide-scrollbars",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def run_report() -> Report:
    async def run() -> Report:
        async with fake_pair(FakeStt(), FakeTts()) as (stt, tts):
            with anyio.fail_after(60):
                return await validate(stt, tts, speech_corpus(), ValidateOptions(timeout_s=5, probes=False))

    return anyio.run(run)


def colour_pixels(image: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 8) -> int:
    return int(np.all(np.abs(image[:, :, :3].astype(int) - np.array(rgb)) <= tolerance, axis=2).sum())


def test_the_report_renders_with_charts_and_players(tmp_path: Path) -> None:
    report = run_report()
    assert_valid_report(json.loads(report.to_json()))
    page = tmp_path / "report.html"
    write_html(report, page)
    text = page.read_text()
    assert text.count("<audio controls") == 2 and text.count("data:audio/wav;base64,") == 2
    assert 'id="percentile-chart"' in text and 'id="distribution-chart"' in text
    assert "<script" not in text and "http" not in text.replace("http-equiv", "")  # self-contained
    shot = tmp_path / "shot.png"
    proc = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,1400", f"--screenshot={shot}", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0 and shot.is_file(), proc.stderr[-2000:]
    image = np.asarray(Image.open(shot).convert("RGB"))
    assert image.shape[:2] == (1400, 1280)
    # bars of both charts (P50 and histogram share the blue), P95 orange, P99 red
    assert colour_pixels(image, (0x4C, 0x78, 0xA8)) > 2000
    assert colour_pixels(image, (0xF5, 0x85, 0x18)) > 500
    assert colour_pixels(image, (0xE4, 0x57, 0x56)) > 500
    # Chromium draws each <audio controls> as a light grey panel
    assert colour_pixels(image, (0xF1, 0xF3, 0xF4), tolerance=3) > 2 * 200 * 20


def test_text_is_escaped() -> None:
    report = run_report()
    report.utterances[0].reference = "<script>alert(1)</script>"
    page = report_html(report)
    assert "<script>" not in page and "&lt;script&gt;" in page

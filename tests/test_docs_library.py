"""docs/library.md, run as written: its code blocks work against real servers."""

from __future__ import annotations

import re
from pathlib import Path

import anyio
import pytest

from tests.fake_servers import FakeStt, FakeTts, fake_pair

DOC = Path(__file__).parents[1] / "docs" / "library.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)


@pytest.mark.anyio
async def test_the_documented_code_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    async with fake_pair(FakeStt(), FakeTts()) as (stt, tts):
        code = "\n".join(blocks()).replace("anyio.run(main)", "")
        code = code.replace('"127.0.0.1:10300"', repr(f"127.0.0.1:{stt.port}")).replace(
            '"127.0.0.1:10200"', repr(f"127.0.0.1:{tts.port}")
        )
        namespace: dict[str, object] = {}
        exec(compile(code, str(DOC), "exec"), namespace)
        with anyio.fail_after(120):
            await namespace["main"]()  # type: ignore[operator]
            await namespace["check"]()  # type: ignore[operator]
    assert '"schema": "wyoming-rt/report/1"' in (tmp_path / "report.json").read_text()

"""The layers of docs/architecture.md hold: the import-linter contracts pass, they fail on a
forbidden import, and no module imports itself back through others (no cycles)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(package_parent: Path, config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(package_parent)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"],
        cwd=package_parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_contracts_hold() -> None:
    result = _lint_imports(ROOT, ROOT / ".importlinter")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_a_forbidden_import_breaks_the_layers(tmp_path: Path) -> None:
    """A records module that imports the orchestration: exactly what the layers forbid."""
    shutil.copytree(ROOT / "wyoming_rt", tmp_path / "wyoming_rt", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    trace = tmp_path / "wyoming_rt" / "records" / "trace.py"
    trace.write_text(trace.read_text() + "\nimport wyoming_rt.run.validate  # noqa: E402\n")
    result = _lint_imports(tmp_path, tmp_path / ".importlinter")
    assert result.returncode != 0
    assert "wyoming_rt.records is not allowed to import wyoming_rt.run" in result.stdout


def _cycle(graph: grimp.ImportGraph) -> list[str] | None:
    """One import cycle among the package's modules, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if not imported.startswith("wyoming_rt"):
                continue
            if state.get(imported) == 1:
                return [*path[path.index(imported) :], imported]
            if imported not in state and (found := visit(imported)):
                return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph.modules):
        if module.startswith("wyoming_rt") and module not in state and (found := visit(module)):
            return found
    return None


def test_no_module_imports_itself_back() -> None:
    graph = grimp.build_graph("wyoming_rt", exclude_type_checking_imports=True)
    for package in [m for m in graph.modules if graph.find_children(m)]:
        # a package's __init__ importing its own submodules (re-exports) is not a cycle of layers
        for child in graph.find_children(package):
            if graph.direct_import_exists(importer=package, imported=child):
                graph.remove_import(importer=package, imported=child)
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])

"""``[tool.wyoming_rt]`` (or a ``--config`` file): the gates and the run options it sets, and the
`ValidateOptions` they make with what the command line (or pytest) gives on top.

Precedence: the command line over the file, the file over the defaults.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from wyoming_rt.records.errors import UsageError
from wyoming_rt.records.options import OptionSpec, options_of, resolve
from wyoming_rt.run.gates import Gates, gates_from_mapping
from wyoming_rt.run.options import ValidateOptions


@dataclass(frozen=True)
class RunConfig:
    """What a configuration file sets: gates, and run options as the command line would give them."""

    gates: Gates = field(default_factory=Gates)
    options: Mapping[str, Any] = field(default_factory=dict)

    def validate_options(self, given: Mapping[str, Any], gates: Gates | None = None) -> ValidateOptions:
        """The options of a run: the defaults, then this file's, then ``given`` (as parsed from the
        command line, by field name; ``None``: not given). ``gates`` replaces this file's gates."""
        try:
            values = resolve(options_of(ValidateOptions), self.options, given)
        except ValueError as exc:  # e.g. an unknown audio threshold
            raise UsageError(str(exc)) from exc
        return ValidateOptions(**values, gates=self.gates if gates is None else gates)


def config_table(path: Path | None, cwd: Path | None = None) -> tuple[dict[str, Any], str]:
    """The table of ``path`` (a TOML file with the keys at top level or under ``[tool.wyoming_rt]``),
    else ``[tool.wyoming_rt]`` in ``cwd/pyproject.toml``, else an empty one; and where it was read."""
    source = path
    if source is None:
        candidate = (cwd or Path.cwd()) / "pyproject.toml"
        source = candidate if candidate.is_file() else None
    if source is None:
        return {}, "config"
    try:
        document = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{source}: cannot read the gates ({exc})") from exc
    table = document.get("tool", {}).get("wyoming_rt", document if path is not None else {})
    return table, str(source)


def load_gates(path: Path | None, cwd: Path | None = None) -> Gates:
    """The gates of ``path``, else of ``[tool.wyoming_rt]`` in ``cwd/pyproject.toml``, else the defaults."""
    return load_config(path, cwd).gates


def load_config(path: Path | None, cwd: Path | None = None) -> RunConfig:
    """The gates and options of ``path``, else of ``[tool.wyoming_rt]`` in ``cwd/pyproject.toml``;
    unknown keys and unusable values are `UsageError`s naming the file."""
    table, where = config_table(path, cwd)
    specs = {spec.name: spec for spec in options_of(ValidateOptions) if spec.toml}
    gates = gates_from_mapping(table, where, options=specs)
    return RunConfig(gates, {key: _from_toml(specs[key], value, where) for key, value in table.items() if key in specs})


def _from_toml(spec: OptionSpec, value: object, where: str) -> Any:
    try:
        return spec.from_toml(value)
    except ValueError as exc:
        raise UsageError(f"{where}: {exc}") from exc

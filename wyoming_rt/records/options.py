"""User options declared once, on the dataclass fields they set.

A field declares itself with `option(...)`; `options_of(cls)` reads the declarations back as
`OptionSpec`s. The command line (``validate``), ``[tool.wyoming_rt]`` in TOML and the pytest
plugin are all built from them, so adding a field is adding the option everywhere.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, get_args

T = TypeVar("T")
N = TypeVar("N", int, float)

Group = Literal[
    "Servers", "Corpus", "Phases and probes", "Home Assistant behaviour", "Load runs", "Gates and thresholds", "Outputs"
]
GROUPS: tuple[Group, ...] = get_args(Group)
"""The sections of ``validate --help``, in order."""

_KEY = "wyoming_rt.option"


@dataclass(frozen=True)
class OptionSpec:
    """One user option as its field declares it. Values travel "as given": what the command
    line's parser returns (or the same from TOML), turned into the field's value by `value`."""

    name: str
    """The field's name, which is also the TOML key."""
    flag: str
    """The command-line flag (``--timeout``); the pytest plugin's is ``--wyoming-timeout``."""
    help: str
    group: Group
    metavar: str | None = None
    choices: Mapping[str, Any] | None = None
    """The words accepted, each with the field's value it stands for."""
    parse: Callable[[str], Any] | None = None
    """Text -> value (argparse's ``type``); raises `argparse.ArgumentTypeError` or `ValueError`."""
    const: bool | None = None
    """A flag without a value (``--no-probes``): the field's value when it is given."""
    combine: Callable[[list[Any]], Any] | None = None
    """A repeatable option: every parsed item given, in order -> the field's value."""
    cli: bool = True
    toml: bool = True
    pytest: bool = True

    def argparse_kwargs(self) -> dict[str, Any]:
        """``add_argument`` keywords (argparse's and pytest's); an option not given parses as ``None``."""
        if self.const is not None:
            return {"action": "store_const", "const": self.const, "default": None, "help": self.help}
        kwargs: dict[str, Any] = {"action": "append" if self.combine else "store", "default": None, "help": self.help}
        if self.parse is not None:
            kwargs["type"] = self.parse
        if self.choices is not None:
            kwargs["choices"] = tuple(self.choices)
        else:
            kwargs["metavar"] = self.metavar or self.flag.removeprefix("--").replace("-", "_").upper()
        return kwargs

    def from_toml(self, value: object) -> Any:
        """What the command line would have given, from a TOML value; `ValueError` when it is not one."""
        if self.const is not None:  # a switch: TOML sets the field itself (probes = false)
            if not isinstance(value, bool):
                raise ValueError(f"{self.name} must be true or false, got {value!r}")
            return value
        if self.combine is not None:  # a list of items, or a table of NAME = VALUE
            items = [f"{k}={v}" for k, v in value.items()] if isinstance(value, dict) else value
            if not isinstance(items, list):
                raise ValueError(f"{self.name} must be a list or a table, got {value!r}")
            return [self._scalar(item) for item in items]
        return self._scalar(value)

    def _scalar(self, value: object) -> Any:
        wanted = (str,) if self.parse is None else (str, int, float)
        if isinstance(value, bool) or not isinstance(value, wanted):
            raise ValueError(f"{self.name} must be {'a string' if self.parse is None else 'a number'}, got {value!r}")
        try:
            parsed = self.parse(str(value)) if self.parse is not None else value
        except (ValueError, argparse.ArgumentTypeError) as exc:
            raise ValueError(f"{self.name}: {exc}") from exc
        if self.choices is not None and parsed not in self.choices:
            raise ValueError(f"{self.name} must be one of {', '.join(self.choices)}, got {value!r}")
        return parsed

    def value(self, given: Sequence[Any]) -> Any:
        """The field's value from what was given, weakest source first (TOML, then the command
        line): the last one wins; a repeatable option's items add up, later ones last."""
        if self.combine is not None:
            return self.combine([item for items in given for item in items])
        last = given[-1]
        return self.choices[last] if self.choices is not None else last


def option(
    default: T = None,  # type: ignore[assignment]  # not used when a ``factory`` makes the default
    *,
    factory: Callable[[], T] | None = None,
    help: str,
    group: Group,
    flag: str | None = None,
    metavar: str | None = None,
    choices: Sequence[str] | Mapping[str, Any] | None = None,
    parse: Callable[[str], Any] | None = None,
    const: bool | None = None,
    combine: Callable[[list[Any]], Any] | None = None,
    cli: bool = True,
    toml: bool = True,
    pytest: bool = True,
) -> T:
    """A dataclass field that is a user option (``--flag`` defaults to the field's name, dashed).
    ``cli``, ``toml`` and ``pytest`` say where it is offered."""
    spec = OptionSpec(
        name="", flag=flag or "", help=help, group=group, metavar=metavar,
        choices=None if choices is None else dict(choices) if isinstance(choices, Mapping) else {c: c for c in choices},
        parse=parse, const=const, combine=combine, cli=cli, toml=toml, pytest=pytest,
    )  # fmt: skip
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata={_KEY: spec})
    return dataclasses.field(default=default, metadata={_KEY: spec})


def options_of(cls: type) -> tuple[OptionSpec, ...]:
    """The options a dataclass declares (inherited ones first), in field order."""
    return tuple(
        dataclasses.replace(spec, name=f.name, flag=spec.flag or "--" + f.name.replace("_", "-"))
        for f in dataclasses.fields(cls)
        if (spec := f.metadata.get(_KEY)) is not None
    )


def resolve(specs: Sequence[OptionSpec], *sources: Mapping[str, Any]) -> dict[str, Any]:
    """Field values for the options given in any source (weakest first; ``None``: not given)."""
    values: dict[str, Any] = {}
    for spec in specs:
        given = [source[spec.name] for source in sources if source.get(spec.name) is not None]
        if given:
            values[spec.name] = spec.value(given)
    return values


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """``" (did you mean X?)"`` for the known word closest to a misspelt ``word``, else ``""``."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


# Parsers of option text, shared by the command line and TOML. Each raises
# `argparse.ArgumentTypeError` with a message for a person ("expected a number, got 'abc'"):
# argparse prints that after the flag, where a bare ValueError would show the parser's name.


def _number(kind: Callable[[str], N], text: str) -> N:
    """``kind(text)`` (int or float); text that is not one is an `argparse.ArgumentTypeError`."""
    try:
        return kind(text)
    except ValueError:
        expected = "a whole number" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None


def positive_int(text: str) -> int:
    value = _number(int, text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    value = _number(int, text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text!r}")
    return value


def positive_float(text: str) -> float:
    value = _number(float, text)
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text!r}")
    return value


def non_negative_float(text: str) -> float:
    value = _number(float, text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text!r}")
    return value


def at_least(kind: Callable[[str], N], floor: N) -> Callable[[str], N]:
    """``kind`` (int, float), raised to ``floor`` when below it."""

    def parse(text: str) -> N:
        return max(floor, _number(kind, text))

    parse.__name__ = getattr(kind, "__name__", "value")
    return parse

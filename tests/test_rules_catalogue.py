"""The rules catalogue (`wyoming_rt.records.rules`) is the one place rules are made, and the
checks pick rules (and probes) by constant, not by name strings."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pytest

import wyoming_rt
from wyoming_rt.records import errors, rules
from wyoming_rt.records.errors import FramingReason
from wyoming_rt.records.findings import Rule
from wyoming_rt.records.results import ProbeName
from wyoming_rt.records.rules import RULES, failure_rule, framing_rule
from wyoming_rt.report.rules_doc import KNOWN_UPSTREAM_DEVIATIONS

PACKAGE = Path(wyoming_rt.__file__).parent
CATALOGUE = PACKAGE / "records" / "rules.py"


def _modules(*under: str) -> list[Path]:
    return sorted(p for folder in under for p in (PACKAGE / folder).rglob("*.py"))


def _string_literals(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def test_every_rule_constant_is_in_the_catalogue_under_its_id() -> None:
    constants = [value for name, value in vars(rules).items() if isinstance(value, Rule) and name.isupper()]
    assert len(constants) == len(RULES) > 50
    for rule in constants:
        assert RULES[rule.id] is rule


def test_rule_ids_are_unique_and_a_duplicate_fails_at_import() -> None:
    assert len({r.id for r in RULES.values()}) == len(RULES)
    twin = Rule("x.same", "error", "one", "why", ref="ref")
    with pytest.raises(ValueError, match=r"duplicate rule id x\.same"):
        rules._catalogue({"A": twin, "B": Rule("x.same", "warning", "two", "why", ref="ref")})
    assert list(rules._catalogue({"A": twin, "ALIAS": twin})) == ["x.same"]  # one rule under two names is not a twin


def test_the_catalogue_cannot_be_changed_from_outside() -> None:
    with pytest.raises(TypeError):
        RULES["x.new"] = Rule("x.new", "error", "s", "w")  # type: ignore[index]


def test_the_package_root_exports_the_catalogue() -> None:
    assert wyoming_rt.RULES is RULES


def test_only_the_catalogue_constructs_rules() -> None:
    makers = []
    for path in _modules("."):
        if path == CATALOGUE:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
                if called in ("Rule", "rule"):
                    makers.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert makers == []


def test_checks_and_runs_pick_rules_and_probes_by_constant() -> None:
    probe_names = {v for k, v in vars(ProbeName).items() if k.isupper()}
    for path in _modules("checks", "run"):
        literals = _string_literals(path)
        assert not literals & set(RULES), f"{path.name} names a rule by its id: import its constant"
        assert not literals & probe_names, f"{path.name} names a probe by a string: use ProbeName"


def test_the_known_upstream_deviations_name_rules_of_the_catalogue() -> None:
    for deviations in KNOWN_UPSTREAM_DEVIATIONS.values():
        assert set(deviations) <= set(RULES)


def test_every_framing_reason_has_its_rule() -> None:
    for reason in get_args(FramingReason):
        assert framing_rule(reason).id == f"framing.{reason}"


@pytest.mark.parametrize("stage", ["stt", "tts"])
def test_every_error_kind_fails_a_rule_of_its_stage(stage: str) -> None:
    kinds = {cls.kind for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.WyomingRTError)}
    for kind in kinds:
        assert failure_rule(stage, kind).id.startswith(f"{stage}.")
    for kind in ("connect", "timeout", "closed", "error-event", "error-then-hang", "over-budget", "not-sent"):
        assert failure_rule(stage, kind).id == f"{stage}.{kind}"


def test_error_kinds_without_a_rule_of_their_own() -> None:
    assert failure_rule("stt", "protocol") is rules.STT_INVALID_EVENT
    assert failure_rule("stt", "usage") is rules.STT_INVALID_EVENT
    assert failure_rule("tts", "protocol") is rules.TTS_CLOSED  # TTS has no invalid-event rule
    assert failure_rule("tts", "error-then-audio") is rules.TTS_ERROR_THEN_AUDIO


def test_voice_probe_names() -> None:
    name = ProbeName.voice("en_US-lessac-medium")
    assert name == "voice:en_US-lessac-medium" and ProbeName.is_voice(name)
    assert not ProbeName.is_voice(ProbeName.TTS_LINGER)

from pathlib import Path

from wyoming_rt.records.rules import RULES
from wyoming_rt.report.rules_doc import rules_markdown


def test_docs_rules_md_is_the_generated_catalogue() -> None:
    doc = (Path(__file__).parents[1] / "docs" / "rules.md").read_text()
    assert doc == rules_markdown(), "regenerate with: python -m wyoming_rt rules > docs/rules.md"


def test_every_rule_is_listed_with_its_severity() -> None:
    doc = rules_markdown()
    assert len(RULES) >= 30
    for rule in RULES.values():
        assert f"| `{rule.id}` | {rule.severity} |" in doc, rule.id

from pathlib import Path

import wyoming_rt.gates  # noqa: F401  (registers the gate rules)
import wyoming_rt.validation  # noqa: F401  (registers every check's rules)
from wyoming_rt.findings import RULES


def test_every_rule_is_documented_with_its_severity() -> None:
    doc = (Path(__file__).parents[1] / "docs" / "rules.md").read_text()
    for rule in RULES.values():
        assert f"| `{rule.id}` | {rule.severity} |" in doc, rule.id

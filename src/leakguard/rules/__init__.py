"""Detection rules: the model, the loader and the self-tests of ``rules/regex.json``."""

from leakguard.rules.loader import default_rules_path, load_rules, parse_rules
from leakguard.rules.model import Allowlist, DetectorSettings, Rule, RuleSet

__all__ = [
    "Allowlist",
    "DetectorSettings",
    "Rule",
    "RuleSet",
    "default_rules_path",
    "load_rules",
    "parse_rules",
]

"""``leakguard rules test`` and ``leakguard rules lint``: rules carry their own tests.

Each rule is tested alone (with the global allowlist), so a more specific rule matching the same text
cannot hide a rule whose example does not work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from leakguard.detect.engine import Detector
from leakguard.detect.prefilter import filterable
from leakguard.errors import ConfigError, RuleError
from leakguard.rules.extends import extends_builtin, resolve
from leakguard.rules.loader import _compile_allowlist, _compile_rule, _validate, default_rules_path
from leakguard.rules.model import Rule, RuleSet


@dataclass(frozen=True)
class ExampleFailure:
    """An example that did not behave: ``expected`` is "match" or "nomatch"."""

    rule_id: str
    expected: str
    index: int

    def __str__(self) -> str:
        verb = "should match but does not" if self.expected == "match" else "should not match but does"
        return f"rule {self.rule_id!r}: {self.expected} example #{self.index + 1} {verb}"


def rule_matches(rule: Rule, ruleset: RuleSet, text: str) -> bool:
    """True when ``rule``, alone with the global allowlist, reports something in ``text``."""
    alone = replace(ruleset, rules=(rule,))
    return any(
        f.rule_id == rule.id for f in Detector(alone, plugins=False).scan_text(text, path=rule.example_path)
    )


def run_examples(ruleset: RuleSet) -> list[ExampleFailure]:
    """Every example, of every rule, that does not behave as the rule says."""
    failures = []
    for rule in ruleset.rules:
        for index, text in enumerate(rule.examples_match):
            if not rule_matches(rule, ruleset, text):
                failures.append(ExampleFailure(rule.id, "match", index))
        for index, text in enumerate(rule.examples_nomatch):
            if rule_matches(rule, ruleset, text):
                failures.append(ExampleFailure(rule.id, "nomatch", index))
    return failures


def lint(path: str | Path | None = None) -> list[RuleError]:
    """Every problem of a rules file, not only the first: schema, RE2 compilation, empty matches,
    duplicate ids and match examples that hold none of the rule's keywords (the rule could never run).
    """
    source = Path(path) if path is not None else default_rules_path()
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read rules file {source}: {exc}") from exc
    return lint_document(raw, source=str(source))


def lint_document(raw: Any, *, source: str = "<memory>", builtin: Path | None = None) -> list[RuleError]:
    """:func:`lint` of already-parsed rules JSON; a file extending the built-in set is linted merged
    (so a built-in example broken by an added allowlist entry is reported too)."""
    if extends_builtin(raw):
        own = _lint_top_and_rules(raw)
        if own:
            return own
        try:
            raw = resolve(raw, builtin=builtin)
        except RuleError as exc:
            return [exc]
    if isinstance(raw, list):
        from leakguard.rules.loader import parse_rules

        try:
            parse_rules(raw, source=source)
        except RuleError as exc:
            return [exc]
        return []
    return _lint_top_and_rules(raw)


def _lint_top_and_rules(raw: Any) -> list[RuleError]:
    problems: list[RuleError] = []
    top = {k: v for k, v in raw.items() if k != "rules"} if isinstance(raw, dict) else raw
    try:
        _validate({**top, "rules": []} if isinstance(top, dict) else top)
        _compile_allowlist(top.get("allowlist", {}), rule_id=None, field="allowlist", camel_case=True)
    except RuleError as exc:
        problems.append(exc)
    seen: set[str] = set()
    for position, entry in enumerate(raw.get("rules", []) if isinstance(raw, dict) else []):
        problems.extend(_lint_rule(entry, position, seen))
    return problems


def _lint_rule(entry: Any, position: int, seen: set[str]) -> list[RuleError]:
    rule_id = entry.get("id") if isinstance(entry, dict) else None
    try:
        _validate({"version": 1, "rules": [entry]})
        rule = _compile_rule(entry)
    except RuleError as exc:
        if exc.rule_id == "#0":
            exc = RuleError(rule_id or f"#{position}", exc.field, exc.reason)
        return [exc]
    problems = []
    if rule.id in seen:
        problems.append(RuleError(rule.id, "id", "is used by more than one rule"))
    seen.add(rule.id)
    if rule.paths and not rule.applies_to(rule.example_path):
        problems.append(
            RuleError(rule.id, "examples.path", "matches none of the rule's paths, so no example could match")
        )
    routed = not rule.keywordless and not rule.paths  # else the keywords only document the rule
    if routed and not filterable(rule.pattern):
        problems.append(
            RuleError(
                rule.id,
                "regex",
                "turns a flag off or anchors to the whole text (\\A, \\z), so no prefilter can skip a"
                " file for it and it runs on every line holding a keyword: spell the case-sensitive"
                " part out (write [Kk]ey, not (?-i:Key)) or anchor with ^ and $",
            )
        )
    for index, example in enumerate(rule.examples_match):
        if routed and not any(keyword in example.lower() for keyword in rule.keywords):
            problems.append(
                RuleError(
                    rule.id,
                    f"examples.match[{index}]",
                    "contains none of the rule's keywords, so the rule never runs on it",
                )
            )
    return problems

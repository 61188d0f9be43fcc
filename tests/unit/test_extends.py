"""A rules file extending the built-in set: add, override by id, disable by id; the same in every reader."""

import json

import pytest

from leakguard.errors import RuleError
from leakguard.rules import load_rules, parse_rules
from leakguard.rules.selftest import lint_document
from tests.conftest import FIXTURES

BUILTIN = FIXTURES / "rules.json"  # four rules stand in for the bundled set


def _token_rule(rule_id="acme-token", prefix="acme_", **overrides):
    rule = {
        "id": rule_id,
        "description": "ACME token",
        "regex": f"(?P<secret>{prefix}[a-z0-9]{{10}})",
        "keywords": [prefix],
        "severity": "high",
        "examples": {"match": [f"{prefix}abcdefghij"], "nomatch": [f"{prefix}x"]},
    }
    rule.update(overrides)
    return rule


def _extension(*rules, **top):
    return {"version": 1, "extends": "builtin", "rules": list(rules), **top}


def test_added_rules_come_after_every_built_in_rule():
    ruleset = parse_rules(_extension(_token_rule()), builtin=BUILTIN)
    assert [r.id for r in ruleset.rules] == [
        "aws-access-key-id",
        "github-pat",
        "generic-secret",
        "private-key",
        "acme-token",
    ]


def test_a_rule_with_a_built_in_id_replaces_it_in_place():
    override = _token_rule("github-pat", "ghp_", severity="critical", mode="monitor")
    ruleset = parse_rules(_extension(override), builtin=BUILTIN)
    ids = ["aws-access-key-id", "github-pat", "generic-secret", "private-key"]
    assert [r.id for r in ruleset.rules] == ids
    rule = ruleset.by_id("github-pat")
    assert (rule.severity, rule.mode, rule.pattern) == ("critical", "monitor", override["regex"])


def test_disabled_built_in_rules_are_left_out():
    ruleset = parse_rules(_extension(disable=["generic-secret", "private-key"]), builtin=BUILTIN)
    assert [r.id for r in ruleset.rules] == ["aws-access-key-id", "github-pat"]


def test_allowlists_are_appended_and_detector_settings_overridden_key_by_key():
    raw = _extension(
        allowlist={"stopwords": ["dummy"], "paths": ["(^|/)fixtures/"]},
        detectors={"high-entropy": {"mode": "enforce"}},
    )
    ruleset = parse_rules(raw, builtin=BUILTIN)
    assert ruleset.allowlist.stopwords == ("example", "dummy")
    assert [p.pattern for p in ruleset.allowlist.paths] == ["(^|/)vendor/", "(^|/)fixtures/"]
    assert ruleset.allowlist.allows_secret("dummy-value-1") and ruleset.allowlist.allows_secret("example")
    entropy = ruleset.high_entropy
    assert (entropy.enabled, entropy.severity, entropy.mode) == (True, "medium", "enforce")


def test_a_file_without_extends_is_the_whole_rule_set():
    ruleset = parse_rules({"version": 1, "rules": [_token_rule()]})
    assert [r.id for r in ruleset.rules] == ["acme-token"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            _extension(disable=["no-such-rule"]),
            "rules file: field 'disable[0]': 'no-such-rule' is not a rule",
        ),
        (
            _extension(_token_rule("github-pat", "ghp_"), disable=["github-pat"]),
            "rule 'github-pat': field 'id': is both disabled and overridden",
        ),
        ({**_extension(), "extends": "gitleaks"}, "rules file: field 'extends': 'builtin' was expected"),
        (
            {"version": 1, "disable": ["github-pat"], "rules": []},
            "rules file: field '<top level>': 'extends' is a dependency of 'disable'",
        ),
        (_extension(_token_rule(severity="urgent")), "rule 'acme-token': field 'severity'"),
    ],
)
def test_bad_extensions_name_the_field(raw, message):
    with pytest.raises(RuleError) as error:
        parse_rules(raw, builtin=BUILTIN)
    assert str(error.value).startswith(message)
    assert str(lint_document(raw, builtin=BUILTIN)[0]).startswith(message)


def test_lint_checks_the_merged_set_so_an_added_allowlist_that_breaks_a_built_in_example_shows():
    # The built-in aws-access-key-id rule's first match example holds QWERTY: allowlisting it breaks it.
    raw = _extension(allowlist={"regexes": ["QWERTY"]})
    assert lint_document(raw, builtin=BUILTIN) == []  # lint: schema and RE2 are fine ...
    from leakguard.rules.selftest import run_examples

    failures = [str(f) for f in run_examples(parse_rules(raw, builtin=BUILTIN))]
    assert "rule 'aws-access-key-id': match example #1 should match but does not" in failures


def test_lint_reports_every_bad_added_rule_not_only_the_first():
    raw = _extension(_token_rule("one-token", regex="(?=x)(?P<secret>a)"), _token_rule("two-token", mode="x"))
    assert [p.rule_id for p in lint_document(raw, builtin=BUILTIN)] == ["one-token", "two-token"]


def test_the_bundled_set_extended_by_the_fixture_file(tmp_path):
    builtin = load_rules()
    extended = load_rules(FIXTURES / "rules-extends.json")
    assert [r.id for r in extended.rules] == [*(r.id for r in builtin.rules), "acme-internal-token"]
    disabled = tmp_path / "disable.json"
    first = builtin.rules[0].id
    disabled.write_text(json.dumps({"version": 1, "extends": "builtin", "disable": [first], "rules": []}))
    assert first not in {r.id for r in load_rules(disabled).rules}

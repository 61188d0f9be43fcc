import json

import pytest

from leakguard.errors import ConfigError, RuleError
from leakguard.rules import load_rules, parse_rules


def _rule(**overrides):
    rule = {
        "id": "demo-token",
        "description": "Demo token",
        "regex": "(?P<secret>demo_[a-z0-9]{10})",
        "keywords": ["demo_"],
        "severity": "high",
        "examples": {"match": ["demo_abcdefghij"], "nomatch": ["demo_x"]},
    }
    rule.update(overrides)
    return {"version": 1, "rules": [rule]}


def test_a_valid_rule_compiles_with_its_secret_group():
    ruleset = parse_rules(_rule())
    rule = ruleset.by_id("demo-token")
    assert rule.mode == "enforce"
    assert rule.regex.search("x demo_abcdefghij").group(rule.secret_group) == "demo_abcdefghij"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"severity": "urgent"}, "rule 'demo-token': field 'severity': 'urgent' is not one of"),
        ({"keywords": []}, "rule 'demo-token': field 'keywords': [] should be non-empty"),
        ({"keywords": ["Demo"]}, "rule 'demo-token': field 'keywords.0': 'Demo' does not match"),
        ({"regex": "(?<=x)demo"}, "rule 'demo-token': field 'regex': does not compile on RE2"),
        ({"regex": "(?P<secret>a*)"}, "rule 'demo-token': field 'regex': matches the empty string"),
        ({"regex": "demo_[a-z]+"}, "rule 'demo-token': field 'regex': needs a capture group"),
        ({"mode": "block"}, "rule 'demo-token': field 'mode': 'block' is not one of"),
        ({"entropy": 9}, "rule 'demo-token': field 'entropy': 9 is greater than the maximum of 8"),
        (
            {"allowlist": {"regexes": ["(?!x)"]}},
            "rule 'demo-token': field 'allowlist.regexes[0]': does not compile",
        ),
        ({"colour": "red"}, "rule 'demo-token': field '<top level>': Additional properties are not allowed"),
        ({"paths": []}, "rule 'demo-token': field 'paths': [] should be non-empty"),
        ({"paths": ["(?<=/)x"]}, "rule 'demo-token': field 'paths[0]': does not compile"),
    ],
)
def test_invalid_rules_name_the_rule_and_the_field(overrides, message):
    with pytest.raises(RuleError) as error:
        parse_rules(_rule(**overrides))
    assert str(error.value).startswith(message)


def test_a_rule_without_id_is_named_by_position():
    raw = _rule()
    del raw["rules"][0]["id"]
    with pytest.raises(RuleError, match=r"rule '#0': field '<top level>': 'id' is a required property"):
        parse_rules(raw)


def test_duplicate_ids_are_refused():
    raw = _rule()
    raw["rules"].append(dict(raw["rules"][0]))
    with pytest.raises(RuleError, match="rule 'demo-token': field 'id': is used by more than one rule"):
        parse_rules(raw)


def test_legacy_pairs_load_with_a_deprecation_warning(tmp_path):
    legacy = tmp_path / "legacy.json"
    legacy.write_text(
        json.dumps([["AWS Keys", "AKIA[A-Z0-9]{16}"], ["Slack Token", "xox[bp]-[0-9A-Za-z-]{10,}"]])
    )
    with pytest.warns(DeprecationWarning, match="legacy rules format"):
        ruleset = load_rules(legacy)
    assert [r.id for r in ruleset.rules] == ["aws-keys", "slack-token"]
    assert ruleset.rules[0].secret_group == 0


def test_legacy_entries_must_be_pairs(tmp_path):
    with pytest.warns(DeprecationWarning), pytest.raises(RuleError, match="rule '#1': field '<entry>'"):
        parse_rules([["ok", "abc"], ["missing regex"]])


def test_unreadable_and_malformed_files_are_configuration_errors(tmp_path):
    with pytest.raises(ConfigError, match="cannot read rules file"):
        load_rules(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"version": 1,\n "rules": [}')
    with pytest.raises(ConfigError, match="not valid JSON: line 2 column 12"):
        load_rules(broken)


def test_the_bundled_rules_load():
    assert len(load_rules().rules) >= 60


def _path_rule(**examples):
    return _rule(
        id="demo-file",
        regex=r"^(?P<secret>[0-9a-f]{16})$",
        keywords=["demo.key"],
        paths=[r"(?:^|/)demo\.key$"],
        examples={"match": ["0123456789abcdef"], "nomatch": ["0123"], **examples},
    )


def test_a_rule_with_paths_runs_on_every_line_of_those_files_and_no_other(tmp_path):
    from leakguard.detect.engine import Detector
    from leakguard.sources.base import Fragment

    ruleset = parse_rules(_path_rule(path="keys/demo.key"))
    rule = ruleset.by_id("demo-file")
    assert rule.example_path == "keys/demo.key" and rule.applies_to("a/demo.key")
    assert not rule.applies_to("demo.key.txt")
    detector = Detector(ruleset, plugins=False)
    added = [(4, "0123456789abcdef"), (9, "fedcba9876543210")]  # a diff's added lines: no whole file
    assert [f.line for f in detector.scan(Fragment(path="keys/demo.key", lines=added))] == [4, 9]
    assert detector.scan(Fragment(path="keys/demo.txt", lines=added)) == []
    assert detector.scan(Fragment(path="keys/other.key", lines=added)) == []


def test_lint_refuses_a_rule_whose_examples_are_scanned_where_it_never_runs():
    from leakguard.rules.selftest import lint_document, run_examples

    assert [str(problem) for problem in lint_document(_path_rule())] == [
        "rule 'demo-file': field 'examples.path': matches none of the rule's paths, so no example could match"
    ]
    assert lint_document(_path_rule(path="demo.key")) == []
    assert run_examples(parse_rules(_path_rule(path="demo.key"))) == []
    assert len(run_examples(parse_rules(_path_rule()))) == 1  # at example.txt the match example cannot match


def _named_rule(multiline=False, **allowlist):
    return _rule(
        id="demo-named",
        multiline=multiline,
        regex=r"(?i)\b[a-z]+_token\s*=\s*(?P<secret>[A-Za-z0-9]{12,})",
        keywords=["_token"],
        allowlist=allowlist,
        examples={"match": ["deploy_token = Zq8RmT4wXp2L"], "nomatch": ["next_token = Zq8RmT4wXp2L"]},
    )


@pytest.mark.parametrize("multiline", [False, True])
def test_a_rule_allowlists_the_names_that_hold_no_credential_and_only_those(multiline):
    from leakguard.detect.engine import Detector

    def lines(**allowlist):
        ruleset = parse_rules(_named_rule(multiline, **allowlist))
        return [f.line for f in Detector(ruleset, plugins=False).scan_text(text)]

    text = "next_token = Zq8RmT4wXp2L\ndeploy_token = Hn3VkW9sBd6Y\nnext_token = Pc5XjR2mQy7T # next\n"
    assert lines() == [1, 2, 3]
    assert lines(names=["^next_"]) == [2]  # the name decides, not the value, nor the rest of the line
    # the name is what comes before the secret: a pattern for the value finds nothing there
    assert lines(names=["Hn3VkW9sBd6Y"]) == [1, 2, 3]


def test_a_names_allowlist_is_a_rules_own_and_its_patterns_must_compile():
    with pytest.raises(RuleError, match=r"rule 'demo-named': field 'allowlist.names\[0\]': does not compile"):
        parse_rules(_named_rule(names=["(?<=x)next"]))
    document = _rule()
    document["allowlist"] = {"names": ["^next_"]}
    with pytest.raises(RuleError, match="allowlist"):
        parse_rules(document)


@pytest.mark.parametrize(
    "regex", [r"(?i)x_(?-i:Key)\s*=\s*(?P<secret>[A-Za-z0-9]{12,})", r"\A(?P<secret>demo_[a-z0-9]{10})"]
)
def test_lint_refuses_a_keyword_rule_the_prefilter_cannot_filter(regex):
    from leakguard.rules.selftest import lint_document

    document = _rule(
        regex=regex,
        keywords=["demo_", "key"],
        examples={"match": ["demo_abcdefghij x_Key"], "nomatch": ["x"]},
    )
    assert [(problem.field, problem.reason[:22]) for problem in lint_document(document)] == [
        ("regex", "turns a flag off or an")
    ]
    assert lint_document(_rule()) == []

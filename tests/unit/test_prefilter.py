"""The rule prefilter: relaxed RE2 sets over a whole fragment may over-match, never under-match."""

from dataclasses import replace

import pytest
import re2

from leakguard.detect import prefilter
from leakguard.detect.engine import Detector
from leakguard.detect.prefilter import RulePrefilter, relax
from leakguard.rules import load_rules
from leakguard.sources.base import FileLines, Fragment


@pytest.mark.parametrize(
    ("pattern", "relaxed"),
    [
        ("a{2,3}", "a+"),
        ("(?:ab){0,4}?c", "(?:ab)*?c"),
        ("x{40}", "x+"),
        ("x{3,}", "x+"),
        (r"\{2}", r"\{2}"),  # a literal brace
        ("[{1}]", "[{1}]"),  # braces in a class
        ("[]{2}]x{2}", "[]{2}]x+"),
        ("[[:alpha:]{2}]{3}", "[[:alpha:]{2}]+"),
        ("a{,2}", "a{,2}"),  # not a repetition in RE2
    ],
)
def test_relax_turns_counted_repetitions_into_stars_and_pluses(pattern, relaxed):
    assert relax(pattern) == relaxed


@pytest.fixture(scope="module")
def ruleset():
    return load_rules()


def test_every_rule_example_passes_the_prefilter(ruleset):
    rules = [rule for rule in ruleset.rules if not rule.keywordless]
    gate = RulePrefilter(rules)
    assert gate.enabled
    for rule in rules:
        for example in rule.examples_match:
            blob = f"unrelated = 1\n{example}\nmore = 2".encode()
            assert rule.id in (gate.possible(blob) or ()), (rule.id, example)


def test_clean_text_lets_no_rule_through(ruleset):
    gate = RulePrefilter([rule for rule in ruleset.rules if not rule.keywordless])
    assert gate.possible(b"def add(a, b):\n    return a + b\n") == set()


def test_a_set_that_cannot_run_filters_nothing(ruleset, monkeypatch):
    # An RE2 set without memory for its automaton answers "no match" to everything: the sentinel
    # pattern catches that, and the prefilter steps aside instead of hiding every finding.
    monkeypatch.setattr(prefilter, "SET_MAX_MEM", 1 << 10)
    gate = RulePrefilter([rule for rule in ruleset.rules if not rule.keywordless])
    assert gate.possible(b"anything") is None


def test_rules_whose_anchors_mean_something_else_on_a_blob_are_never_filtered(ruleset):
    anchored = next(rule for rule in ruleset.rules if not rule.keywordless)
    rule = replace(anchored, id="anchored", pattern=r"\Atoken=(\w+)", regex=re2.compile(r"\Atoken=(\w+)"))
    assert "anchored" in (RulePrefilter([rule]).possible(b"nothing here") or ())


def test_findings_are_the_same_with_and_without_the_prefilter(ruleset, monkeypatch):
    text = "\n".join(ruleset.rules[i].examples_match[0] for i in range(0, len(ruleset.rules), 3))
    fragment = Fragment(path="mixed.txt", lines=FileLines(text))
    with_gate = Detector(ruleset).scan(fragment)
    monkeypatch.setattr(RulePrefilter, "possible", lambda self, blob: None)
    assert Detector(ruleset).scan(fragment) == with_gate
    assert with_gate

"""The rule prefilter: relaxed RE2 sets over a whole fragment may over-match, never under-match."""

from dataclasses import replace

import pytest
import re2

from leakguard.detect import prefilter
from leakguard.detect.engine import Detector
from leakguard.detect.pattern_text import relax
from leakguard.detect.prefilter import Answer, RulePrefilter
from leakguard.rules import load_rules
from leakguard.rules.model import Allowlist, RuleSet, re2_options
from leakguard.sources.base import FileLines, Fragment


@pytest.mark.parametrize(
    ("pattern", "relaxed"),
    [
        ("[a-z]{2,3}", "[a-z]+"),
        ("(?:ab){0,4}?c", "(?:ab)*?c"),
        (r"\w{40}", r"\w+"),
        ("[0-9]{3,5}", "[0-9]+"),  # a bounded class loses its bounds
        ("a{0,2}b{1}", "a*b+"),
        (r"\{2}", r"\{2}"),  # a literal brace
        ("[{1}]", "[{1}]"),  # braces in a class
        ("[]{2}]x{2}", "[]{2}]xx"),
        ("[[:alpha:]{2}]{3}", "[[:alpha:]{2}]+"),
        ("a{,2}", "a{,2}"),  # not a repetition in RE2
        (r"\x41{3}", r"\x41+"),  # an escape is one atom, its digits no literal
        (r"\x{41}{3}", r"\x{41}+"),
        (r"\p{Greek}{2}", r"\p{Greek}+"),
    ],
)
def test_relax_turns_counted_repetitions_into_stars_and_pluses(pattern, relaxed):
    assert relax(pattern) == relaxed


@pytest.mark.parametrize(
    ("pattern", "relaxed"),
    [
        ("A{22}[a-z]{80,100}", "A" * 22 + "[a-z]+"),
        ("x{2,3}", "xx+"),
        ("x{3,}", "xxx+"),
        (r"\.{3}", r"\.\.\."),
        ("b{100}", "b" * 64 + "+"),
    ],
)
def test_relax_keeps_a_repeated_literal_character_as_a_run(pattern, relaxed):
    # Relaxed to A+, the X bearer token's 22 A's let the gate match nearly every blob.
    assert relax(pattern) == relaxed


@pytest.mark.parametrize(
    ("pattern", "relaxed"),
    [
        ("[0-9]{3,}", "[0-9][0-9][0-9]+"),
        (r"\w{2,}x", r"\w\w+x"),
        (r"[A-Za-z]{40,}", "[A-Za-z]" * 32 + "+"),
        ("[a-z]{1,}", "[a-z]+"),
        (r"\b{3,}", r"\b+"),  # an assertion, not a class
    ],
)
def test_relax_keeps_an_unbounded_class_repetitions_lower_bound(pattern, relaxed):
    assert relax(pattern) == relaxed


def test_a_rule_of_a_long_letters_only_value_is_filtered_out_of_text_with_short_ones():
    # Relaxed to [A-Za-z]+, the generic rules' letters-only values made every botocore paginator
    # ("input_token": "NextToken") a possible match, and the rules ran on six times the files.
    text = r'(?i)token"?\s*:\s*"(?P<secret>[A-Za-z]{20,})"'
    rule = replace(load_rules().rules[0], id="letters", pattern=text, regex=re2.compile(text))
    gate = RulePrefilter([rule])
    assert gate.possible(b'"input_token": "NextToken",\n"output_token": "NextPageToken"\n') == set()
    assert gate.possible(b'"token": "JNIRsflmbYMxSgQzstPmhD"\n') == {"letters"}


def test_a_rule_of_a_repeated_literal_is_filtered_out_of_text_without_it():
    text = "(?P<secret>A{22}[A-Za-z0-9]{8})"
    rule = replace(load_rules().rules[0], id="run", pattern=text, regex=re2.compile(text))
    gate = RulePrefilter([rule])
    assert gate.possible(b"A short AAAA line and Abc123 words\n") == set()
    assert gate.possible(("A" * 22 + "Zq8Xr2Lm").encode()) == {"run"}


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
    monkeypatch.setattr(RulePrefilter, "matches", lambda self, blob: Answer(None, None, None))
    assert Detector(ruleset).scan(fragment) == with_gate
    assert with_gate


def _keywordless(rule_id, pattern):
    """A keywordless rule like the bundled one, with another pattern (group 1: the secret)."""
    bundled = next(rule for rule in load_rules().rules if rule.keywordless)
    return replace(
        bundled,
        id=rule_id,
        pattern=pattern,
        regex=re2.compile(pattern),
        entropy=None,
        allowlist=Allowlist(),
    )


# Anchors without (?m) mean the blob's start/end, and counted repetitions are exact: the prefilter's
# relaxed, line-anchored form of these would say "matches" on every blob below marked False.
_EXACT_CASES = [
    (r"^(?P<secret>Q[0-9]{3})\b", b"Q123 at the start\nx", True),
    (r"^(?P<secret>Q[0-9]{3})\b", b"x = 1\nQ123 at a line's start", False),
    (r"\b(?P<secret>Q[0-9]{3})$", b"x = 1\nends with Q123", True),
    (r"\b(?P<secret>Q[0-9]{3})$", b"ends a line with Q123\nx = 1", False),
    (r"\b(?P<secret>Q[0-9]{3})\b", b"a Q123 b", True),
    (r"\b(?P<secret>Q[0-9]{3})\b", b"a Q12345 b", False),
]


@pytest.mark.parametrize(("pattern", "blob", "expected"), _EXACT_CASES)
def test_keywordless_rules_get_their_own_exact_answer_from_the_shared_set(ruleset, pattern, blob, expected):
    rule = _keywordless("shape", pattern)
    own = re2.Set.SearchSet(re2_options())
    own.Add(pattern.encode())
    own.Compile()
    assert bool(own.Match(blob)) is expected  # the engine's separate set, before they shared one
    gate = RulePrefilter([r for r in ruleset.rules if not r.keywordless], exact=[rule])
    assert gate.exact
    assert gate.matches(blob)[1] == ([0] if expected else [])


def test_the_bundled_keywordless_rules_agree_with_their_own_set_on_their_examples(ruleset):
    keywordless = [rule for rule in ruleset.rules if rule.keywordless]
    assert keywordless
    gate = RulePrefilter([r for r in ruleset.rules if not r.keywordless], exact=keywordless)
    assert gate.exact
    for position, rule in enumerate(keywordless):
        for example in (*rule.examples_match, *rule.examples_nomatch):
            blob = f"unrelated = 1\n{example}\nmore = 2".encode()
            assert (position in (gate.matches(blob)[1] or [])) is bool(rule.regex.search(blob.decode()))


def test_keywordless_rules_fall_back_to_their_own_set_when_the_shared_one_cannot_run(ruleset, monkeypatch):
    monkeypatch.setattr(prefilter, "SET_MAX_MEM", 1 << 10)
    rule = _keywordless("shape", r"\b(?P<secret>Q[0-9]{3}\.[a-z]{4})\b")
    gate = RulePrefilter([r for r in ruleset.rules if not r.keywordless], exact=[rule])
    assert gate.matches(b"Q123.abcd") == prefilter.Answer(None, None, None)
    # The engine then asks the keywordless rules' own set: the finding is still there.
    detector = Detector(RuleSet(rules=(*ruleset.rules, rule)), plugins=False)
    assert not detector._prefilter.exact
    assert [f.rule_id for f in detector.scan_text("x = 'Q123.abcd'")] == ["shape"]


def test_keywordless_findings_are_the_same_through_the_shared_set_and_their_own(ruleset, monkeypatch):
    rule = _keywordless("shape", r"(?:^|[^A-Za-z0-9])(?P<secret>Q[0-9]{3}\.[a-z]{4})(?:[^a-z]|$)")
    rules = RuleSet(rules=(*ruleset.rules, rule))
    text = "Q123.abcd first\nx = 'Q555.wxyz'\nQ1234.abcd\nlast Q777.efgh"
    shared = Detector(rules, plugins=False)
    assert shared._prefilter.exact
    found = shared.scan_text(text)
    assert [(f.rule_id, f.line) for f in found if f.rule_id == "shape"] == [
        ("shape", 1),
        ("shape", 2),
        ("shape", 4),
    ]
    monkeypatch.setattr(RulePrefilter, "matches", lambda self, blob: Answer(None, None, None))
    assert Detector(rules, plugins=False).scan_text(text) == found

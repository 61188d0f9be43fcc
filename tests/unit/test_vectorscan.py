"""The Vectorscan gate of the rule prefilter: a superset of RE2's answer, never less, or RE2 itself."""

import os
import random
from dataclasses import replace

import pytest
import re2

from leakguard.detect import plugins, vectorscan
from leakguard.detect.engine import Detector, _split_located
from leakguard.detect.lines import matching_lines
from leakguard.detect.pattern_text import ascii_superset, relax
from leakguard.detect.prefilter import RulePrefilter
from leakguard.rules import load_rules
from leakguard.rules.model import Allowlist, re2_options
from leakguard.sources.base import FileLines, Fragment

pytestmark = pytest.mark.skipif(not vectorscan.available(), reason="the hyperscan wheel is not installed")


@pytest.fixture(scope="module")
def ruleset():
    return load_rules()


@pytest.fixture
def at_once(monkeypatch):
    """Gates compile on the first blob instead of after COMPILE_AFTER_BYTES of text."""
    monkeypatch.setattr(vectorscan, "COMPILE_AFTER_BYTES", 0)
    monkeypatch.setattr(vectorscan, "LOAD_AFTER_BYTES", 0)


def _relaxed_set(pattern: str):
    """RE2's answer for one relaxed pattern, as the prefilter's RE2 sets ask it."""
    one = re2.Set.SearchSet(re2_options())
    one.Add(b"(?m)" + relax(pattern).encode())
    one.Compile()
    return one


def _fast_only(rules, exact=()):
    gate = RulePrefilter(rules, exact=exact)
    assert gate._fast.ready(1) is not None  # the Vectorscan database, not RE2, answers below
    return gate


def test_every_rule_example_passes_the_vectorscan_gate(ruleset, at_once):
    rules = [rule for rule in ruleset.rules if not rule.keywordless]
    gate = _fast_only(rules)
    for rule in rules:
        for example in rule.examples_match:
            blob = f"unrelated = 1\n{example}\nmore = 2".encode()
            assert rule.id in (gate.possible(blob) or ()), (rule.id, example)


# Case-insensitive RE2 folds Unicode: ſ (U+017F) is an s, K (U+212A) a k. A gate folding only ASCII would
# let `paſsword = "..."` through RE2's sets and the rules, and hide it here.
_FOLDS = {"s": "ſ", "S": "ſ", "k": "K", "K": "K"}


def _unicode_cased(text: str) -> str:
    return "".join(_FOLDS.get(char, char) for char in text)


def test_the_gate_answers_at_least_what_re2_answers_on_hostile_spellings(ruleset, at_once):
    rules = [rule for rule in ruleset.rules if not rule.keywordless]
    gate = _fast_only(rules)
    checked = 0
    for rule in rules:
        re2_answer = _relaxed_set(rule.pattern)
        for example in (*rule.examples_match, *rule.examples_nomatch):
            for variant in (example, _unicode_cased(example), example.upper(), example.replace(" ", "\v")):
                blob = f"x\n{variant}\n".encode()
                if re2_answer.Match(blob):
                    checked += 1
                    assert rule.id in (gate.possible(blob) or ()), (rule.id, variant)
    assert checked > 1000


def test_clean_text_lets_no_rule_through_the_gate(ruleset, at_once):
    gate = _fast_only([rule for rule in ruleset.rules if not rule.keywordless])
    assert gate.possible(b"def add(a, b):\n    return a + b\n") == set()


def test_the_gate_compiles_only_after_enough_text(ruleset, monkeypatch, tmp_path):
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path))  # nothing cached yet
    monkeypatch.setattr(vectorscan, "COMPILE_AFTER_BYTES", 100)
    gate = RulePrefilter([rule for rule in ruleset.rules if not rule.keywordless])
    assert gate._fast.ready(60) is None  # a short scan: RE2 answers, nothing compiled
    assert gate._fast.gate is None
    assert gate._fast.ready(60) is not None


def test_a_pattern_vectorscan_refuses_is_always_possible(ruleset, at_once):
    bundled = next(rule for rule in ruleset.rules if not rule.keywordless)
    ungreedy = replace(bundled, id="ungreedy", pattern=r"(?U)zq=(\w+)", regex=re2.compile(r"(?U)zq=(\w+)"))
    gate = _fast_only([bundled, ungreedy])
    assert gate._fast.refused == {1}
    assert gate.possible(b"nothing here") == {"ungreedy"}


def test_a_blob_vectorscan_cannot_scan_is_answered_by_re2(ruleset, at_once, monkeypatch, caplog):
    rules = [rule for rule in ruleset.rules if not rule.keywordless]
    gate = _fast_only(rules)
    example = rules[0].examples_match[0].encode()

    class Broken:  # the wheel's database failing a scan (its scratch space, an internal error)
        def scan(self, blob, match_event_handler):
            raise vectorscan.hyperscan.error("scratch space")

    monkeypatch.setattr(gate._fast.gate, "_database", Broken())
    assert rules[0].id in (gate.possible(example) or ())
    assert "RE2 answers" in caplog.text


def test_without_the_wheel_re2_answers(ruleset, monkeypatch):
    monkeypatch.setattr(vectorscan, "hyperscan", None)
    monkeypatch.setattr(vectorscan, "COMPILE_AFTER_BYTES", 0)
    rules = [rule for rule in ruleset.rules if not rule.keywordless]
    gate = RulePrefilter(rules)
    assert gate._fast.ready(1 << 30) is None
    assert rules[0].id in (gate.possible(rules[0].examples_match[0].encode()) or ())


def _keywordless(rule_id, pattern):
    bundled = next(rule for rule in load_rules().rules if rule.keywordless)
    return replace(
        bundled, id=rule_id, pattern=pattern, regex=re2.compile(pattern), entropy=None, allowlist=Allowlist()
    )


# The gate only says "maybe" for keywordless rules; RE2 answers exactly (anchors, exact counts).
@pytest.mark.parametrize(
    ("pattern", "blob", "expected"),
    [
        (r"^(?P<secret>Q[0-9]{3})\b", b"Q123 at the start\nx", True),
        (r"^(?P<secret>Q[0-9]{3})\b", b"x = 1\nQ123 at a line's start", False),
        (r"\b(?P<secret>Q[0-9]{3})\b", b"a Q123 b", True),
        (r"\b(?P<secret>Q[0-9]{3})\b", b"a Q12345 b", False),
        (r"\b(?P<secret>Q[0-9]{3})\b", b"nothing", False),
    ],
)
def test_keywordless_rules_are_answered_exactly_with_the_gate(ruleset, at_once, pattern, blob, expected):
    gate = _fast_only([r for r in ruleset.rules if not r.keywordless], exact=[_keywordless("shape", pattern)])
    assert gate.exact
    assert gate.matches(blob)[1] == ([0] if expected else [])


def test_findings_are_the_same_with_the_gate_and_with_re2(ruleset, monkeypatch):
    lines = [example for rule in ruleset.rules for example in rule.examples_match[:2]]
    lines += [_unicode_cased(line) for line in lines]
    fragment = Fragment(path="mixed.txt", lines=FileLines("\n".join(lines)))
    with_re2 = Detector(ruleset).scan(fragment)
    monkeypatch.setattr(vectorscan, "COMPILE_AFTER_BYTES", 0)
    detector = Detector(ruleset)
    assert detector._prefilter._fast.ready(1) is not None
    assert detector.scan(fragment) == with_re2
    assert len({finding.rule_id for finding in with_re2}) > 100


@pytest.mark.parametrize(
    ("pattern", "gate_form"),
    [
        ("password", "password"),  # ASCII: untouched
        ("contraseña", r"contrase[^\x00-\x7f]a"),
        ("(?i:[iİı]d)", r"(?i:(?:[i]|[^\x00-\x7f])d)"),
        ("x[ñ]+y", r"x[^\x00-\x7f]+y"),
        ("[[:alpha:]ñ]", r"(?:[[:alpha:]]|[^\x00-\x7f])"),
        ("[]ñ]", r"(?:[]]|[^\x00-\x7f])"),
        (r"\[ñ", r"\[[^\x00-\x7f]"),  # an escaped bracket opens no class
        ("[^aé]b", "[^a]b"),  # a negated class only gets wider
        ("[a-é]", None),  # a range with a non-ASCII end: refused
        ("[^é]", None),
    ],
)
def test_non_ascii_characters_become_any_non_ascii_character(pattern, gate_form):
    assert ascii_superset(pattern) == gate_form


def test_a_refused_non_ascii_pattern_is_always_possible(at_once):
    gate, refused = vectorscan.PatternGate.build(["abc", "[a-é]x", r"\x{e9}x", r"\pLx"])
    assert gate is not None and refused == [1, 2, 3]
    assert gate.matching(b"zzz") == set()


# Lines the plugins' RE2 line filter finds, spelt as hostile pushes spell them: Turkish dotted and
# dotless i, ñ in contraseña, Unicode case, spaces Python's \s takes and RE2's does not.
_PLUGIN_LINES = [
    'contraseña = "Xk29vLq0pZ8rT"',
    'CONTRASEÑA = "Xk29vLq0pZ8rT"',
    'apİ_key = "Xk29vLq0pZ8rT"',
    'secret_token = "c2VjcmV0LXZhbHVlLXRoYXQtaXMtbG9uZw=="',
    'db_pass\u00a0=\u00a0"Xk29vLq0pZ8rTq"',
    'auth_header: "ab12cd34ef56ab78cd90"',
    'prıvate_key = "Xk29vLq0pZ8rTq"',
]


def test_the_gate_locates_the_plugins_lines_wherever_re2_finds_one(ruleset, at_once):
    detector = Detector(ruleset)
    line_filter = plugins._line_filter(detector._plugins._families())
    for line in _PLUGIN_LINES:
        blob = f"x = 1\n{line}\nz = 2\n".encode()
        assert line_filter.search(blob), line  # each is a line the plugins' pass takes
        assert _split_located(blob, detector._prefilter.matches(blob).located)[1] == [1], line
    clean = b"def add(a, b):\n    return a + b\n"
    assert _split_located(clean, detector._prefilter.matches(clean).located) == ([], [])


def test_the_located_plugin_lines_tested_one_by_one_are_the_lines_of_re2s_pass(ruleset, at_once):
    """Lines only the superset matches (any non-ASCII letter for ñ, İ, ı) are dropped by the exact test."""
    detector = Detector(ruleset)
    line_filter = plugins._line_filter(detector._plugins._families())
    near_misses = ['contraseéa = "Xk29vLq0pZ8rT"', 'apé_key = "Xk29vLq0pZ8rT"', "password = x", "token"]
    rng = random.Random(7)
    dropped = 0
    for _ in range(30):
        texts = [rng.choice([*_PLUGIN_LINES, *near_misses, "x = 1", "", "# a comment"]) for _ in range(40)]
        blob = "\n".join(texts).encode()
        located = _split_located(blob, detector._prefilter.matches(blob).located)[1]
        assert located is not None
        kept = [index for index in located if plugins._found(line_filter, texts[index].encode())]
        assert kept == matching_lines(line_filter, blob)
        dropped += len(located) - len(kept)
    assert dropped  # the near misses were located and tested out


def test_plugin_findings_are_the_same_with_the_gate_and_with_re2(ruleset, monkeypatch):
    fragment = Fragment(path="settings.py", lines=FileLines("\n".join(["x = 1", *_PLUGIN_LINES])))
    with_re2 = Detector(ruleset).scan(fragment)
    monkeypatch.setattr(vectorscan, "COMPILE_AFTER_BYTES", 0)
    assert Detector(ruleset).scan(fragment) == with_re2
    assert any(finding.detector.startswith("detect-secrets") for finding in with_re2)


_PATTERNS = [r"(?i)token\s*=\s*\w+", r"ghp_[A-Za-z0-9]+", r"(?U)zq=(\w+)"]


def test_a_compiled_database_is_loaded_from_the_cache_by_the_next_scan(at_once, monkeypatch, tmp_path):
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "cache"))
    first = vectorscan.LazyGate(_PATTERNS)
    assert first.ready(1) is not None
    assert [path.name.startswith("vectorscan-") for path in (tmp_path / "cache").iterdir()] == [True]

    def no_compiling(*args):
        raise AssertionError("compiled again")

    monkeypatch.setattr(vectorscan, "_compile", no_compiling)
    monkeypatch.setattr(vectorscan, "COMPILE_AFTER_BYTES", 1 << 40)  # never compiles: cached only
    monkeypatch.setattr(vectorscan, "LOAD_AFTER_BYTES", 100)
    second = vectorscan.LazyGate(_PATTERNS)
    assert second.ready(60) is None  # a very short scan does not even look at the cache
    gate = second.ready(60)
    assert gate is not None and second.refused == {2}
    assert gate.matching(b"x\nTOKEN = abc\n") == {0}
    assert gate.matching(b"ghp_abc") == {1}
    assert gate.matching("paſsword ghp_abc".encode()) is None  # the fold test survives the cache
    other = vectorscan.LazyGate(_PATTERNS[:2])  # other patterns: another file, not this one
    assert other.ready(1) is None


def test_a_cached_database_answers_from_a_scans_first_64_kib(monkeypatch, tmp_path):
    """Loading a cached database (17 ms) costs less than RE2's sets warming up over the first
    megabyte (60-220 ms on real code): a scan uses it as soon as it has read 64 KiB, not 1 MB."""
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(vectorscan, "COMPILE_AFTER_BYTES", 0)
    assert vectorscan.LazyGate(_PATTERNS).ready(1 << 16) is not None  # compiled and cached
    monkeypatch.setattr(vectorscan, "COMPILE_AFTER_BYTES", 8 << 20)  # the default again
    loaded = vectorscan.LazyGate(_PATTERNS)
    assert loaded.ready(4 << 10) is None  # a pre-commit-sized scan never touches the wheel
    gate = loaded.ready(60 << 10)
    assert gate is not None and gate.matching(b"ghp_abc") == {1}


def test_the_cache_keeps_the_most_recently_used_databases_only(at_once, monkeypatch, tmp_path):
    """Every rules change compiles another 2 MB database: the directory keeps KEPT_DATABASES of
    them, the ones scans used last (a load counts as a use, not only a compile)."""
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path))
    rule_sets = [[*_PATTERNS, f"old{number}_[a-z]+"] for number in range(vectorscan.KEPT_DATABASES + 2)]
    for age, patterns in enumerate(rule_sets):
        vectorscan.LazyGate(patterns).ready(1)
        (only,) = [p for p in tmp_path.glob("vectorscan-*.db") if p.stat().st_mtime > 1e9]
        os.utime(only, (1e6 + age, 1e6 + age))  # compiled in this order, long ago
    assert len(list(tmp_path.glob("vectorscan-*.db"))) == vectorscan.KEPT_DATABASES
    assert vectorscan.load_cached(rule_sets[0]) is None  # the oldest went first
    assert vectorscan.load_cached(rule_sets[2]) is not None  # used now: kept by the next eviction
    vectorscan.LazyGate([*_PATTERNS, "newest_[a-z]+"]).ready(1)
    assert vectorscan.load_cached(rule_sets[2]) is not None
    assert vectorscan.load_cached(rule_sets[3]) is None  # the least recently used of those left


def test_a_corrupt_cache_file_is_compiled_again(at_once, monkeypatch, tmp_path):
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path))
    vectorscan.LazyGate(_PATTERNS).ready(1)
    (cached,) = tmp_path.glob("vectorscan-*.db")
    cached.write_bytes(b'{"ids": [0, 1], "refused": [2]}\nnot a database')
    gate = vectorscan.LazyGate(_PATTERNS).ready(1)
    assert gate is not None and gate.matching(b"ghp_abc") == {1}


def test_a_cache_directory_others_can_write_is_not_used(at_once, monkeypatch, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(shared))
    assert vectorscan.cache_directory() is None
    assert vectorscan.LazyGate(_PATTERNS).ready(1) is not None  # compiled, not cached
    assert list(shared.iterdir()) == []


def test_no_cache_where_no_directory_can_be_made(at_once, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(blocker / "cache"))
    assert vectorscan.cache_directory() is None
    assert vectorscan.LazyGate(_PATTERNS).ready(1) is not None


def test_a_cached_database_that_is_a_link_or_others_can_write_is_compiled_again(
    at_once, monkeypatch, tmp_path
):
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "cache"))
    vectorscan.LazyGate(_PATTERNS).ready(1)
    (cached,) = (tmp_path / "cache").glob("vectorscan-*.db")
    planted = tmp_path / "planted.db"  # what a swapped directory or a link would hand over instead
    planted.write_bytes(cached.read_bytes())
    compiled: list[object] = []
    real_compile = vectorscan._compile
    monkeypatch.setattr(vectorscan, "_compile", lambda *a: compiled.append(a) or real_compile(*a))
    for make in ("link", "writable"):
        cached.unlink()
        if make == "link":
            cached.symlink_to(planted)
        else:
            cached.write_bytes(planted.read_bytes())
            cached.chmod(0o666)
        compiled.clear()
        gate = vectorscan.LazyGate(_PATTERNS).ready(1)
        assert gate is not None and gate.matching(b"ghp_abc") == {1}
        assert compiled, make  # not loaded from the cache: compiled again


# -- located patterns: every match end, from the same pass ------------------------------------------


def test_located_patterns_report_every_match_end_beside_the_gate_answer():
    gate, refused = vectorscan.PatternGate.build(_PATTERNS, located=[r"^ab$", r"cd"])
    assert gate is not None and gate.located == 2 and refused == [2]
    blob = b"ab\nxcdcd\nab\nTOKEN = x"
    hits, ends = gate.locating(blob)
    assert hits == {0}  # the gate's own answer is unchanged
    assert ends == [(2, 0), (6, 1), (8, 1), (11, 0)]
    assert gate.locating("ab paſsword".encode()) is None  # RE2 answers where case folding differs


@pytest.mark.parametrize("located", [[r"\x{e9}"], [r"(?U)a+"], [r"ok", r"a(?=b)"]])
def test_a_located_pattern_vectorscan_refuses_leaves_them_all_to_re2(located):
    gate, _ = vectorscan.PatternGate.build(_PATTERNS, located=located)
    assert gate is not None and gate.located == 0
    assert gate.matching(b"ghp_abc") == {1}


def test_the_cache_keeps_located_patterns_apart(at_once, monkeypatch, tmp_path):
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path))
    assert vectorscan.LazyGate(_PATTERNS, [r"cd"]).ready(1).located == 1
    assert vectorscan.LazyGate(_PATTERNS).ready(1).located == 0  # another database, not the cached one
    monkeypatch.setattr(vectorscan, "_compile", lambda *a: pytest.fail("compiled again"))
    loaded = vectorscan.LazyGate(_PATTERNS, [r"cd"]).ready(1)
    assert loaded.located == 1 and loaded.locating(b"xcd")[1] == [(3, 0)]

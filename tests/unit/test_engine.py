import base64
import time

import pytest

from leakguard.detect.engine import Detector
from leakguard.rules import parse_rules
from leakguard.sources.base import FileLines, Fragment
from tests.conftest import fake_aws_key, fake_github_token


@pytest.fixture
def detector(small_rules):
    return Detector(small_rules, plugins=False)


def test_finds_a_provider_token_under_a_neutral_name(detector, rng):
    token = fake_github_token(rng)
    [finding] = detector.scan_text(f"value = '{token}'", path="app.py")
    assert (finding.rule_id, finding.line, finding.column) == ("github-pat", 1, 10)
    assert finding.redacted == "ghp_********"
    assert token not in repr(finding)


def test_reports_line_numbers_of_the_new_file(detector, rng):
    key = fake_aws_key(rng)
    fragment = Fragment(
        path="a.py", lines=[(10, "x = 1"), (42, f"k = '{key}'")], commit="c" * 40, author="A <a@b>"
    )
    [finding] = detector.scan(fragment)
    assert (finding.line, finding.commit, finding.author) == (42, "c" * 40, "A <a@b>")


def test_lines_without_keywords_are_not_matched_even_if_the_regex_would(small_rules):
    # The prefilter is the contract: a rule runs only where one of its keywords occurs.
    raw = {
        "version": 1,
        "rules": [
            {
                "id": "digits",
                "description": "d",
                "regex": "(?P<secret>[0-9]{12})",
                "keywords": ["pin"],
                "severity": "low",
                "examples": {"match": ["pin 123456789012"], "nomatch": ["x"]},
            }
        ],
    }
    detector = Detector(parse_rules(raw), plugins=False)
    assert detector.scan_text("id 123456789012") == []
    assert [f.rule_id for f in detector.scan_text("PIN 123456789012")] == ["digits"]


def test_a_keyword_inside_another_keyword_still_triggers_its_rule():
    raw = {
        "version": 1,
        "rules": [
            {
                "id": "long-kw",
                "description": "d",
                "regex": "(?P<secret>apikey_[0-9]{6})",
                "keywords": ["apikey"],
                "severity": "low",
                "examples": {"match": ["apikey_123456"], "nomatch": ["x"]},
            },
            {
                "id": "short-kw",
                "description": "d",
                "regex": "key=(?P<secret>[0-9]{8})",
                "keywords": ["key"],
                "severity": "low",
                "examples": {"match": ["key=12345678"], "nomatch": ["x"]},
            },
        ],
    }
    findings = Detector(parse_rules(raw), plugins=False).scan_text("apikey=98765432")
    assert [f.rule_id for f in findings] == ["short-kw"]


def test_placeholders_and_stopwords_are_not_reported(detector):
    text = "k = 'AKIAIOSFODNN7EXAMPLE'\ntoken = '${GITHUB_TOKEN}'\nsecret = '<your-secret-here>'"
    assert detector.scan_text(text) == []


def test_rule_entropy_threshold(detector):
    assert detector.scan_text("secret = 'aaaaaaaaaaaaaaab'") == []
    assert [f.rule_id for f in detector.scan_text("secret = 'Zq8Xr2Lm9Kt4Wp7N'")] == ["generic-secret"]


def test_monitor_mode_is_carried_by_the_finding(detector):
    [finding] = detector.scan_text("secret = 'Zq8Xr2Lm9Kt4Wp7N'")
    assert finding.mode == "monitor"


def test_inline_allow_comment_suppresses_the_line(detector, rng):
    token = fake_github_token(rng)
    assert detector.scan_text(f"t = '{token}'  # leakguard:allow") == []
    assert len(detector.scan_text(f"t = '{token}'")) == 1


def test_global_path_allowlist(detector, rng):
    assert detector.scan_text(f"t = '{fake_github_token(rng)}'", path="lib/vendor/x.js") == []


def test_overlapping_hits_keep_the_most_specific_rule(detector, rng):
    token = fake_github_token(rng)
    [finding] = detector.scan_text(f"github_token = '{token}'")
    assert finding.rule_id == "github-pat"


def test_several_secrets_on_one_line_are_all_reported(detector, rng):
    line = f"a='{fake_github_token(rng)}' b='{fake_aws_key(rng)}'"
    assert sorted(f.rule_id for f in detector.scan_text(line)) == ["aws-access-key-id", "github-pat"]


def test_pem_block_spanning_lines_is_found_at_its_first_line(detector):
    body = base64.b64encode(bytes(range(48))).decode()
    text = f"x = 1\n-----BEGIN RSA PRIVATE KEY-----\n{body}\n{body}\n-----END RSA PRIVATE KEY-----\n"
    [finding] = detector.scan_text(text)
    assert (finding.rule_id, finding.line) == ("private-key", 2)
    assert body not in finding.redacted


def test_pem_public_key_is_not_a_leak(detector):
    body = base64.b64encode(bytes(range(48))).decode()
    assert detector.scan_text(f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----") == []


def test_invalid_utf8_decoded_with_replacement_is_scanned(detector, rng):
    raw = b"\xff\xfe junk \xc3\x28 " + fake_github_token(rng).encode() + b" \xed\xa0\x80"
    text = raw.decode("utf-8", errors="replace")
    [finding] = detector.scan_text(text)
    assert finding.rule_id == "github-pat"


def test_surrogates_in_lines_do_not_crash(detector, rng):
    text = "\udcff weird " + fake_github_token(rng)
    assert [f.rule_id for f in detector.scan_text(text)] == ["github-pat"]


def test_a_5mb_single_line_minified_file_is_scanned_and_its_secret_found(detector, rng):
    token = fake_github_token(rng)
    chunk = "function(a,b){var key=a.token||b.secret;return key+1};"
    line = chunk * (5_000_000 // len(chunk)) + f"var t='{token}';" + chunk * 100
    findings = Detector(detector.ruleset, plugins=True).scan(Fragment(path="app.min.js", lines=[(1, line)]))
    assert [(f.rule_id, f.column) for f in findings if f.rule_id == "github-pat"] == [
        ("github-pat", line.index(token) + 1)
    ]


def test_pathological_line_for_backtracking_engines_is_linear(small_rules):
    # (a|aa)*b-style rules and long quoted runs explode Python's re; RE2 stays linear. Compared with
    # a line of the same size that cannot match at all, so the test holds on any machine.
    raw = {
        "version": 1,
        "rules": [
            {
                "id": "evil",
                "description": "d",
                "regex": 'secret="(?P<secret>(?:a|aa)*b)"',
                "keywords": ["secret"],
                "severity": "low",
                "examples": {"match": ['secret="aab"'], "nomatch": ["x"]},
            }
        ],
    }
    detector = Detector(parse_rules(raw), plugins=True)
    evil = 'secret="' + "a" * 200_000
    plain = "z" * len(evil)

    def cost(text):
        start = time.perf_counter()
        detector.scan_text(text)
        return time.perf_counter() - start

    baseline = min(cost(plain) for _ in range(3))
    assert min(cost(evil) for _ in range(3)) < max(baseline * 200, 0.5)


def test_plugin_hits_on_a_rule_match_are_merged_into_the_rule_finding(small_rules, rng):
    token = fake_github_token(rng)
    findings = Detector(small_rules, plugins=True).scan_text(f'github_token = "{token}"', path="a.py")
    assert [(f.rule_id, f.detector) for f in findings] == [("github-pat", "rule")]


def test_plugin_hit_elsewhere_on_the_line_is_kept(small_rules, rng):
    token = fake_github_token(rng)
    line = f'github_token = "{token}"; db_password = "Tr0ub4dor&3x!"'
    findings = Detector(small_rules, plugins=True).scan_text(line, path="a.py")
    assert [f.rule_id for f in findings] == ["github-pat", "secret-keyword"]


def test_a_keywordless_rule_runs_on_every_line_and_reports_its_line_and_column():
    raw = {
        "version": 1,
        "rules": [
            {
                "id": "shape",
                "description": "d",
                "regex": r"\b(?P<secret>Q[0-9]{3}\.[a-z]{4}\.[0-9]{4})\b",
                "keywords": ["shape"],
                "keywordless": True,
                "severity": "low",
                "examples": {"match": ["Q123.abcd.1234"], "nomatch": ["Q12.abcd.1234"]},
            }
        ],
    }
    detector = Detector(parse_rules(raw), plugins=False)
    findings = detector.scan_text("x = 1\nreturn 'Q123.abcd.9876' or 'Q555.wxyz.0000'\nQ12.ab.1")
    assert [(f.rule_id, f.line, f.column) for f in findings] == [("shape", 2, 9), ("shape", 2, 29)]


def test_a_whole_files_key_block_is_scanned_on_its_own_when_the_file_pass_misses_it(rng):
    # A whole file is its own context: its PEM blocks are matched again one by one (here a rule anchored
    # at the start of the text finds the block only on its own). Files without "-----BEGIN " skip that
    # before any regex runs, so the test must see a block still found.
    body = "\n".join(base64.b64encode(rng.randbytes(48)).decode() for _ in range(6))
    block = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    raw = {
        "version": 1,
        "rules": [
            {
                "id": "anchored-key",
                "description": "d",
                "regex": r"\A-----BEGIN RSA PRIVATE KEY-----\n(?P<secret>[A-Za-z0-9+/=\n]{40,}?)\n-----END",
                "keywords": ["private key"],
                "multiline": True,
                "severity": "high",
                "examples": {"match": [block], "nomatch": ["x"]},
            }
        ],
    }
    detector = Detector(parse_rules(raw), plugins=False)
    lines = FileLines(f"# the PRIVATE KEY of the test server\n{block}\n")
    [finding] = detector.scan(Fragment(path="keys/id_rsa", lines=lines, context=lines.context()))
    assert (finding.rule_id, finding.line, finding.detector) == ("anchored-key", 2, "rule:context")

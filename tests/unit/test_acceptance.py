"""The ignore file, inline reasons and the acceptance policy, as pure functions."""

from __future__ import annotations

from leakguard.acceptance.policy import apply_policy
from leakguard.commands.selection import PLUGIN_IDS
from leakguard.detect.engine import Detector
from leakguard.detect.filters import inline_allow_reason
from leakguard.detect.plugins import _PLUGIN_NAMES
from leakguard.findings import Finding
from leakguard.fingerprints import FingerprintKey, location_fingerprint
from leakguard.ignore import IgnoreList, render_additions
from leakguard.scan import run_scan
from leakguard.sources.base import CommitInfo, Fragment
from tests.conftest import fake_aws_key, fake_github_token

KEY = FingerprintKey.from_text("unit-test-key-0123456789", source="test")


def _finding(path="a.py", line=3, commit="c" * 40, fingerprint="f" * 32):
    return Finding(
        rule_id="r",
        description="d",
        severity="high",
        mode="enforce",
        path=path,
        line=line,
        column=1,
        redacted="****",
        fingerprint=fingerprint,
        entropy=4.0,
        commit=commit,
    )


def test_ignore_file_entries_reasons_globs_and_problems():
    text = (
        "# leakguard-key: 1234abcd\n"
        "# the fixture of the login tests\n" + "a" * 32 + "\n\n" + "B" * 32 + "  # upper case is fine\n"
        "path:vendor/*  # third-party code\n"
        "not-an-entry\n"
        "path:\n"
    )
    ignore = IgnoreList.parse(text, source=".leakguardignore")
    assert ignore.key_id == "1234abcd"
    assert [(e.value, e.kind, e.reason) for e in ignore.entries] == [
        ("a" * 32, "fingerprint", "the fixture of the login tests"),
        ("b" * 32, "fingerprint", "upper case is fine"),
        ("vendor/*", "path", "third-party code"),
    ]
    assert ignore.problems == [
        ".leakguardignore:7: not a fingerprint or path: entry",
        ".leakguardignore:8: empty path: entry",
    ]
    assert ignore.match(_finding(fingerprint="a" * 32)).entry.reason == "the fixture of the login tests"
    assert ignore.match(_finding(path="vendor/lib/x.js")).entry.kind == "path"
    assert ignore.match(_finding()) is None
    notices = ignore.notices(KEY)
    assert any("made with key 1234abcd" in n for n in notices)


def test_legacy_entries_match_and_are_counted():
    finding = _finding()
    old = location_fingerprint(finding.rule_id, finding.path, finding.line, finding.commit)
    ignore = IgnoreList.parse(old + "\n")
    assert ignore.match(finding).legacy and ignore.legacy_matches == 1
    assert any("old location-based" in n for n in ignore.notices(KEY))


def test_render_additions_keeps_what_people_wrote_and_adds_each_fingerprint_once():
    existing = "# ours\npath:docs/*\n"
    text = render_additions(
        [_finding(fingerprint="1" * 32), _finding(line=9, fingerprint="1" * 32)], existing, KEY
    )
    lines = text.splitlines()
    assert lines[0] == f"# leakguard-key: {KEY.key_id}" and "# ours" in lines and "path:docs/*" in lines
    assert sum(line.startswith("1" * 32) for line in lines) == 1
    assert render_additions([_finding(fingerprint="1" * 32)], text, KEY) == text


def test_inline_reason_never_carries_the_secret_or_a_random_word(rng):
    token = fake_github_token(rng)
    assert (
        inline_allow_reason(f"t = 'x'  # leakguard:allow test fixture {token}", token)
        == "test fixture [secret]"
    )
    assert inline_allow_reason("t = 1  /* leakguard:allow: docs example */", "Zq8Xr2Lm9Kt4") == "docs example"
    assert (
        inline_allow_reason("x # leakguard:allow key Zx9Qw8Er7Ty6Ui5Op4As3Df", "Zq8Xr2Lm9Kt4")
        == "key [redacted]"
    )
    assert len(inline_allow_reason("# leakguard:allow " + "word " * 100, "Zq8Xr2Lm9Kt4")) <= 120


def test_scan_sets_inline_acceptances_apart_and_the_policy_can_refuse_them(small_rules, rng):
    key = fake_aws_key(rng)
    fragment = Fragment(
        path="a.py",
        lines=[(1, f"a = '{key}'  # leakguard:allow fixture"), (2, f"b = '{fake_aws_key(rng)}'")],
        commit="c" * 40,
        author="Dev <d@x>",
    )
    report = run_scan(Detector(small_rules, plugins=False), [CommitInfo("c" * 40, "Dev <d@x>"), fragment])
    assert [f.line for f in report.findings] == [2]
    [accepted] = report.accepted
    assert (accepted.via, accepted.reason, accepted.accepted_in, accepted.accepted_by) == (
        "inline",
        "fixture",
        "c" * 40,
        "Dev <d@x>",
    )
    assert apply_policy(report, "honour") == [] and len(report.accepted) == 1
    overruled = apply_policy(report, "findings")
    assert overruled == [accepted] and [f.line for f in report.findings] == [1, 2] and report.accepted == []


def test_an_ignore_entry_added_after_its_finding_in_the_same_range_is_attributed(small_rules, rng):
    key = fake_aws_key(rng)
    detector = Detector(small_rules, plugins=False)
    [finding] = detector.scan_text(f"k = '{key}'", path="a.py", commit="1" * 40)
    ignore = IgnoreList.parse(finding.fingerprint + "\n")
    items = [
        CommitInfo("1" * 40, "A <a@x>"),
        Fragment(path="a.py", lines=[(1, f"k = '{key}'")], commit="1" * 40, author="A <a@x>"),
        CommitInfo("2" * 40, "B <b@x>"),
        Fragment(
            path=".leakguardignore", lines=[(1, finding.fingerprint)], commit="2" * 40, author="B <b@x>"
        ),
    ]
    report = run_scan(detector, items, ignore=ignore)
    [accepted] = report.accepted
    assert (accepted.accepted_in, accepted.accepted_by) == ("2" * 40, "B <b@x>")


def test_selection_knows_every_plugin_id():
    assert set(PLUGIN_IDS) == {rule_id for rule_id, _ in _PLUGIN_NAMES.values()}

"""The bot reads the ignore file from the pushed commit's tree and finds who added each entry."""

from __future__ import annotations

from leakguard.acceptance.repository import fill_provenance, pushed_ignore_list
from leakguard.detect.engine import Detector
from leakguard.git import Git
from leakguard.ignore import MAX_IGNORE_FILE_BYTES
from leakguard.scan import run_scan
from leakguard.sources.history import commit_fragments
from tests.conftest import fake_aws_key


def test_an_entry_committed_before_the_push_is_attributed_to_its_commit(make_repo, small_rules, rng):
    repo = make_repo()
    detector = Detector(small_rules, plugins=False)
    key = fake_aws_key(rng)
    [finding] = detector.scan_text(f"k = '{key}'", path="a.py")
    accept = repo.commit("accept ahead of time", {".leakguardignore": f"{finding.fingerprint}  # fixture\n"})
    leak = repo.commit("leak", {"a.py": f"k = '{key}'\n"})
    git = Git(repo.path)
    ignore = pushed_ignore_list(git, leak)
    assert ignore is not None and ignore.source.startswith(".leakguardignore@")
    report = run_scan(detector, commit_fragments(git, [f"{accept}..{leak}"]), ignore=ignore)
    [accepted] = report.accepted
    assert accepted.accepted_in is None and report.findings == []
    fill_provenance(git, report, leak)
    assert (report.accepted[0].accepted_in, report.accepted[0].accepted_by) == (
        accept,
        "Test Dev <dev@example.com>",
    )
    assert report.accepted[0].reason == "fixture"


def test_a_missing_oversized_or_odd_ignore_file_accepts_nothing(make_repo):
    repo = make_repo()
    none = repo.commit("none", {"a.py": "x\n"})
    big = repo.commit("big", {".leakguardignore": "#" * (MAX_IGNORE_FILE_BYTES + 1) + "\n"})
    repo.git("rm", "-q", ".leakguardignore")
    odd = repo.commit("odd", {".leakguardignore/x": "a\n"})
    git = Git(repo.path)
    assert pushed_ignore_list(git, none) is None
    assert pushed_ignore_list(git, big) is None
    assert pushed_ignore_list(git, odd) is None

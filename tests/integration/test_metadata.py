"""Commit messages, tag messages and paths as scanned content, against real repositories."""

import json
import subprocess

from leakguard.detect.engine import Detector
from leakguard.git import Git
from leakguard.report.sarif import render_sarif
from leakguard.report.text import render_text
from leakguard.scan import run_scan
from leakguard.sources.history import commit_fragments
from leakguard.sources.metadata import read_objects, tag_message_fragments
from tests.conftest import fake_aws_key, fake_github_token


def test_a_range_scan_covers_messages_and_added_or_renamed_paths(make_repo, small_rules, rng):
    repo = make_repo()
    base = repo.commit("base", {"plain.txt": "p\n"})
    token, key, renamed = fake_github_token(rng), fake_aws_key(rng), fake_aws_key(rng)
    repo.commit(f"subject\n\nuse {token}", {f"{key}.pem": "nothing\n"})
    repo.git("mv", "plain.txt", f"{renamed}.txt")
    repo.commit("rename")
    report = run_scan(
        Detector(small_rules, plugins=False), commit_fragments(Git(repo.path), [f"{base}..HEAD"])
    )
    found = sorted((f.source, f.line, f.path[:8]) for f in report.findings)
    assert found == [
        ("commit-message", 3, ""),
        ("path", 0, key[:4] + "****"),
        ("path", 0, renamed[:4] + "****"),
    ]
    assert report.files == 1  # the file with content; messages and paths are not files
    text = render_text(report)
    assert "commit message:3" in text and "file name " in text
    sarif = render_sarif(report, small_rules)
    for secret in (token, key, renamed):
        assert secret not in text and secret not in sarif
    locations = {
        r["properties"]["source"]: r["locations"][0] for r in json.loads(sarif)["runs"][0]["results"]
    }
    assert locations["commit-message"]["logicalLocations"][0]["kind"] == "commit-message"
    assert "region" not in locations["path"]["physicalLocation"]  # a file name has no line


def test_a_message_cannot_forge_the_end_of_its_object(make_repo, small_rules, rng):
    repo = make_repo()
    repo.commit("base")
    token = fake_github_token(rng)
    forged = f"innocent\n\n1234 commit 99\ntree x\n\nhidden {token}\n"
    tree = repo.git("rev-parse", "HEAD^{tree}")
    commit = (
        subprocess.run(
            ["git", "-C", str(repo.path), "commit-tree", tree, "-p", "HEAD"],
            input=forged.encode(),
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    ((object_id, kind, raw),) = list(read_objects(Git(repo.path), [commit]))
    assert (object_id, kind) == (commit, "commit") and raw.endswith(f"hidden {token}\n".encode())


def test_tag_of_a_tag_messages_are_all_read(make_repo, small_rules, rng):
    repo = make_repo()
    repo.commit("base")
    inner, outer = fake_aws_key(rng), fake_github_token(rng)
    repo.git("tag", "-a", "-m", f"inner {inner}", "inner")
    repo.git("tag", "-a", "-m", f"outer {outer}", "outer", "inner")
    git = Git(repo.path)
    fragments = list(tag_message_fragments(git, [repo.git("rev-parse", "outer")], max_bytes=10_000))
    assert sorted(f.path for f in fragments) == ["inner", "outer"]
    report = run_scan(Detector(small_rules, plugins=False), iter(fragments))
    assert sorted(f.rule_id for f in report.findings) == ["aws-access-key-id", "github-pat"]

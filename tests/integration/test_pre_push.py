"""The pre-push hook as ``git push`` runs it: every ref of the push, every commit it sends, nothing else.

The remote is a bare repository on disk: the hook runs before git connects to any remote, so the
transport plays no part; the hook itself is installed in ``.git/hooks`` and started by git.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import FIXTURES, fake_aws_key, fake_github_token

RULES = str(FIXTURES / "rules.json")
ENV = {**os.environ, "LEAKGUARD_FINGERPRINT_KEY": "pre-push-tests-key-0123456789abcdef"}


def git(cwd, *args, check=True):
    return subprocess.run(
        ["git", "-C", str(cwd), *args], check=check, capture_output=True, text=True, env=ENV
    )


@pytest.fixture
def clone(tmp_path, make_repo):
    """A clone of a bare remote holding one clean commit on main, with leakguard as its pre-push hook."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    repo = make_repo("work")
    repo.commit("first", {"README.md": "hello\n"})
    git(repo.path, "remote", "add", "origin", str(remote))
    git(repo.path, "push", "-q", "origin", "main")
    hook = repo.path / ".git" / "hooks" / "pre-push"
    hook.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" -m leakguard.cli pre-push --rules "{RULES}" --no-progress "$@"\n'
    )
    hook.chmod(0o755)
    return repo


def on_remote(repo, ref):
    return git(repo.path, "ls-remote", "origin", ref).stdout.split()[:1]


def test_a_leak_on_the_second_ref_of_a_push_stops_the_whole_push(clone, rng):
    key = fake_aws_key(rng)
    clone.commit("clean", {"a.py": "x = 1\n"})
    clone.git("switch", "-q", "-c", "feature")
    clone.commit("leak", {"b.py": f"k = '{key}'\n"})
    pushed = git(clone.path, "push", "origin", "main", "feature", check=False)
    assert pushed.returncode != 0
    assert "aws-access-key-id" in pushed.stdout + pushed.stderr and " b.py:1:" in pushed.stdout
    assert key not in pushed.stdout + pushed.stderr
    assert on_remote(clone, "refs/heads/feature") == []
    assert on_remote(clone, "refs/heads/main") != [clone.git("rev-parse", "main")]


def test_a_leak_removed_by_a_later_commit_still_stops_the_push(clone, rng):
    token = fake_github_token(rng)
    clone.commit("leak", {"c.py": f"t = '{token}'\n"})
    clone.commit("oops, remove it", {"c.py": "t = None\n"})
    pushed = git(clone.path, "push", "origin", "main", check=False)
    assert pushed.returncode != 0 and "github-pat" in pushed.stdout
    assert token not in pushed.stdout + pushed.stderr


def test_only_what_the_remote_lacks_is_scanned(clone, rng):
    # A leak the remote already has (pushed past the hook) does not block the next, clean push.
    clone.commit("leak", {"d.py": f"k = '{fake_aws_key(rng)}'\n"})
    git(clone.path, "push", "-q", "--no-verify", "origin", "main")
    clone.commit("clean", {"e.py": "y = 2\n"})
    assert git(clone.path, "push", "-q", "origin", "main", check=False).returncode == 0
    # A new branch at a commit the remote has sends no commit; deleting it sends nothing.
    clone.git("branch", "release", "main~1")
    assert git(clone.path, "push", "-q", "origin", "release", check=False).returncode == 0
    assert git(clone.path, "push", "-q", "origin", ":release", check=False).returncode == 0
    assert on_remote(clone, "refs/heads/release") == []


def test_a_push_to_the_remotes_url_knows_what_that_remote_has(clone, rng):
    clone.commit("leak", {"d.py": f"k = '{fake_aws_key(rng)}'\n"})
    git(clone.path, "push", "-q", "--no-verify", "origin", "main")
    clone.git("switch", "-q", "-c", "topic")
    clone.commit("clean", {"e.py": "y = 2\n"})
    url = clone.git("remote", "get-url", "origin")
    assert git(clone.path, "push", "-q", url, "topic", check=False).returncode == 0


def test_a_new_ref_named_after_a_key_and_an_annotated_tag_message_stop_the_push(clone, rng):
    key = fake_aws_key(rng)
    clone.git("branch", f"fix-{key}")
    pushed = git(clone.path, "push", "origin", f"fix-{key}", check=False)
    assert pushed.returncode != 0 and "aws-access-key-id" in pushed.stdout
    assert key not in pushed.stdout + pushed.stderr
    token = fake_github_token(rng)
    clone.git("tag", "-a", "v1", "-m", f"release, deploy with {token}")
    pushed = git(clone.path, "push", "origin", "v1", check=False)
    assert pushed.returncode != 0 and "github-pat" in pushed.stdout
    assert on_remote(clone, "refs/tags/v1") == []
    clone.git("tag", "v2")  # a lightweight tag at a commit the remote has: nothing new is sent
    assert git(clone.path, "push", "-q", "origin", "v2", check=False).returncode == 0


def pre_commit_hook(clone, *files, **variables):
    """``leakguard pre-commit`` as the pre-commit framework starts it in its pre-push stage."""
    env = {**ENV, "PRE_COMMIT": "1", **{f"PRE_COMMIT_{k.upper()}": v for k, v in variables.items()}}
    command = [sys.executable, "-m", "leakguard.cli", "pre-commit", "--rules", RULES, "--no-progress", *files]
    return subprocess.run(command, cwd=clone.path, capture_output=True, text=True, env=env)


def test_the_pre_commit_frameworks_pre_push_stage_scans_the_pushed_commits_not_the_files(clone, rng):
    token = fake_github_token(rng)
    before = clone.git("rev-parse", "main")
    clone.commit("leak", {"c.py": f"t = '{token}'\n"})
    tip = clone.commit("oops, remove it", {"c.py": "t = None\n"})
    where = {"remote_name": "origin", "remote_url": "unused", "local_branch": "refs/heads/main"}
    # pre-commit passes the files the push changes; c.py is clean in the work tree, not in the push.
    done = pre_commit_hook(
        clone, "c.py", from_ref=before, to_ref=tip, remote_branch="refs/heads/main", **where
    )
    assert done.returncode == 1 and "github-pat" in done.stdout, done.stdout + done.stderr
    assert token not in done.stdout + done.stderr
    # A whole new history (pre-commit gives no refs then): what the remote lacks is scanned.
    done = pre_commit_hook(clone, "c.py", remote_branch="refs/heads/other", **where)
    assert done.returncode == 1 and "github-pat" in done.stdout, done.stdout + done.stderr
    # Outside the pre-push stage the given files are scanned, as on `pre-commit run --files`.
    assert pre_commit_hook(clone, "c.py").returncode == 0


@pytest.mark.parametrize(
    "stdin, message",
    [
        ("refs/heads/main 1234 refs/heads/main " + "0" * 40 + "\n", "invalid commit id"),
        ("just three fields\n", "expected '<local ref> <local oid> <remote ref> <remote oid>'"),
        ("main " + "a" * 40 + " refs/heads/a..b " + "0" * 40 + "\n", "invalid ref name"),
        ("main " + "a" * 40 + " refs/heads/main " + "0" * 40 + "\n", "bad object " + "a" * 40),
    ],
)
def test_malformed_hook_input_is_a_clear_error(clone, stdin, message):
    command = [sys.executable, "-m", "leakguard.cli", "pre-push", "origin", "url", "--rules", RULES]
    done = subprocess.run(command, cwd=clone.path, input=stdin, capture_output=True, text=True, env=ENV)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr

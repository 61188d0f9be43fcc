import pytest

from leakguard.errors import GitError, RefNameError
from leakguard.git import Git, validate_commit_id, validate_ref_name, validate_revision


@pytest.mark.parametrize("name", ["main", "feature/x-1", "release/2026.11", "refs/heads/main", "héllo"])
def test_valid_ref_names(name):
    assert validate_ref_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "-x",
        "--upload-pack=evil",
        "a..b",
        "a b",
        "a~1",
        "a^",
        "a:b",
        "a?",
        "a*",
        "a[",
        "a\\b",
        "a/",
        "/a",
        "a.lock",
        "a/.hidden",
        "a@{1}",
        "@",
        "x\x00y",
        "x\ny",
        "a//b",
        "ends.",
    ],
)
def test_invalid_ref_names_are_refused(name):
    with pytest.raises(RefNameError):
        validate_ref_name(name)


def test_commit_ids_must_be_full_hex():
    assert validate_commit_id("a" * 40) == "a" * 40
    for bad in ("a" * 39, "A" * 40, "HEAD", "-" + "a" * 39, "a" * 40 + ";rm"):
        with pytest.raises(RefNameError):
            validate_commit_id(bad)


def test_revisions_from_people_cannot_be_options():
    assert validate_revision("origin/main..HEAD") == "origin/main..HEAD"
    for bad in ("--output=/etc/passwd", "-p", "", "a\nb"):
        with pytest.raises(RefNameError):
            validate_revision(bad)


def test_a_failing_command_raises_git_error_with_stderr(tmp_path):
    with pytest.raises(GitError) as error:
        Git(tmp_path).run(["rev-parse", "HEAD"])
    assert error.value.returncode == 128
    assert "not a git repository" in error.value.stderr


def test_a_hanging_command_is_killed_after_the_timeout(tmp_path):
    slow = tmp_path / "slow-git"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    with pytest.raises(GitError) as error:
        Git(tmp_path, executable=str(slow), timeout=0.5).run(["status"])
    assert error.value.returncode != 0


def test_a_missing_git_binary_is_a_git_error(tmp_path):
    with pytest.raises(GitError, match="cannot run"):
        Git(tmp_path, executable=str(tmp_path / "no-such-git")).run(["status"])

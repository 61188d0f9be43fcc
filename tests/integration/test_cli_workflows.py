"""The CLI as developers, CI and pre-commit use it: stable fingerprints, accepted findings, parity options."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from leakguard.cli import main
from leakguard.fingerprints import location_fingerprint
from tests.conftest import FIXTURES, fake_aws_key, fake_github_token

RULES = str(FIXTURES / "rules.json")
KEY = "workflow-tests-key-0123456789abcdef"


@pytest.fixture(autouse=True)
def _deployment_key(monkeypatch):
    monkeypatch.setenv("LEAKGUARD_FINGERPRINT_KEY", KEY)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def findings(capsys, *argv):
    code, out, _ = run(capsys, "scan", "--rules", RULES, "--format", "jsonl", *argv)
    rows = [json.loads(line) for line in out.splitlines()]
    return code, [r for r in rows if r["kind"] == "finding"], rows


def test_one_fingerprint_from_staged_range_directory_any_cwd_and_after_a_line_move(
    make_repo, capsys, monkeypatch, rng
):
    repo = make_repo()
    repo.commit("base", {"README": "hi\n"})
    token = fake_aws_key(rng)
    repo.write("pkg/conf.py", f"key = '{token}'\n")
    repo.git("add", "-A")
    _, [staged], _ = findings(capsys, "--staged", "--repo", str(repo.path))
    repo.git("commit", "-q", "-m", "leak")
    _, [ranged], _ = findings(capsys, "--range", "HEAD~1..HEAD", "--repo", str(repo.path))
    _, [absolute], _ = findings(capsys, str(repo.path))
    monkeypatch.chdir(repo.path / "pkg")
    _, [from_subdir], _ = findings(capsys, ".")
    _, [staged_from_subdir], _ = findings(capsys, "--range", "HEAD", "--repo", ".")
    repo.commit("move", {"pkg/conf.py": f"import os\n\n\nkey = '{token}'\n"})
    _, [moved], _ = findings(capsys, "conf.py")
    values = {f["fingerprint"] for f in (staged, ranged, absolute, from_subdir, staged_from_subdir, moved)}
    assert len(values) == 1, values
    assert {f["path"] for f in (staged, ranged, absolute, from_subdir, moved)} == {"pkg/conf.py"}
    assert moved["line"] == 4 and staged["line"] == 1
    # A different key gives other fingerprints: the key is what makes them unguessable.
    monkeypatch.setenv("LEAKGUARD_FINGERPRINT_KEY", "another-deployment-key-000000")
    _, [other], _ = findings(capsys, "conf.py")
    assert other["fingerprint"] not in values


def test_write_ignore_then_the_range_scan_passes(make_repo, capsys, rng):
    repo = make_repo()
    repo.commit("base", {"README": "hi\n"})
    repo.commit("fixture", {"tests/fixture.py": f"KEY = '{fake_aws_key(rng)}'\n"})
    args = ("--range", "HEAD~1..HEAD", "--repo", str(repo.path))
    assert findings(capsys, *args)[0] == 1
    code, out, _ = run(capsys, "scan", "--rules", RULES, "--write-ignore", *args)
    assert code == 0 and "1 fingerprint(s) for 1 finding(s)" in out
    text = (repo.path / ".leakguardignore").read_text()
    assert text.startswith("# leakguard-key: ") and "aws-access-key-id in tests/fixture.py" in text
    code, out, _ = run(capsys, "scan", "--rules", RULES, *args)
    assert code == 0 and "1 accepted in the repository" in out
    # Writing again adds nothing twice; the strict policy (as a repository may have) fails it again.
    run(capsys, "scan", "--rules", RULES, "--write-ignore", *args)
    assert (repo.path / ".leakguardignore").read_text() == text
    assert run(capsys, "scan", "--rules", RULES, "--acceptance-policy", "findings", *args)[0] == 1


def test_old_location_entries_keep_matching_and_ask_to_be_migrated(make_repo, capsys, rng):
    repo = make_repo()
    leak = repo.commit("leak", {"a.py": f"a = '{fake_aws_key(rng)}'\n"})
    old = location_fingerprint("aws-access-key-id", "a.py", 1, leak)
    (repo.path / ".leakguardignore").write_text(f"{old}  # accepted before v2\n")
    code, out, _ = run(capsys, "scan", "--rules", RULES, "--range", "HEAD", "--repo", str(repo.path))
    assert code == 0
    assert "old location-based entries" in out and "scan --write-ignore" in out


def test_entries_made_with_another_key_are_named(make_repo, capsys, rng):
    repo = make_repo()
    repo.commit("leak", {"a.py": f"a = '{fake_aws_key(rng)}'\n"})
    (repo.path / ".leakguardignore").write_text("# leakguard-key: 0badc0de\n" + "0" * 32 + "\n")
    code, out, _ = run(capsys, "scan", "--rules", RULES, "--range", "HEAD", "--repo", str(repo.path))
    assert code == 1 and "made with key 0badc0de" in out


def test_from_a_subdirectory_the_root_ignore_file_applies_and_staged_paths_are_relative(
    make_repo, capsys, monkeypatch, rng
):
    repo = make_repo()
    repo.commit("base", {"README": "hi\n"})
    repo.write("svc/app.py", f"k = '{fake_aws_key(rng)}'\n")
    repo.write("other/x.py", f"t = '{fake_github_token(rng)}'\n")
    repo.git("add", "-A")
    monkeypatch.chdir(repo.path / "svc")
    code, rows, _ = findings(capsys, "--staged", "app.py")
    assert code == 1 and [r["path"] for r in rows] == ["svc/app.py"]
    code, rows, _ = findings(capsys, "--staged")
    assert sorted(r["path"] for r in rows) == ["other/x.py", "svc/app.py"]
    run(capsys, "scan", "--rules", RULES, "--staged", "--write-ignore")
    assert (repo.path / ".leakguardignore").is_file()
    assert run(capsys, "scan", "--rules", RULES, "--staged", "app.py")[0] == 0


def test_staged_needs_a_work_tree(tmp_path, make_repo, capsys):
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    code, _, err = run(capsys, "scan", "--staged", "--repo", str(bare))
    assert code == 2 and err.strip().count("\n") == 0 and "bare repository" in err
    plain = tmp_path / "plain"
    plain.mkdir()
    code, _, err = run(capsys, "scan", "--staged", "--repo", str(plain))
    assert code == 2 and err.strip() == f"leakguard: error: not a git repository: {plain}"


def test_a_reader_closing_the_pipe_early_is_not_an_error(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before leakguard writes a byte (`| head` at its most eager)
    leakguard = Path(sys.executable).with_name("leakguard")
    process = subprocess.run(
        [str(leakguard), "scan", str(tmp_path), "--rules", RULES],
        stdout=write_end,
        stderr=subprocess.PIPE,
        env={**os.environ, "LEAKGUARD_FINGERPRINT_KEY": KEY},
        timeout=120,
        check=False,
    )
    os.close(write_end)
    assert process.returncode == 0, process.stderr
    assert b"Traceback" not in process.stderr and b"BrokenPipe" not in process.stderr


def test_stdin_is_scanned(capsys, monkeypatch, rng):
    import io

    token = fake_github_token(rng)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(f"x\nt = '{token}'\n".encode())))
    code, out, _ = run(capsys, "scan", "-", "--rules", RULES, "--stdin-name", "pasted.txt")
    assert code == 1 and "pasted.txt:2:6" in out and token not in out


def test_output_file_and_the_terminal_both_get_the_findings(tmp_path, capsys, rng):
    (tmp_path / "a.py").write_text(f"k = '{fake_aws_key(rng)}'\n")
    report = tmp_path / "out" / "report.json"
    report.parent.mkdir()
    code, out, _ = run(
        capsys, "scan", str(tmp_path / "a.py"), "--rules", RULES, "--format", "json", "-o", str(report)
    )
    assert code == 1 and "aws-access-key-id" in out and "a.py:1:6" in out
    document = json.loads(report.read_text())
    assert [f["rule_id"] for f in document["findings"]] == ["aws-access-key-id"]
    assert document["summary"]["findings"] == 1
    code, _, err = run(
        capsys, "scan", str(tmp_path / "a.py"), "--rules", RULES, "-o", str(tmp_path / "no" / "x")
    )
    assert code == 2 and err.startswith("leakguard: error: cannot write report to") and err.count("\n") == 1


def test_dependency_directories_are_reported_as_skipped(tmp_path, capsys, rng):
    (tmp_path / "node_modules" / "lib").mkdir(parents=True)
    (tmp_path / "node_modules" / "lib" / "k.js").write_text(f"k = '{fake_aws_key(rng)}'\n")
    (tmp_path / "app.py").write_text("x = 1\n")
    code, out, _ = run(capsys, "scan", str(tmp_path), "--rules", RULES)
    assert code == 0 and "SKIPPED  node_modules/: dependency or cache directory" in out
    assert run(capsys, "scan", str(tmp_path), "--rules", RULES, "--scan-dependency-dirs")[0] == 1


def test_rule_selection_severity_exit_code_and_path_excludes(tmp_path, capsys, rng):
    (tmp_path / "a.py").write_text(f"k = '{fake_aws_key(rng)}'\nt = '{fake_github_token(rng)}'\n")
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "b.py").write_text(f"k = '{fake_aws_key(rng)}'\n")
    base = (str(tmp_path), "--no-plugins")
    assert {f["rule_id"] for f in findings(capsys, *base)[1]} == {"aws-access-key-id", "github-pat"}
    assert {f["rule_id"] for f in findings(capsys, *base, "--enable-rule", "github-pat")[1]} == {"github-pat"}
    assert {f["rule_id"] for f in findings(capsys, *base, "--disable-rule", "github-pat")[1]} == {
        "aws-access-key-id"
    }
    assert {f["rule_id"] for f in findings(capsys, *base, "--min-severity", "critical")[1]} == {
        "aws-access-key-id"
    }
    assert {f["path"] for f in findings(capsys, *base, "--exclude-path", "vendor")[1]} == {"a.py"}
    code, _, _ = run(capsys, "scan", *base, "--rules", RULES, "--exit-code", "42")
    assert code == 42
    code, _, err = run(capsys, "scan", *base, "--rules", RULES, "--enable-rule", "no-such-rule")
    assert code == 2 and "unknown rule id: no-such-rule" in err


def test_git_log_options_select_commits_and_paths(make_repo, capsys, monkeypatch):
    repo = make_repo()
    monkeypatch.chdir(repo.path)  # paths after -- are relative to where one stands, as in git
    repo.commit("old", {"a/x.py": "x = 1\n"})
    repo.commit("new", {"b/y.py": "y = 1\n"})
    args = ("--range", "HEAD", "--repo", str(repo.path))
    assert findings(capsys, *args)[2][-1]["commits"] == 2
    assert findings(capsys, *args, "--since", "2030-01-01")[2][-1]["commits"] == 0
    assert findings(capsys, *args, "--log-opts", "--max-count=1 -- a/")[2][-1]["files"] == 0
    assert findings(capsys, *args, "--", "a")[2][-1]["files"] == 1
    code, _, err = run(capsys, "scan", "--rules", RULES, *args, "--log-opts=--output=/tmp/x")
    assert code == 2 and "is not allowed" in err


def test_pre_commit_scans_staged_lines_and_whole_files_on_all_files(make_repo, capsys, monkeypatch, rng):
    repo = make_repo()
    repo.commit("old leak", {"old.py": f"k = '{fake_aws_key(rng)}'\n", "clean.py": "x = 1\n"})
    monkeypatch.chdir(repo.path)
    # pre-commit run --all-files: nothing staged, every file given: the old leak is found.
    code, out, _ = run(capsys, "pre-commit", "--rules", RULES, "old.py", "clean.py")
    assert code == 1 and "old.py:1" in out
    # A commit touching old.py elsewhere: only its added lines count, the old leak does not block it.
    first_line = (repo.path / "old.py").read_text().splitlines()[0]
    repo.write("old.py", first_line + "\nx = 2\n")
    repo.git("add", "old.py")
    assert run(capsys, "pre-commit", "--rules", RULES, "old.py")[0] == 0
    repo.write("new.py", f"t = '{fake_github_token(rng)}'\n")
    repo.git("add", "new.py")
    code, out, _ = run(capsys, "pre-commit", "--rules", RULES, "old.py", "new.py")
    assert code == 1 and "new.py:1" in out and "old.py" not in out


def test_terminal_colour_and_hint(tmp_path, capsys, rng):
    (tmp_path / "a.py").write_text(f"k = '{fake_aws_key(rng)}'\n")
    _, out, _ = run(capsys, "scan", str(tmp_path), "--rules", RULES, "--color", "always")
    assert "\x1b[1;31mCRITICAL" in out and "hint: a false positive?" in out
    _, out, _ = run(capsys, "scan", str(tmp_path), "--rules", RULES)
    assert "\x1b[" not in out  # captured output is not a terminal


def test_inline_allow_is_accepted_with_its_reason_and_shown(tmp_path, capsys, rng):
    (tmp_path / "a.py").write_text(f"k = '{fake_aws_key(rng)}'  # leakguard:allow test fixture\n")
    code, out, _ = run(capsys, "scan", str(tmp_path), "--rules", RULES)
    assert code == 0
    assert "ACCEPTED aws-access-key-id  a.py:1 (leakguard:allow: test fixture)" in out
    assert run(capsys, "scan", str(tmp_path), "--rules", RULES, "--acceptance-policy", "findings")[0] == 1

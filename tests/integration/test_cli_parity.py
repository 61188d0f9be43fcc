"""CLI parity points that need a real terminal, the hook definition or the AWS SDK: each fails without
its fix (a traceback, no colour on a terminal, a hook that checks nothing, an id list that does not exist).
"""

from __future__ import annotations

import os
import pty
import select
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from leakguard.cli import main
from leakguard.commands.selection import PLUGIN_IDS
from tests.conftest import FIXTURES, fake_aws_key, fake_github_token

ROOT = Path(__file__).resolve().parents[2]
RULES = str(FIXTURES / "rules.json")
LEAKGUARD = str(Path(sys.executable).with_name("leakguard"))
KEY = "parity-tests-fingerprint-key-0123456789"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def on_a_terminal(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Run ``argv`` with stdout and stderr on a pseudo-terminal, as a developer's shell does."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        argv, stdout=follower, stderr=follower, stdin=subprocess.DEVNULL, env=env, cwd=cwd
    )
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            process.kill()
            raise AssertionError("no output from leakguard on the terminal within 60 s")
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal's other end closed: the process is done writing
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def test_colour_and_the_hint_on_a_terminal_and_none_with_no_color(tmp_path, rng):
    (tmp_path / "a.py").write_text(f"k = '{fake_aws_key(rng)}'\n")
    env = {**os.environ, "LEAKGUARD_FINGERPRINT_KEY": KEY, "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    argv = [LEAKGUARD, "scan", "a.py", "--rules", RULES, "--no-progress"]
    code, shown = on_a_terminal(argv, env, tmp_path)
    assert code == 1
    assert "\x1b[1;31mCRITICAL" in shown and "\x1b[2mhint: a false positive?" in shown
    code, shown = on_a_terminal(argv, {**env, "NO_COLOR": "1"}, tmp_path)
    assert code == 1 and "\x1b[" not in shown and "hint: a false positive?" in shown


def hook() -> dict:
    [definition] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    return definition


def as_pre_commit_runs(repo: Path, files: list[str]) -> subprocess.CompletedProcess[str]:
    """The hook's command line as pre-commit builds it: entry, args, then the file names."""
    definition = hook()
    argv = [*shlex.split(definition["entry"]), *definition.get("args", []), "--rules", RULES, *files]
    assert argv[0] == "leakguard"
    env = {**os.environ, "LEAKGUARD_FINGERPRINT_KEY": KEY}
    return subprocess.run(
        [LEAKGUARD, *argv[1:]], cwd=repo, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_hook_scans_the_files_given_on_all_files_and_the_staged_lines_on_a_commit(make_repo, rng):
    definition = hook()
    assert definition["pass_filenames"] is True and definition["language"] == "python"
    assert "manual" in definition["stages"] and "pre-commit" in definition["stages"]
    repo = make_repo()
    repo.commit("old leak", {"old.py": f"k = '{fake_aws_key(rng)}'\n", "clean.py": "x = 1\n"})
    # pre-commit run --all-files: every tracked file, nothing staged: the committed leak is found.
    done = as_pre_commit_runs(repo.path, ["clean.py", "old.py"])
    assert done.returncode == 1 and "old.py:1" in done.stdout, done.stdout + done.stderr
    assert as_pre_commit_runs(repo.path, ["clean.py"]).returncode == 0
    # A commit: pre-commit passes the staged files; only their added lines count.
    repo.write("old.py", (repo.path / "old.py").read_text() + "y = 2\n")
    repo.write("new.py", f"t = '{fake_github_token(rng)}'\n")
    repo.git("add", "old.py", "new.py")
    done = as_pre_commit_runs(repo.path, ["new.py", "old.py"])
    assert done.returncode == 1 and "new.py:1" in done.stdout and "old.py" not in done.stdout


def test_rules_list_names_every_id_scan_accepts(capsys):
    code, out, _ = run(capsys, "rules", "list", "--rules", RULES)
    assert code == 0
    ids = [line.split()[0] for line in out.splitlines()[:-1]]
    assert ids == ["aws-access-key-id", "github-pat", "generic-secret", "private-key", *PLUGIN_IDS]
    assert "generic-secret       medium    monitor  Secret assigned" in out
    for rule_id in ids:  # every listed id is one --enable-rule takes
        assert run(capsys, "scan", str(FIXTURES), "--rules", RULES, "--enable-rule", rule_id)[0] != 2
    code, _, err = run(capsys, "scan", str(FIXTURES), "--rules", RULES, "--enable-rule", "nope")
    assert code == 2 and "see `leakguard rules list`" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["key", "pull"],
        ["unlock", "my-repo", "--reason", "rotated"],
        ["redrive", "some-queue"],
    ],
)
def test_aws_commands_without_a_region_fail_in_one_line_with_exit_2(capsys, monkeypatch, tmp_path, argv):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err == "leakguard: error: AWS: You must specify a region. Pass --region or set AWS_REGION.\n"


@pytest.mark.parametrize("source", [["--staged"], ["--range", "HEAD"]])
def test_standard_input_with_a_git_source_is_a_usage_error_not_an_empty_scan(make_repo, capsys, source):
    repo = make_repo()
    repo.commit("base", {"a.py": "x = 1\n"})
    code, _, err = run(capsys, "scan", "-", *source, "--repo", str(repo.path), "--rules", RULES)
    assert code == 2
    assert err == "leakguard: error: '-' (standard input) cannot be combined with --range or --staged\n"

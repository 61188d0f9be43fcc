"""The ``leakguard`` command as a person or a hook runs it: exit codes, formats, messages."""

import ast
import gzip
import json
import subprocess
import sys

import pytest

from leakguard.cli import main
from tests.conftest import FIXTURES, fake_aws_key, fake_github_token

RULES = str(FIXTURES / "rules.json")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_files_exit_0(tmp_path, capsys):
    (tmp_path / "a.py").write_text("x = 1\n")
    code, out, _ = run(capsys, "scan", str(tmp_path), "--rules", RULES)
    assert code == 0
    assert "0 finding(s) in 1 file(s)" in out


def test_leaking_files_exit_1_and_never_print_the_secret(tmp_path, capsys, rng):
    token = fake_github_token(rng)
    (tmp_path / "a.py").write_text(f"x = 1\nt = '{token}'\n")
    code, out, err = run(capsys, "scan", str(tmp_path), "--rules", RULES)
    assert code == 1
    assert "github-pat" in out and "\na.py:2:6" not in out and " a.py:2:6" in out
    assert token not in out + err


def test_monitor_only_findings_are_reported_but_do_not_fail(tmp_path, capsys):
    (tmp_path / "a.py").write_text("secret = 'Zq8Xr2Lm9Kt4Wp7N'\n")
    code, out, _ = run(capsys, "scan", str(tmp_path), "--rules", RULES, "--no-plugins")
    assert code == 0
    assert "generic-secret [monitor]" in out


def test_jsonl_output(tmp_path, capsys, rng):
    (tmp_path / "a.py").write_text(f"k = '{fake_aws_key(rng)}'\n")
    (tmp_path / "b.bin").write_bytes(b"\x00\x01")
    code, out, _ = run(capsys, "scan", str(tmp_path), "--rules", RULES, "--format", "jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [r["kind"] for r in rows] == ["finding", "skipped", "summary"]
    assert rows[0]["rule_id"] == "aws-access-key-id" and rows[0]["redacted"] == "AKIA********"
    assert rows[1]["reason"] == "binary file"
    assert rows[2]["findings"] == 1


def test_sarif_output(tmp_path, capsys, rng):
    (tmp_path / "a.py").write_text(f"\n\nk = '{fake_aws_key(rng)}'\n")
    out_file = tmp_path / "report.sarif"
    code, _, _ = run(
        capsys, "scan", str(tmp_path / "a.py"), "--rules", RULES, "--format", "sarif", "-o", str(out_file)
    )
    sarif = json.loads(out_file.read_text())
    assert code == 1
    assert sarif["version"] == "2.1.0"
    run_ = sarif["runs"][0]
    assert run_["tool"]["driver"]["rules"][0]["id"] == "aws-access-key-id"
    [result] = run_["results"]
    assert result["ruleId"] == "aws-access-key-id" and result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 3,
        "startColumn": 6,
        "endLine": 3,
        "endColumn": 26,
    }
    assert len(result["partialFingerprints"]["leakguard/v2"]) == 32
    # An absolute path scanned: the URI is relative, its base declared.
    artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "a.py", "uriBaseId": "SRCROOT"}
    assert run_["originalUriBaseIds"]["SRCROOT"]["uri"] == tmp_path.resolve().as_uri() + "/"


def test_range_scans_every_commit(make_repo, capsys, rng):
    repo = make_repo()
    repo.commit("base", {"a.py": "a = 1\n"})
    leak = repo.commit("leak", {"a.py": f"a = '{fake_github_token(rng)}'\n"})
    repo.commit("fix", {"a.py": "a = 1\n"})
    code, out, _ = run(
        capsys,
        "scan",
        "--repo",
        str(repo.path),
        "--range",
        "HEAD~2..HEAD",
        "--rules",
        RULES,
        "--format",
        "jsonl",
    )
    findings = [json.loads(line) for line in out.splitlines() if '"finding"' in line]
    assert code == 1
    assert [(f["commit"], f["path"]) for f in findings] == [(leak, "a.py")]
    assert json.loads(out.splitlines()[-1])["commits"] == 2


def test_staged_for_a_pre_commit_hook(make_repo, capsys, rng):
    repo = make_repo()
    repo.commit("base", {"a.py": "a = 1\n"})
    repo.write("a.py", f"a = '{fake_aws_key(rng)}'\n")
    assert (
        run(capsys, "scan", "--staged", "--repo", str(repo.path), "--rules", RULES)[0] == 0
    )  # not staged yet
    repo.git("add", "a.py")
    assert run(capsys, "scan", "--staged", "--repo", str(repo.path), "--rules", RULES)[0] == 1


def test_ignore_file_accepts_a_finding_by_fingerprint(make_repo, capsys, rng):
    repo = make_repo()
    repo.commit("leak", {"a.py": f"a = '{fake_aws_key(rng)}'\n"})
    code, out, _ = run(
        capsys, "scan", "--repo", str(repo.path), "--range", "HEAD", "--rules", RULES, "--format", "jsonl"
    )
    fingerprint = json.loads(out.splitlines()[0])["fingerprint"]
    (repo.path / ".leakguardignore").write_text(f"# accepted: test fixture\n{fingerprint}\n")
    code, out, _ = run(capsys, "scan", "--repo", str(repo.path), "--range", "HEAD", "--rules", RULES)
    assert code == 0
    assert "1 accepted in the repository (0 by leakguard:allow, 1 by the ignore file)" in out
    assert "ACCEPTED aws-access-key-id  a.py:1" in out and "accepted: test fixture" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["scan"], "nothing to scan"),
        (["scan", "/no/such/path"], "no such file or directory: /no/such/path"),
        (["scan", ".", "--rules", "/no/rules.json"], "cannot read rules file /no/rules.json"),
        (["scan", "--range=--output=x", "--repo", "."], "git log option '--output=x' is not allowed"),
        (["scan", ".", "--max-file-size", "0"], "--max-file-size must be a positive"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_usage_and_configuration_errors_exit_2_with_one_line(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_invalid_rule_names_rule_and_field(tmp_path, capsys):
    bad = json.loads((FIXTURES / "rules.json").read_text())
    bad["rules"][1]["severity"] = "urgent"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    code, _, err = run(capsys, "scan", str(tmp_path), "--rules", str(path))
    assert code == 2
    assert "rule 'github-pat': field 'severity'" in err


def test_rules_test_passes_on_good_examples(capsys):
    code, out, _ = run(capsys, "rules", "test", "--rules", RULES)
    assert code == 0
    assert "4 rules, 14 examples: 0 failed" in out


def test_rules_test_names_the_rule_whose_example_misbehaves(tmp_path, capsys):
    bad = json.loads((FIXTURES / "rules.json").read_text())
    bad["rules"][0]["examples"]["nomatch"].append("k = 'AKIAQWERTYUIOPASDFGH'")
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    code, _, err = run(capsys, "rules", "test", "--rules", str(path))
    assert code == 1
    assert "FAIL rule 'aws-access-key-id': nomatch example #3 should not match but does" in err


def test_rules_lint_reports_every_bad_rule(tmp_path, capsys):
    bad = json.loads((FIXTURES / "rules.json").read_text())
    bad["rules"][0]["regex"] = "(?=AKIA)(?P<secret>AKIA[A-Z]{16})"
    bad["rules"][1]["regex"] = "(?P<secret>x?)"
    bad["rules"][2]["examples"]["match"].append("no keyword here")
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    code, _, err = run(capsys, "rules", "lint", "--rules", str(path))
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[0].startswith("ERROR rule 'aws-access-key-id': field 'regex': does not compile on RE2")
    assert (
        lines[1]
        == "ERROR rule 'github-pat': field 'regex': matches the empty string, so it would flag every line"
    )
    assert lines[2].startswith("ERROR rule 'generic-secret': field 'examples.match[2]': contains none of")


def test_rules_lint_passes_on_the_bundled_rules(capsys):
    assert run(capsys, "rules", "lint")[0] == 0


def test_progress_bar_on_a_terminal_only(make_repo, capsys, monkeypatch, rng):
    repo = make_repo()
    for i in range(3):
        repo.commit(f"c{i}", {"a.py": f"a = {i}\n"})
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    code, _, err = run(capsys, "scan", "--repo", str(repo.path), "--range", "HEAD", "--rules", RULES)
    assert code == 0
    assert "commit/s" in err and "/3 " in err
    code, _, err = run(
        capsys, "scan", "--repo", str(repo.path), "--range", "HEAD", "--rules", RULES, "--no-progress"
    )
    assert err == ""


def test_a_range_scan_reads_the_messages_of_annotated_tags_on_its_commits(tmp_path, capsys, rng):
    """The bot scans a pushed tag's message; a backtest over the same history must find it too."""
    from tests.conftest import Repo

    repo = Repo(tmp_path / "repo")
    repo.commit("base", {"a.py": "a = 1\n"})
    repo.git("tag", "-a", "v0", "-m", f"old release\n\nkey {fake_aws_key(rng)}\n")
    repo.commit("next", {"b.py": "b = 2\n"})
    repo.git("tag", "-a", "v1", "-m", f"release\n\ntoken {fake_github_token(rng)}\n")
    repo.git("tag", "light")  # a lightweight tag has no message of its own
    cwd = str(repo.path)
    code, out, _ = run(capsys, "scan", "--repo", cwd, "--range=--all", "--rules", RULES, "--format", "jsonl")
    found = [f for f in map(json.loads, out.splitlines()) if f["kind"] == "finding"]
    assert code == 1
    assert sorted((f["source"], f["path"]) for f in found if f["source"] == "tag-message") == [
        ("tag-message", "v0"),
        ("tag-message", "v1"),
    ]
    # a range that leaves v0's commit out leaves its message out
    code, out, _ = run(
        capsys, "scan", "--repo", cwd, "--range", "HEAD~1..HEAD", "--rules", RULES, "--format", "jsonl"
    )
    found = [f for f in map(json.loads, out.splitlines()) if f["kind"] == "finding"]
    assert [f["path"] for f in found if f["source"] == "tag-message"] == ["v1"]


def test_a_range_scan_reads_the_names_of_the_branches_and_tags_on_its_commits(tmp_path, capsys, rng):
    """The bot scans a pushed ref's name; a backtest over the same history must find a key-named
    branch or tag too, and never print the key it is named after."""
    from tests.conftest import Repo

    repo = Repo(tmp_path / "repo")
    repo.commit("base", {"a.py": "a = 1\n"})
    old_token, token = fake_github_token(rng), fake_github_token(rng)
    repo.git("branch", f"wip-{old_token}")
    repo.commit("next", {"b.py": "b = 2\n"})
    repo.git("tag", "-a", f"rel-{token}", "-m", "release")
    repo.git("branch", "clean-name")
    cwd = str(repo.path)

    def ref_names(*argv):
        code, out, err = run(capsys, "scan", "--repo", cwd, *argv, "--rules", RULES, "--format", "jsonl")
        assert old_token not in out + err and token not in out + err
        found = [f for f in map(json.loads, out.splitlines()) if f["kind"] == "finding"]
        return code, sorted((f["rule_id"], f["path"][:15]) for f in found if f["source"] == "ref-name")

    assert ref_names("--range=--all") == (
        1,
        [("github-pat", "refs/heads/wip-"), ("github-pat", "refs/tags/rel-g")],
    )
    # a range that leaves the first commit out leaves the branch on it out
    assert ref_names("--range", "HEAD~1..HEAD") == (1, [("github-pat", "refs/tags/rel-g")])
    code, out, _ = run(capsys, "scan", "--repo", cwd, "--range=--all", "--rules", RULES)
    assert code == 1 and "refs/heads/wip-" in out and old_token not in out
    # a path-limited scan reads files only, as with tag messages
    assert ref_names("--range=--all", str(repo.path / "a.py")) == (0, [])


def test_jobs_give_the_same_report_as_one_job(tmp_path, capsys, rng):
    for index in range(40):
        body = f"k = '{fake_aws_key(rng)}'\n" if index % 7 == 0 else "x = 1\n" * 50
        (tmp_path / f"f{index:02d}.py").write_text(body)
    (tmp_path / "b.bin").write_bytes(b"\x00\x01")
    one = run(capsys, "scan", str(tmp_path), "--rules", RULES, "--format", "jsonl", "--jobs", "1")
    three = run(capsys, "scan", str(tmp_path), "--rules", RULES, "--format", "jsonl", "--jobs", "3")
    assert one == three
    assert one[0] == 1 and one[1].count('"kind": "finding"') == 6


def test_jobs_over_many_batches_of_files_the_workers_read_give_the_same_report(tmp_path, capsys, rng):
    # 300 files: more than one batch, so workers read, decode and scan them (FileToRead); with a
    # symbolic link, a binary, a gzip archive and a file past --max-file-size among them.
    for index in range(300):
        body = f"k = '{fake_aws_key(rng)}'\n" if index % 50 == 0 else "x = 1\n" * 20
        (tmp_path / f"f{index:03d}.py").write_text(body)
    (tmp_path / "b.bin").write_bytes(b"\x00\x01" * 10)
    (tmp_path / "link.py").symlink_to(tmp_path / "f000.py")
    (tmp_path / "packed.env.gz").write_bytes(gzip.compress(f"KEY={fake_aws_key(rng)}\n".encode()))
    (tmp_path / "zz-big.py").write_text("y = 2\n" * 100 + f"k = '{fake_aws_key(rng)}'\n")
    common = ["scan", str(tmp_path), "--rules", RULES, "--format", "jsonl", "--max-file-size", "300"]
    one = run(capsys, *common, "--jobs", "1")
    two = run(capsys, *common, "--jobs", "2")
    assert one == two
    assert one[1].count('"kind": "finding"') == 7  # six .py files and the archive's member
    assert '"symbolic link"' in one[1] and "only the first 300 bytes" in one[1]


def test_jobs_must_be_positive(tmp_path, capsys):
    code, _, err = run(capsys, "scan", str(tmp_path), "--jobs", "0")
    assert code == 2 and "--jobs must be at least 1" in err


def test_a_directory_outside_any_repository_does_not_start_git(tmp_path, monkeypatch, make_repo):
    from leakguard.commands import scan_target

    calls = []
    real = scan_target.Git
    monkeypatch.setattr(scan_target, "Git", lambda path: calls.append(path) or real(path))
    plain = tmp_path / "plain"
    plain.mkdir()
    assert scan_target.work_tree_root(plain) is None
    assert calls == []
    repo = make_repo()
    (repo.path / "sub").mkdir()
    assert scan_target.work_tree_root(repo.path / "sub") == repo.path.resolve()
    assert calls


# What only the bot needs: the AWS SDK, the event models (pydantic), schema validation and GitPython.
# Loading them took `leakguard scan` from 0.2 s to 0.6 s of start-up, on every file a hook scans.
BOT_ONLY_PACKAGES = {"boto3", "botocore", "pydantic", "aws_lambda_powertools", "jsonschema", "git"}


@pytest.mark.parametrize("target", ["files", "range"])
def test_a_scan_loads_none_of_what_only_the_bot_needs(make_repo, target):
    repo = make_repo()
    repo.commit("one", {"a.py": "x = 1\n"})
    where = ["--repo", str(repo.path), "--range", "HEAD"] if target == "range" else [str(repo.path)]
    program = (
        "import sys\n"
        "from leakguard.cli import main\n"
        f"code = main({['scan', *where, '--rules', RULES]!r})\n"
        "print(code, sorted({name.split('.')[0] for name in sys.modules}))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    code, loaded = done.stdout.splitlines()[-1].split(" ", 1)
    assert code == "0", done.stdout + done.stderr
    assert BOT_ONLY_PACKAGES.isdisjoint(ast.literal_eval(loaded))

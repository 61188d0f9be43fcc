"""The git sources against real repositories built in tmp_path."""

from leakguard.detect.engine import Detector
from leakguard.git import Git
from leakguard.scan import run_scan
from leakguard.sources.history import commit_fragments, count_commits, staged_fragments
from tests.conftest import fake_aws_key, fake_github_token


def _scan(repo, revisions, rules):
    return run_scan(Detector(rules, plugins=False), commit_fragments(Git(repo.path), revisions))


def test_secret_added_then_removed_is_still_found_in_its_commit(make_repo, small_rules, rng):
    repo = make_repo()
    repo.commit("base", {"app.py": "x = 1\n"})
    base = repo.git("rev-parse", "HEAD")
    leak = repo.commit("leak", {"app.py": f"x = 1\ntoken = '{fake_github_token(rng)}'\n"})
    repo.commit("remove", {"app.py": "x = 1\n"})
    report = _scan(repo, [f"{base}..HEAD"], small_rules)
    assert [(f.rule_id, f.commit, f.path, f.line) for f in report.findings] == [
        ("github-pat", leak, "app.py", 2)
    ]
    assert len(report.commits) == 2
    assert report.findings[0].author == "Test Dev <dev@example.com>"


def test_old_secret_does_not_realert_on_edits_of_its_file(make_repo, small_rules, rng):
    repo = make_repo()
    repo.commit("leak", {"conf.py": f"k = '{fake_aws_key(rng)}'\n"})
    before = repo.git("rev-parse", "HEAD")
    repo.commit("edit", {"conf.py": repo.path.joinpath("conf.py").read_text() + "other = 2\n"})
    assert _scan(repo, [f"{before}..HEAD"], small_rules).findings == []


def test_rename_of_a_leaked_file_is_not_a_new_leak(make_repo, small_rules, rng):
    repo = make_repo()
    repo.commit("leak", {"old.py": f"k = '{fake_aws_key(rng)}'\n" + "".join(f"line{i}\n" for i in range(20))})
    before = repo.git("rev-parse", "HEAD")
    repo.git("mv", "old.py", "new.py")
    repo.commit("rename")
    assert _scan(repo, [f"{before}..HEAD"], small_rules).findings == []


def test_merge_commits_do_not_repeat_branch_findings_but_evil_merges_are_seen(make_repo, small_rules, rng):
    repo = make_repo()
    repo.commit("base", {"a.py": "a = 1\n", "b.py": "b = 1\n"})
    base = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "-b", "side")
    side = repo.commit("side leak", {"b.py": f"b = '{fake_github_token(rng)}'\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main change", {"a.py": "a = 2\n"})
    repo.git("merge", "-q", "--no-commit", "side")
    repo.write("c.py", f"evil = '{fake_aws_key(rng)}'\n")
    repo.git("add", "c.py")
    merge = repo.commit("merge with extra content")
    report = _scan(repo, [f"{base}..HEAD"], small_rules)
    assert sorted((f.commit, f.rule_id) for f in report.findings) == sorted(
        [(side, "github-pat"), (merge, "aws-access-key-id")]
    )


def test_binary_and_oversized_files_are_reported_skipped(make_repo, small_rules):
    repo = make_repo()
    repo.commit("base")
    base = repo.git("rev-parse", "HEAD")
    repo.commit("assets", {"img.bin": b"\x00\x01\x02" * 100, "big.txt": "y" * 5000 + "\n"})
    report = run_scan(
        Detector(small_rules), commit_fragments(Git(repo.path), [f"{base}..HEAD"], max_file_bytes=1000)
    )
    assert sorted((s.path, s.reason.split(":")[0]) for s in report.skipped) == [
        ("big.txt", "added text past the first 1000 bytes was not read"),
        ("img.bin", "binary file"),
    ]


def test_strange_file_names(make_repo, small_rules, rng):
    repo = make_repo()
    repo.commit("base")
    base = repo.git("rev-parse", "HEAD")
    names = ["sp ace.py", "tab\there.py", 'quo"te.py', "ünï/cødé.py", "-dash.py", "new\nline.py"]
    repo.commit("odd", {name: f"t = '{fake_github_token(rng)}'\n" for name in names})
    report = _scan(repo, [f"{base}..HEAD"], small_rules)
    assert sorted(f.path for f in report.findings) == sorted(names)


def test_staged_changes(make_repo, small_rules, rng):
    repo = make_repo()
    repo.commit("base", {"a.py": "a = 1\n"})
    repo.write("a.py", f"a = 1\nk = '{fake_aws_key(rng)}'\n")
    repo.git("add", "a.py")
    report = run_scan(Detector(small_rules), staged_fragments(Git(repo.path)))
    assert [(f.path, f.line, f.commit) for f in report.findings] == [("a.py", 2, None)]


def test_count_commits(make_repo):
    repo = make_repo()
    for i in range(3):
        repo.commit(f"c{i}")
    assert count_commits(Git(repo.path), ["HEAD"]) == 3


def test_history_scanned_on_several_cores_reports_the_same(make_repo, rng, monkeypatch):
    # Patch fragments cross to worker processes with their context readers (blob ids read by the
    # worker's own git): a key rotated in place between unchanged markers needs that context.
    from leakguard import scan
    from leakguard.rules import load_rules

    monkeypatch.setattr(scan, "BATCH_ITEMS", 2)  # many small batches: every worker gets some
    repo = make_repo()

    def pem_body():
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789+/"
        return "".join("".join(rng.choice(alphabet) for _ in range(64)) + "\n" for _ in range(12))

    key = f"-----BEGIN RSA PRIVATE KEY-----\n{pem_body()}-----END RSA PRIVATE KEY-----\n"
    repo.commit("key", {"deploy/id_rsa": key})
    for index in range(12):
        files = {f"src/m{index}.py": f"x = {index}\n"}
        if index % 4 == 0:
            files[f"conf/c{index}.py"] = f"token = '{fake_github_token(rng)}'\n"
        repo.commit(f"change {index}", files)
    rotated = f"-----BEGIN RSA PRIVATE KEY-----\n{pem_body()}-----END RSA PRIVATE KEY-----\n"
    repo.commit("rotate", {"deploy/id_rsa": rotated})
    detector = Detector(load_rules())

    def report(jobs):
        found = run_scan(detector, commit_fragments(Git(repo.path), ["HEAD"]), jobs=jobs)
        return [(f.rule_id, f.commit, f.path, f.line) for f in found.findings], found.commits, found.lines

    one, three = report(1), report(3)
    assert one == three
    assert {rule for rule, *_ in one[0]} >= {"github-pat", "private-key"}
    assert len([f for f in one[0] if f[0] == "private-key"]) == 2  # the rotation is a new key

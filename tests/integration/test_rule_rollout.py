"""Rolling out a rule from the command line: extend the built-in set, lint and test it, backtest it."""

from __future__ import annotations

import json

from leakguard.cli import main
from tests.conftest import FIXTURES, fake_internal_token

EXTENDS = str(FIXTURES / "rules-extends.json")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_backtest_a_new_rule_over_all_history(make_repo, capsys, rng):
    """``scan --range=--all --rules new.json``: every commit of every ref, with the built-in rules too."""
    repo = make_repo()
    token = fake_internal_token(rng)
    leak = repo.commit("add service config", {"svc.cfg": f"auth {token}\n"})
    repo.commit("drop it again", {"svc.cfg": "auth from-vault\n"})
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("side work", {"b.txt": "nothing\n"})
    repo.git("checkout", "-q", "main")

    argv = ("scan", "--repo", str(repo.path), "--range=--all", "--format", "jsonl", "--no-plugins")
    code, out, _ = run(capsys, *argv, "--rules", EXTENDS)
    found = [json.loads(line) for line in out.splitlines()]
    found = [f for f in found if f["kind"] == "finding"]
    assert code == 1
    assert [(f["rule_id"], f["commit"], f["path"]) for f in found] == [
        ("acme-internal-token", leak, "svc.cfg")
    ]
    assert token not in out

    code, out, _ = run(capsys, *argv)  # the built-in rules alone do not know the format
    assert code == 0 and "acme-internal-token" not in out


def test_rules_lint_and_test_run_on_the_merged_set(capsys):
    code, out, _ = run(capsys, "rules", "lint", "--rules", EXTENDS)
    assert code == 0 and "0 problem(s)" in out
    builtin = run(capsys, "rules", "test")[1].split(" rules,")[0]
    code, out, _ = run(capsys, "rules", "test", "--rules", EXTENDS)
    assert code == 0 and out.startswith(f"{int(builtin) + 1} rules,")

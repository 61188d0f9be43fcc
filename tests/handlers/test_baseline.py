"""``leakguard baseline``: existing repositories recorded (and audited) with an admin's credentials."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from leakguard.cli import main
from tests.conftest import fake_aws_key, fake_github_token
from tests.handlers.conftest import REGION

LONG_AGO = datetime.now(UTC) - timedelta(days=900)


class _Session:
    """What the command needs of a boto3 session: the CodeCommit stand-in on its CodeCommit client."""

    region_name = REGION

    def __init__(self, pipeline):
        self.pipeline = pipeline

    def client(self, name):
        client = boto3.client(name, region_name=REGION)
        return self.pipeline.codecommit.install(client) if name == "codecommit" else client


def _existing(pipeline, rng, name="app"):
    """A repository with years of history (an old leak in it), branches and a tag, never inspected."""
    dev = pipeline.repository(name, created=LONG_AGO)
    dev.commit("2019", {"settings.py": f"KEY = '{fake_aws_key(rng)}'\n"})
    dev.commit("2020", {"settings.py": "KEY = os.environ['KEY']\n"})
    dev.git("tag", "-a", "-m", "first release", "v1.0")
    dev.git("branch", "maintenance")
    dev.commit("2021", {"app.py": "x = 1\n"})
    dev.git("push", "-q", "origin", "--all", "--follow-tags")
    return dev


def _baseline(pipeline, monkeypatch, capsys, *args):
    from leakguard.commands import baseline

    monkeypatch.setattr(baseline, "_session", lambda _args: _Session(pipeline), raising=False)
    code = main(["baseline", "--table", "scan-record", *args])
    return code, capsys.readouterr()


def test_baseline_records_todays_refs_so_pushes_scan_only_what_they_add(pipeline, rng, monkeypatch, capsys):
    dev = _existing(pipeline, rng)
    code, out = _baseline(pipeline, monkeypatch, capsys, "app")
    assert code == 0, out.err
    assert "app: 3 refs recorded as 1 baseline tip(s)" in out.out
    entries = {item["entry"]["S"]: item for item in pipeline.record_items()}
    assert entries["baseline"]["source"]["S"] == "baseline"
    assert entries["baseline"]["by"]["S"].startswith("arn:aws:")
    dev.commit("today", {"b.py": "b = 1\n"})
    (event,) = pipeline.git_push(dev, "main")
    result = pipeline.inspect(event)
    assert result["status"] == "clean" and result["commits"] == 1 and "first_sight" not in result
    dev.git("checkout", "-q", "-b", "hotfix", "maintenance")
    leak = dev.commit("hotfix", {"h.py": f"t = '{fake_github_token(rng)}'\n"})
    (created,) = pipeline.git_push(dev, "hotfix")
    assert pipeline.inspect(created)["commits"] == 1  # not the years behind maintenance
    (security,) = pipeline.security_events()
    assert security["detail"]["leakingCommits"] == [leak]
    # baselining again would mark unscanned pushes as seen: refused unless --force
    code, out = _baseline(pipeline, monkeypatch, capsys, "app")
    assert code == 0 and "app: skipped, app already has a scan record" in out.out


def test_audit_reports_pre_existing_leaks_once_and_never_locks_or_resets(
    pipeline, rng, monkeypatch, capsys, tmp_path
):
    _existing(pipeline, rng, "app")
    clean = pipeline.repository("svc", created=LONG_AGO)
    clean.commit("fine", {"a.py": "a = 1\n"})
    clean.git("push", "-q", "origin", "main")
    report = tmp_path / "audit.json"
    code, out = _baseline(
        pipeline, monkeypatch, capsys, "--all", "--audit", "--topic-arn", pipeline.topic, "-o", str(report)
    )
    assert code == 1  # pre-existing credentials were found (and reported)
    assert "app:" in out.out and "svc:" in out.out
    ((subject, body),) = pipeline.mails()
    assert subject == "[AUDIT] 1 pre-existing credential in 1 of 2 repositories"
    assert "nothing was locked or reset" in body and "settings.py:1" in body
    assert pipeline.security_events() == []  # no incident: no lock, no reset
    document = json.loads(report.read_text())
    (app,) = [r for r in document["repositories"] if r["name"] == "app"]
    assert [f["path"] for f in app["findings"]] == ["settings.py"] and app["commits"] == 3
    assert "AKIA" not in body.replace(app["findings"][0]["redacted"], "")
    for item in pipeline.record_items("app"):
        assert item["source"]["S"] in ("audit", "tag")


@pytest.mark.parametrize("audit", [False, True], ids=["baseline", "audit"])
def test_a_branch_named_after_a_credential_is_masked_in_the_record_and_reported_by_an_audit(
    pipeline, rng, monkeypatch, capsys, tmp_path, audit
):
    dev = _existing(pipeline, rng)
    token = fake_github_token(rng)
    dev.git("checkout", "-q", "-b", f"wip-{token}", "main")
    dev.commit("clean work", {"wip.py": "w = 1\n"})  # its own tip: the record names the branch
    dev.git("push", "-q", "origin", f"wip-{token}")
    report = tmp_path / "audit.json"
    args = ["--audit", "--no-email", "-o", str(report)] if audit else []
    code, out = _baseline(pipeline, monkeypatch, capsys, "app", *args)
    assert code == (1 if audit else 0), out.err
    assert token not in out.out + out.err
    items = pipeline.record_items()
    named = [item["ref"]["S"] for item in items if "ref" in item]
    assert named and all(token not in name for name in named)
    assert any(name.startswith("refs/heads/wip-ghp_") for name in named)  # masked, still recognisable
    if audit:
        text = report.read_text()
        assert token not in text
        (app,) = json.loads(text)["repositories"]
        by_source = {f["source"]: f for f in app["findings"]}
        assert by_source["ref-name"]["path"].startswith("refs/heads/wip-ghp_")
        assert "settings.py" in {f["path"] for f in app["findings"]}  # the history's leak as before

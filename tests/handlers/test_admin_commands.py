"""``leakguard unlock`` and ``leakguard restore``: the admin's way back, with their own credentials."""

from __future__ import annotations

import argparse
import subprocess

import boto3
import pytest

from leakguard.cli import main
from leakguard.commands import restore, unlock
from leakguard.errors import ConfigError
from tests.conftest import fake_aws_key
from tests.handlers.conftest import REGION


class _Session:
    """What the commands need of a boto3 session, with the CodeCommit stand-in on its client."""

    def __init__(self, codecommit_fake=None):
        self.fake = codecommit_fake

    def client(self, name):
        client = boto3.client(name, region_name=REGION)
        if name == "codecommit" and self.fake is not None:
            self.fake.install(client)
        return client


def _locked_incident(pipeline, rng):
    dev = pipeline.repository()
    base = dev.commit("base", {"a.py": "a = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    leak = dev.commit("leak", {"k.py": f"k = '{fake_aws_key(rng)}'\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    (event,) = pipeline.security_events()
    pipeline.deliver(event)
    return dev, base, leak, event["detail"]


def _unlock_args(**kw):
    return argparse.Namespace(
        **{
            "repository": "app",
            "reason": "key rotated",
            "region": None,
            "tag_key": "RepoState",
            "tag_value": "locked",
            **kw,
        }
    )


def test_unlock_removes_the_lock_and_records_who_and_why(pipeline, rng, capsys):
    _, _, _, detail = _locked_incident(pipeline, rng)
    arn = detail["repository"]["arn"]
    assert pipeline.codecommit.tags[arn]["RepoState"] == "locked"
    assert unlock.run(_unlock_args(reason="AKIA key rotated; ticket #42"), _Session(pipeline.codecommit)) == 0
    tags = pipeline.codecommit.tags[arn]
    assert "RepoState" not in tags
    assert tags["leakguard:unlockedBy"].startswith("arn:aws:sts::") or tags[
        "leakguard:unlockedBy"
    ].startswith("arn:aws:iam::")
    assert tags["leakguard:unlockReason"] == "AKIA key rotated ticket 42"
    assert "leakguard:unlockedAt" in tags
    out = capsys.readouterr().out
    assert "unlocked app by arn:aws:" in out and "AKIA key rotated; ticket #42" in out
    assert unlock.run(_unlock_args(), _Session(pipeline.codecommit)) == 0
    assert "is not locked" in capsys.readouterr().out


def test_unlock_refuses_an_empty_reason(pipeline):
    pipeline.repository()
    with pytest.raises(ConfigError, match="--reason"):
        unlock.run(_unlock_args(reason="  "), _Session(pipeline.codecommit))
    assert main(["unlock", "app"]) == 2  # --reason is required


def test_unlock_of_an_unknown_repository_is_a_one_line_error(pipeline, capsys):
    from leakguard.aws import AwsCallError

    with pytest.raises(AwsCallError, match="RepositoryDoesNotExistException"):
        unlock.run(_unlock_args(repository="nope"), _Session(pipeline.codecommit))


def test_restore_brings_the_quarantined_commits_back_under_their_own_refs(pipeline, rng, tmp_path, capsys):
    _dev, base, leak, detail = _locked_incident(pipeline, rng)
    assert pipeline.remote_ref("app", "refs/heads/main") == base
    admin = tmp_path / "admin-clone"
    subprocess.run(["git", "clone", "-q", str(pipeline.remotes / "app.git"), str(admin)], check=True)
    incident = detail["incidentId"]
    args = argparse.Namespace(
        incident=incident, repo_dir=str(admin), bucket="quarantine", repository=None, region=None
    )
    assert restore.run(args, _Session()) == 0
    restored = f"refs/leakguard/restored/{incident}/{leak}"
    out = subprocess.run(["git", "-C", str(admin), "rev-parse", restored], capture_output=True, text=True)
    assert out.stdout.strip() == leak
    printed = capsys.readouterr().out
    assert restored in printed and "rotate" in printed


def test_restore_refuses_a_bad_incident_id_and_a_missing_bucket(pipeline, tmp_path, monkeypatch):
    monkeypatch.delenv("LEAKGUARD_QUARANTINE_BUCKET", raising=False)
    args = argparse.Namespace(
        incident="../../x", repo_dir=str(tmp_path), bucket="quarantine", repository="app", region=None
    )
    with pytest.raises(ConfigError, match="invalid incident id"):
        restore.run(args, _Session())
    with pytest.raises(ConfigError, match="no quarantine bucket"):
        restore.run(argparse.Namespace(**{**vars(args), "bucket": None}), _Session())

"""Notify, lock and reset consuming real security events; duplicates, races and what they leave behind."""

from __future__ import annotations

import json

import pytest

from leakguard.events.security import parse_security_event
from leakguard.remediate.reset import MAX_ATTEMPTS, ResetError
from leakguard.runtime import build_resetter
from leakguard.settings import ResetSettings
from tests.conftest import fake_github_token
from tests.handlers.conftest import codecommit_event, leaking_incident


def _manifests(pipeline, incident_id, repository="app"):
    """The incident's quarantine manifests (one per reset plan), oldest key first."""
    prefix = f"quarantine/{repository}/{incident_id}/"
    keys = sorted(
        o["Key"] for o in pipeline.s3.list_objects_v2(Bucket="quarantine", Prefix=prefix).get("Contents", [])
    )
    manifests = [
        json.loads(pipeline.s3.get_object(Bucket="quarantine", Key=k)["Body"].read())
        for k in keys
        if k.endswith(".json")
    ]
    assert {m["bundleKey"] for m in manifests} == {k for k in keys if k.endswith(".bundle")}
    return manifests


def test_incident_is_notified_locked_and_reset(pipeline, rng):
    _dev, base, leak, event = leaking_incident(pipeline, rng)
    results = pipeline.deliver(event)
    assert results["notify"]["status"] == "notified"
    assert results["lock"]["status"] == "locked"
    assert results["reset"]["status"] == "reset" and results["reset"]["removedCommits"] == [leak]
    assert pipeline.remote_ref("app", "refs/heads/main") == base

    mails = dict(pipeline.mails())
    subject = next(s for s in mails if s.startswith("[ACTION REQUIRED]"))
    assert len(subject) <= 100 and "app" in subject
    body = mails[subject]
    for expected in (
        "conf.py:1",
        "aws-access-key-id",
        "AKIA********",
        leak[:12],
        "Test Dev",
        "Rotate",
        "leakguard unlock app --reason",
        f"leakguard restore {event['detail']['incidentId']}",
    ):
        assert expected in body, expected
    assert any(s.startswith("[leakguard] Locked app") for s in mails)
    assert "[leakguard] app refs/heads/main: reset to its last clean commit" in mails

    arn = event["detail"]["repository"]["arn"]
    assert pipeline.codecommit.tags[arn]["RepoState"] == "locked"

    (manifest,) = _manifests(pipeline, event["detail"]["incidentId"])
    head = pipeline.s3.head_object(Bucket="quarantine", Key=manifest["bundleKey"])
    assert head["ServerSideEncryption"] == "aws:kms"  # the bucket's default key, not aws/s3
    assert head["SSEKMSKeyId"].endswith(pipeline.kms_key_id)
    assert manifest["commits"] == [leak] and manifest["survivors"] == [base]
    assert manifest["refs"] == [
        {"ref": "refs/heads/main", "object": leak, "commit": leak, "action": "reset", "target": base}
    ]
    assert manifest["prerequisites"] == [base]


def test_duplicate_delivery_sends_no_second_email_lock_or_reset(pipeline, rng):
    _, base, _, event = leaking_incident(pipeline, rng)
    first = pipeline.deliver(event)
    pipeline.mails()
    calls = len(pipeline.codecommit.calls)
    again = pipeline.deliver({**event, "id": "redelivered"})
    assert again == first
    assert pipeline.mails() == []
    assert len(pipeline.codecommit.calls) == calls
    assert pipeline.remote_ref("app", "refs/heads/main") == base


def test_monitor_incident_is_only_notified(pipeline, rng):
    dev = pipeline.repository()
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    head = dev.commit("monitor", {"s.py": "api_token = 'k8Hq2Lm9Zx4Rt7Wp'\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    (event,) = pipeline.security_events()
    results = pipeline.deliver(event)
    assert results["notify"]["status"] == "notified"
    assert results["lock"]["status"] == "skipped" and results["reset"]["status"] == "skipped"
    assert pipeline.remote_ref("app", "refs/heads/main") == head
    assert pipeline.codecommit.tags[event["detail"]["repository"]["arn"]] == {}


def test_monitor_incident_email_says_monitor_and_asks_for_no_action(pipeline, rng):
    """A rule on trial informs: "monitor" in the subject, no [ACTION REQUIRED], no rotate/unlock steps."""
    dev = pipeline.repository()
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    dev.commit("monitor", {"s.py": "api_token = 'k8Hq2Lm9Zx4Rt7Wp'\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    (event,) = pipeline.security_events()
    pipeline.deliver(event)
    ((subject, body),) = pipeline.mails()  # lock and reset skip monitor incidents silently
    assert "monitor" in subject.lower() and "no action taken" in subject
    assert "ACTION REQUIRED" not in subject.upper()
    assert "No action is required" in body and "generic-secret" in body
    for action in ("Rotate", "NOW", "leakguard unlock", "leakguard restore", "Next steps"):
        assert action not in body, action


def test_repository_without_lock_and_reset_is_only_notified(pipeline, rng):
    _dev, _, leak, event = leaking_incident(pipeline, rng, name="quiet")
    results = pipeline.deliver(event)
    assert results["lock"]["reason"] == "lock not enabled for this repository"
    assert results["reset"]["detail"] == "reset not enabled for this repository"
    assert pipeline.remote_ref("quiet", "refs/heads/main") == leak


def test_created_branch_carrying_only_the_leak_is_deleted_after_quarantine(pipeline, rng):
    _, _, leak, event = leaking_incident(pipeline, rng, branch="oops")
    result = pipeline.deliver(event)["reset"]
    assert result["status"] == "deleted" and result["removedCommits"] == [leak]
    assert pipeline.remote_ref("app", "refs/heads/oops") is None
    (manifest,) = _manifests(pipeline, event["detail"]["incidentId"])
    assert manifest["refs"][0]["action"] == "delete" and manifest["commits"] == [leak]
    assert pipeline.s3.head_object(Bucket="quarantine", Key=manifest["bundleKey"])["ContentLength"] > 0
    # the deletion event leakguard's own push causes is ignored
    assert (
        pipeline.inspect(codecommit_event("app", "refs/heads/oops", old=leak, new=None))["status"]
        == "ignored"
    )


def test_reset_of_a_created_tag_deletes_it(pipeline, rng):
    dev = pipeline.repository()
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    dev.commit("leak", {"k.py": f"k = '{fake_github_token(rng)}'\n"})
    dev.git("tag", "-a", "-m", "release", "v1")
    pipeline.inspect(pipeline.push(dev, "v1", "refs/tags/v1"))
    (event,) = pipeline.security_events()
    assert pipeline.deliver(event)["reset"]["status"] == "deleted"
    assert pipeline.remote_ref("app", "refs/tags/v1") is None


def test_branch_cleaned_before_reset_runs_is_left_alone(pipeline, rng):
    dev, base, _, event = leaking_incident(pipeline, rng)
    dev.git("reset", "-q", "--hard", base)
    fixed = dev.commit("without the key", {"other.py": "o = 1\n"})
    dev.git("push", "-q", "--force", "origin", "main:refs/heads/main")
    result = pipeline.deliver(event)["reset"]
    assert result["status"] == "already-clean"
    assert pipeline.remote_ref("app", "refs/heads/main") == fixed


class _RacingClones:
    """Wraps the reset's clone cache: right after each sync/fetch, a developer pushes (the race)."""

    def __init__(self, inner, race):
        self.inner, self.race = inner, race

    def sync(self, repository, *, mask=None):
        git = self.inner.sync(repository, mask=mask)
        self.race()
        return git

    def fetch(self, git, repository):
        self.inner.fetch(git, repository)
        self.race()

    def remote_for(self, repository):
        return self.inner.remote_for(repository)


def _resetter(pipeline, race):
    resetter = build_resetter(ResetSettings.from_env())
    resetter.clones = _RacingClones(resetter.clones, race)
    return resetter


def test_concurrent_push_is_never_clobbered_the_reset_re_evaluates(pipeline, rng):
    dev, base, leak, event = leaking_incident(pipeline, rng)
    pushed = []

    def race():
        if not pushed:  # one push lands between the bot's fetch and its push
            pushed.append(dev.commit("colleague's work on top", {"w.py": "w = 1\n"}))
            dev.git("push", "-q", "origin", "main:refs/heads/main")

    result = _resetter(pipeline, race).reset(parse_security_event(event))
    assert result.status == "reset" and result.attempts == 2
    assert pipeline.remote_ref("app", "refs/heads/main") == base
    assert set(result.removedCommits) == {leak, pushed[0]}  # the colleague's commit is quarantined too
    # one bundle per plan: the first (before the lease was lost) is kept, never overwritten
    first, second = sorted(_manifests(pipeline, result.incidentId), key=lambda m: len(m["commits"]))
    assert first["commits"] == [leak] and set(second["commits"]) == {leak, pushed[0]}


def test_concurrent_push_that_removes_the_leak_stops_the_reset(pipeline, rng):
    dev, base, _, event = leaking_incident(pipeline, rng)
    fixed = []

    def race():
        if not fixed:
            dev.git("reset", "-q", "--hard", base)
            fixed.append(dev.commit("fixed", {"f.py": "f = 1\n"}))
            dev.git("push", "-q", "--force", "origin", "main:refs/heads/main")

    result = _resetter(pipeline, race).reset(parse_security_event(event))
    assert result.status == "already-clean" and result.attempts == 2
    assert pipeline.remote_ref("app", "refs/heads/main") == fixed[0]


def test_a_ref_that_keeps_moving_makes_reset_give_up_loudly(pipeline, rng):
    dev, _, _, event = leaking_incident(pipeline, rng)
    counter = iter(range(100))

    def race():
        dev.commit(f"push {next(counter)}", {"w.py": f"w = {next(counter)}\n"})
        dev.git("push", "-q", "origin", "main:refs/heads/main")

    pipeline.mails()
    with pytest.raises(ResetError, match="lease rejected"):
        _resetter(pipeline, race).reset(parse_security_event(event))
    (subject, message), *_ = pipeline.mails()
    assert subject == "[leakguard] app refs/heads/main: RESET FAILED, action required" and "ACTION" in message
    assert f"Attempts:   {MAX_ATTEMPTS}" in message
    assert pipeline.remote_ref("app", "refs/heads/main") == dev.git("rev-parse", "HEAD")


def test_reset_push_of_a_ref_with_shell_metacharacters_runs_no_shell(pipeline, rng, tmp_path):
    marker = tmp_path / "pwned"
    branch = f"x$(touch${{IFS}}{marker})`touch${{IFS}}{marker}`;touch${{IFS}}{marker}"
    _, _base, _, event = leaking_incident(pipeline, rng, branch=branch)
    assert event["detail"]["reference"]["name"] == branch
    result = pipeline.deliver(event)["reset"]
    assert result["status"] in ("reset", "deleted")
    assert not marker.exists()

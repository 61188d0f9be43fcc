"""A credential pushed as a ref's name (``refs/heads/AKIA...``): an incident, and never shown in clear.

The name is the leak: anyone who lists the refs reads it. The inspector scans the pushed ref's name
like a path and masks it wherever it shows or stores it (result, logs, event, scan record, emails);
lock and reset leave deleting the ref to the admins, whom the email tells how.
"""

from __future__ import annotations

import io
import json
import logging
import traceback
from collections.abc import Iterator

import pytest

from leakguard.errors import GitError, LeakguardError
from leakguard.remediate.reset import ResetError
from tests.conftest import fake_aws_key, fake_github_token
from tests.handlers.conftest import LambdaContext


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """Everything logged while the test runs: caplog's records and the handlers' own streams."""
    caplog.set_level(logging.DEBUG)
    stream = io.StringIO()
    redirected = []
    for name in ["leakguard", *logging.Logger.manager.loggerDict]:
        if name.startswith("leakguard"):
            for handler in logging.getLogger(name).handlers:
                if isinstance(handler, logging.StreamHandler):
                    redirected.append((handler, handler.stream))
                    handler.stream = stream
    yield stream
    stream.write("".join(f"{r.getMessage()} {r.__dict__}\n" for r in caplog.records))
    for handler, original in redirected:
        handler.stream = original


def _everything_seen(pipeline, *parts: object) -> str:
    """What people, logs and stores got: the given results and events, the scan record, the
    idempotency records (they keep each function's result)."""
    stored = pipeline.record_items() + pipeline.dynamodb.scan(TableName="idempotency")["Items"]
    return json.dumps([*parts, stored], default=str)


def test_a_branch_named_after_a_key_is_an_incident_and_the_name_is_masked_everywhere(pipeline, rng, logs):
    dev = pipeline.repository()
    base = dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    key = fake_aws_key(rng)
    branch = f"feature/{key}-rotation"
    result = pipeline.inspect(pipeline.push(dev, "main", f"refs/heads/{branch}"))  # no new commit at all
    assert result["status"] == "incident"
    (event,) = pipeline.security_events()
    detail = event["detail"]
    masked = f"refs/heads/feature/{key[:4]}********"
    (finding,) = detail["findings"]
    assert (finding["source"], finding["path"], finding["line"], finding["commit"]) == (
        "ref-name",
        masked,
        0,
        base,
    )
    assert finding["redacted"] == f"{key[:4]}********" and len(finding["fingerprint"]) == 32
    assert detail["leakingCommits"] == []  # the commit is clean: the remedy is deleting the ref
    assert detail["reference"]["fullName"] == masked
    assert detail["reference"]["name"] == f"feature/{key[:4]}********"
    assert detail["references"] == [{"fullName": masked, "commitId": base, "objectId": base}]
    assert result["reference"] == masked

    outcomes = pipeline.deliver(event)
    assert outcomes["notify"]["status"] == "notified"
    assert outcomes["lock"]["status"] == "skipped"
    assert outcomes["reset"]["status"] == "skipped"
    assert "RepoState" not in pipeline.codecommit.tags[pipeline.codecommit.names["app"]]
    assert pipeline.remote_ref("app", f"refs/heads/{branch}") == base  # left to the admins
    mails = pipeline.mails()
    ((subject, body),) = mails  # no refusal alert: skipping is not refusing
    assert subject.startswith("[ACTION REQUIRED]")
    assert f"name of branch {masked}" in body
    assert f"{masked} at {base[:12]}:" in body and f"git ls-remote origin | grep ^{base[:12]}" in body
    assert "Lock and reset: not applied" in body
    seen = _everything_seen(pipeline, result, event, outcomes, mails) + logs.getvalue()
    assert key not in seen
    assert masked in logs.getvalue()  # the logs were read: they name the ref, masked


def test_a_tag_named_after_a_token_and_an_update_of_a_leaking_branch_are_incidents(pipeline, rng, logs):
    dev = pipeline.repository()
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    token, key = fake_github_token(rng), fake_aws_key(rng)
    dev.git("tag", "-a", "-m", "release", token)
    assert pipeline.inspect(pipeline.push(dev, token, f"refs/tags/{token}"))["status"] == "incident"
    (tag_event,) = pipeline.security_events()
    (finding,) = tag_event["detail"]["findings"]
    assert (finding["source"], finding["path"]) == ("ref-name", "refs/tags/ghp_********")
    pipeline.notify.handler(tag_event, LambdaContext(function_name="notify"))
    ((_, body),) = pipeline.mails()
    assert "name of tag refs/tags/ghp_********" in body

    pipeline.inspect(pipeline.push(dev, "main", f"refs/heads/{key}"))
    (created,) = pipeline.security_events()
    later = dev.commit("more", {"app.py": "x = 2\n"})
    result = pipeline.inspect(pipeline.push(dev, "main", f"refs/heads/{key}"))
    assert result["status"] == "incident"
    (updated,) = pipeline.security_events()
    assert updated["detail"]["reference"]["event"] == "referenceUpdated"
    assert updated["detail"]["findings"][0]["commit"] == later
    # the same leak (the same ref name): one incident, so its consumers act once
    assert updated["detail"]["incidentId"] == created["detail"]["incidentId"]
    seen = _everything_seen(pipeline, result, tag_event, created, updated) + logs.getvalue()
    assert token not in seen and key not in seen


@pytest.mark.parametrize(
    "ref",
    [
        "refs/heads/feature/login-page",
        "refs/heads/dependabot/npm_and_yarn/lodash-4.17.21",
        "refs/heads/user/j\u00f6rg/fix-#42_(urgent)!",
        "refs/heads/revert-0123456789abcdef0123456789abcdef01234567",
        "refs/heads/secret-key-rotation",
        "refs/tags/v2.0.0-rc.1+build.5",
    ],
)
def test_a_strange_but_clean_ref_name_is_no_finding_beside_one_that_leaks(pipeline, rng, ref):
    dev = pipeline.repository()
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    dev.commit("work", {"app.py": "x = 2\n"})
    key = fake_aws_key(rng)
    leaking, clean = (pipeline.push(dev, "main", name) for name in (f"refs/heads/{key}", ref))
    assert pipeline.inspect(leaking)["status"] == "incident"
    (event,) = pipeline.security_events()
    assert [f["path"] for f in event["detail"]["findings"]] == [f"refs/heads/{key[:4]}********"]
    result = pipeline.inspect(clean)
    assert result["status"] == "clean"
    assert result["reference"] == ref  # shown as it is
    assert pipeline.security_events() == []
    recorded = {item["ref"]["S"] for item in pipeline.record_items() if "ref" in item}
    assert f"refs/heads/{key[:4]}********" in recorded and f"refs/heads/{key}" not in recorded


def test_a_branch_named_after_a_key_that_carries_a_leak_is_contained_and_reset_masks_its_name(
    pipeline, rng, logs
):
    dev = pipeline.repository()
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    key = fake_aws_key(rng)
    dev.git("checkout", "-q", "-b", key)
    leak = dev.commit("leak", {"conf.py": f"token = '{fake_github_token(rng)}'\n"})
    pipeline.inspect(pipeline.push(dev, key, f"refs/heads/{key}"))
    (event,) = pipeline.security_events()
    assert sorted(f["source"] for f in event["detail"]["findings"]) == ["file", "ref-name"]
    assert event["detail"]["leakingCommits"] == [leak]
    pipeline.mails()
    # git's own messages name the ref: a server hook that refuses the push and says which ref
    hook = pipeline.remotes / "app.git" / "hooks" / "pre-receive"
    hook.write_text('#!/bin/sh\nwhile read old new ref; do echo "refusing $ref" >&2; done\nexit 1\n')
    hook.chmod(0o755)
    with pytest.raises(ResetError) as failed:
        pipeline.reset.handler(event, LambdaContext(function_name="reset"))
    ((subject, body),) = pipeline.mails()
    assert "RESET FAILED" in subject and f"{key[:4]}********" in body and "push refused" in body
    hook.unlink()
    result = pipeline.reset.handler(event, LambdaContext(function_name="reset"))  # Lambda's retry
    assert result["status"] == "deleted"
    assert [(o["ref"], o["status"]) for o in result["refs"]] == [(f"refs/heads/{key[:4]}********", "deleted")]
    assert pipeline.remote_ref("app", f"refs/heads/{key}") is None  # quarantined, then deleted
    assert pipeline.lock.handler(event, LambdaContext(function_name="lock"))["status"] == "locked"
    mails = pipeline.mails()
    assert any("leaking ref deleted" in s for s, _ in mails)
    seen = _everything_seen(pipeline, str(failed.value), subject, body, result, mails) + logs.getvalue()
    assert key not in seen


@pytest.mark.parametrize("pushed_is_quoted", [True, False], ids=["the-pushed-ref", "another-ref"])
def test_a_failure_whose_message_quotes_a_leaking_ref_name_is_raised_with_the_name_masked(
    pipeline, rng, logs, monkeypatch, pushed_is_quoted
):
    dev = pipeline.repository()
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    key = fake_aws_key(rng)
    quoted = f"refs/heads/{key}" if pushed_is_quoted else f"refs/tags/{key}"
    clones = pipeline.inspector.INSPECTOR.clones

    def failing_sync(repository, *, mask=None):  # git's stderr quotes the refs it could not update
        raise GitError("fetch", 1, f"error: cannot lock ref '{quoted}': unable to create lock")

    monkeypatch.setattr(clones, "sync", failing_sync)
    if pushed_is_quoted:
        pushed = quoted
    else:  # a ref this push did not name
        dev.commit("more", {"app.py": "x = 2\n"})
        pushed = "refs/heads/main"
    with pytest.raises(LeakguardError) as failed:
        pipeline.inspect(pipeline.push(dev, "main", pushed))
    assert f"cannot lock ref '{quoted.rsplit('/', 1)[0]}/{key[:4]}********'" in str(failed.value)
    assert key not in str(failed.value) + logs.getvalue() + _everything_seen(pipeline)
    assert key not in "".join(traceback.format_exception(failed.value))


def _stale_lock(clone, ref: str) -> None:
    """What a git process killed mid-fetch leaves in a clone (a Lambda timeout, a crashed instance):
    the ref's lock file, so that the next fetch cannot update that ref and says which one."""
    lock = clone / f"{ref}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("")


def test_git_naming_a_leaking_ref_when_a_warm_clone_cannot_be_updated_is_masked_and_reset_recovers(
    pipeline, rng, logs
):
    dev = pipeline.repository()
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    clones = pipeline.reset.RESETTER.clones
    clones.sync("app")  # the reset function's clone, warm from an earlier incident
    key = fake_aws_key(rng)
    dev.git("checkout", "-q", "-b", key)
    leak = dev.commit("leak", {"conf.py": f"token = '{fake_github_token(rng)}'\n"})
    _stale_lock(clones.root / "app.git", f"refs/heads/{key}")
    pipeline.inspect(pipeline.push(dev, key, f"refs/heads/{key}"))
    (event,) = pipeline.security_events()
    assert event["detail"]["leakingCommits"] == [leak]

    result = pipeline.reset.handler(event, LambdaContext(function_name="reset"))
    assert result["status"] == "deleted"  # the clone was made again: the lock does not block containment
    assert pipeline.remote_ref("app", f"refs/heads/{key}") is None
    seen = logs.getvalue()
    assert f"cannot lock ref 'refs/heads/{key[:4]}********'" in seen  # git's message, masked
    assert key not in seen + _everything_seen(pipeline, result, pipeline.mails())


def test_the_inspector_masks_a_leaking_ref_git_names_while_updating_its_clone(pipeline, rng, logs):
    dev = pipeline.repository()
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    token = fake_github_token(rng)
    _stale_lock(pipeline.inspector.INSPECTOR.clones.root / "app.git", f"refs/heads/{token}")
    # another developer's branch named after a token arrives in the same fetch as this push
    dev.git("push", "-q", str(pipeline.remotes / "app.git"), f"main:refs/heads/{token}")
    dev.commit("more", {"app.py": "x = 2\n"})
    result = pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    assert result["status"] == "clean"
    seen = logs.getvalue()
    assert "cannot lock ref 'refs/heads/ghp_********'" in seen
    assert token not in seen + _everything_seen(pipeline, result)

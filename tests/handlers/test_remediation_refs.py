"""Reset contains every ref that carries the leak, emails every failure and still fails; lock degrades."""

from __future__ import annotations

import json
import stat
import subprocess

import pytest
from botocore.exceptions import ClientError

from leakguard.remediate.lock import LockError
from leakguard.remediate.reset import ResetError
from tests.conftest import fake_aws_key
from tests.handlers.conftest import LambdaContext, codecommit_event


def _leak_on_several_refs(pipeline, rng):
    """main: base -> leak -> more; wip and the annotated tag v1 sit on the leak, topic on main's tip.

    Returns (ids, the security event of main)."""
    dev = pipeline.repository()
    base = dev.commit("base", {"a.py": "a = 1\n"})
    pipeline.push(dev, "main", "refs/heads/main")
    leak = dev.commit("leak", {"k.py": f"k = '{fake_aws_key(rng)}'\n"})
    dev.git("branch", "wip")
    dev.git("tag", "-a", "-m", "release", "v1")
    more = dev.commit("more", {"b.py": "b = 2\n"})
    old = pipeline.remote_ref("app", "refs/heads/main")
    dev.git("push", "-q", "origin", "main")
    pipeline.inspect(codecommit_event("app", "refs/heads/main", old=old, new=more))
    # Before reset runs, the other refs arrive (issue 8 makes the inspector name them in the event;
    # reset finds them in the repository either way).
    dev.git("push", "-q", "--follow-tags", "origin", "wip", "main:refs/heads/topic")
    events = pipeline.security_events()
    assert len(events) == 1
    return {"base": base, "leak": leak, "more": more}, events[0]


def test_reset_contains_every_branch_and_tag_that_carries_the_leak_in_one_email(pipeline, rng):
    ids, event = _leak_on_several_refs(pipeline, rng)
    pipeline.mails()
    result = pipeline.reset.handler(event, LambdaContext(function_name="reset"))
    assert result["status"] == "reset"
    outcomes = {o["ref"]: o["status"] for o in result["refs"]}
    assert outcomes == {
        "refs/heads/main": "reset",
        "refs/heads/wip": "reset",
        "refs/heads/topic": "reset",
        "refs/tags/v1": "deleted",
    }
    for ref in ("refs/heads/main", "refs/heads/wip", "refs/heads/topic"):
        assert pipeline.remote_ref("app", ref) == ids["base"]
    assert pipeline.remote_ref("app", "refs/tags/v1") is None
    assert set(result["removedCommits"]) == {ids["leak"], ids["more"]}

    # one bundle for the whole plan, its manifest listing every ref and commit
    prefix = f"quarantine/app/{result['incidentId']}/"
    keys = [o["Key"] for o in pipeline.s3.list_objects_v2(Bucket="quarantine", Prefix=prefix)["Contents"]]
    assert len(keys) == 2
    (manifest_key,) = [k for k in keys if k.endswith(".json")]
    manifest = json.loads(pipeline.s3.get_object(Bucket="quarantine", Key=manifest_key)["Body"].read())
    assert {r["ref"] for r in manifest["refs"]} == set(outcomes)
    assert set(manifest["commits"]) == {ids["leak"], ids["more"]}

    ((subject, body),) = pipeline.mails()
    assert subject == "[leakguard] app refs/heads/main: reset to its last clean commit (4 refs)"
    assert "Refs carrying the leak (4 of 4 contained)" in body
    for ref in outcomes:
        assert f"  - {ref}: " in body


def test_a_second_delivery_for_a_companion_ref_finds_nothing_left(pipeline, rng):
    ids, event = _leak_on_several_refs(pipeline, rng)
    pipeline.reset.handler(event, LambdaContext(function_name="reset"))
    companion = json.loads(json.dumps(event))
    companion["detail"]["reference"].update(name="wip", fullName="refs/heads/wip", newCommitId=ids["leak"])
    companion["detail"]["incidentId"] = "f" * 32
    companion["detail"]["lastCleanCommitId"] = ids["base"]
    result = pipeline.reset.handler(companion, LambdaContext(function_name="reset"))
    assert result["status"] == "already-clean" and result["refs"] == []


def _fail_s3(pipeline, suffix):
    """Make the reset function's own S3 client fail PutObject of keys ending in ``suffix``."""
    client = pipeline.reset.RESETTER.store.client

    def refuse(params, **_):
        if params.get("Key", "").endswith(suffix):
            raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}}, "PutObject")

    client.meta.events.register("before-parameter-build.s3.PutObject", refuse)
    return lambda: client.meta.events.unregister("before-parameter-build.s3.PutObject", refuse)


def _refusing_hook(pipeline):
    hook = pipeline.remotes / "app.git" / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'policy: no force pushes today' >&2\nexit 1\n")
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    return hook.unlink


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        (lambda p: _fail_s3(p, ".bundle"), "InternalError"),
        (lambda p: _fail_s3(p, ".json"), "InternalError"),
        (_refusing_hook, "push refused"),
    ],
    ids=["bundle-upload", "manifest-write", "push-refused"],
)
def test_every_failure_is_emailed_then_raised_and_the_retry_completes(pipeline, rng, fault, says):
    ids, event = _leak_on_several_refs(pipeline, rng)
    pipeline.mails()
    heal = fault(pipeline)
    with pytest.raises(ResetError, match=says):
        pipeline.reset.handler(event, LambdaContext(function_name="reset"))
    ((subject, body),) = pipeline.mails()
    assert subject.startswith("[leakguard] app refs/heads/main: RESET FAILED, action required")
    assert says in body and "retried" in body
    assert pipeline.remote_ref("app", "refs/heads/main") == ids["more"]  # nothing moved
    clone = pipeline.tmp / "lambda-tmp" / "reset" / "app.git"
    refs = subprocess.run(
        ["git", "-C", str(clone), "for-each-ref", "--format=%(refname)"], capture_output=True, text=True
    )
    assert all(r.startswith(("refs/heads/", "refs/tags/")) for r in refs.stdout.split())
    heal()
    result = pipeline.reset.handler(event, LambdaContext(function_name="reset"))  # Lambda's retry
    assert result["status"] == "reset"
    assert pipeline.remote_ref("app", "refs/heads/main") == ids["base"]
    assert "reset to its last clean commit" in pipeline.mails()[0][0]


def test_a_failed_sync_is_emailed_then_raised(pipeline, rng):
    _, event = _leak_on_several_refs(pipeline, rng)
    pipeline.mails()
    (pipeline.remotes / "app.git").rename(pipeline.remotes / "gone.git")
    with pytest.raises(ResetError, match="GitError"):
        pipeline.reset.handler(event, LambdaContext(function_name="reset"))
    ((subject, _),) = pipeline.mails()
    assert "RESET FAILED" in subject


def _tags(pipeline, count):
    arn = pipeline.codecommit.names["app"]
    pipeline.codecommit.tags[arn].update({f"team:{i}": "x" for i in range(count)})
    return arn


@pytest.mark.parametrize(("existing", "audit"), [(49, []), (48, ["leakguard:lockIncident"])])
def test_lock_writes_the_lock_tag_first_and_audit_tags_as_room_allows(pipeline, rng, existing, audit):
    _, event = _leak_on_several_refs(pipeline, rng)
    arn = _tags(pipeline, existing)
    pipeline.mails()
    result = pipeline.lock.handler(event, LambdaContext(function_name="lock"))
    assert result["status"] == "locked" and result["auditTags"] == audit
    tags = pipeline.codecommit.tags[arn]
    assert tags["RepoState"] == "locked" and len(tags) == 50
    ((subject, body),) = pipeline.mails()
    assert subject == "[leakguard] Locked app" and "not written" in body and "CodeCommit allows 50" in body


def test_lock_that_cannot_write_even_the_lock_tag_alerts_and_fails(pipeline, rng):
    _, event = _leak_on_several_refs(pipeline, rng)
    arn = _tags(pipeline, 50)
    pipeline.mails()
    with pytest.raises(LockError, match="TooManyTagsException"):
        pipeline.lock.handler(event, LambdaContext(function_name="lock"))
    assert "RepoState" not in pipeline.codecommit.tags[arn]
    ((subject, body),) = pipeline.mails()
    assert subject == "[leakguard] LOCK FAILED for app, action required"
    assert "50 tag(s)" in body and "remove a tag" in body


def test_a_leak_in_an_annotated_tag_message_deletes_that_tag_only(pipeline, rng):
    dev = pipeline.repository()
    base = dev.commit("base", {"a.py": "a = 1\n"})
    pipeline.push(dev, "main", "refs/heads/main")
    dev.git("tag", "-a", "-m", f"release with key {fake_aws_key(rng)}", "v1")
    pipeline.inspect(pipeline.push(dev, "refs/tags/v1", "refs/tags/v1"))
    (event,) = pipeline.security_events()
    assert event["detail"]["leakingCommits"] == []  # a tag message names no commit
    pipeline.mails()
    result = pipeline.reset.handler(event, LambdaContext(function_name="reset"))
    assert result["status"] == "deleted"
    assert [(o["ref"], o["status"]) for o in result["refs"]] == [("refs/tags/v1", "deleted")]
    assert pipeline.remote_ref("app", "refs/tags/v1") is None
    assert pipeline.remote_ref("app", "refs/heads/main") == base
    (manifest_key,) = [
        o["Key"]
        for o in pipeline.s3.list_objects_v2(Bucket="quarantine", Prefix="quarantine/app/")["Contents"]
        if o["Key"].endswith(".json")
    ]
    manifest = json.loads(pipeline.s3.get_object(Bucket="quarantine", Key=manifest_key)["Body"].read())
    assert manifest["refs"][0]["ref"] == "refs/tags/v1" and manifest["commits"] == []

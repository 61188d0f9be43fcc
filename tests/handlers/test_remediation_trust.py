"""Forged events never move, delete or lock anything, and each produces a "refused" alert.

Attacks as an insider with events:PutEvents would try them (the bus policy stops that in AWS; these
show that the consumers hold even without it): another source or account, an unknown schema, a last
clean commit from another branch, a "delete this ref" claim, a clean commit named as leaking, a
repository the deployment does not remediate, an ARN pointing at another repository.
"""

from __future__ import annotations

import copy

import pytest

from leakguard.remediate.alerts import REFUSED
from tests.conftest import fake_aws_key


def _setup(pipeline, rng):
    """main: base -> leak (reported); feature: base -> unreviewed (no leak). Returns ids and the event."""
    dev = pipeline.repository()
    base = dev.commit("base", {"a.py": "a = 1\n"})
    pipeline.push(dev, "main", "refs/heads/main")
    dev.git("checkout", "-q", "-b", "feature")
    unreviewed = dev.commit("unreviewed", {"evil.py": "import os\n"})
    pipeline.push(dev, "feature", "refs/heads/feature")
    dev.git("checkout", "-q", "main")
    leak = dev.commit("leak", {"k.py": f"k = '{fake_aws_key(rng)}'\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    (event,) = pipeline.security_events()
    return dev, {"base": base, "unreviewed": unreviewed, "leak": leak}, event


def _state(pipeline, name="app"):
    refs = {r: pipeline.remote_ref(name, r) for r in ("refs/heads/main", "refs/heads/feature")}
    arn = pipeline.codecommit.names[name]
    return refs, dict(pipeline.codecommit.tags[arn])


def _refusals(mails):
    return [(s, m) for s, m in mails if REFUSED in s]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda e: e.update(source="attacker.tool"), "source 'attacker.tool'"),
        (lambda e: e.update(account="999999999999"), "account '999999999999'"),
        (lambda e: e["detail"].update(schemaVersion="2"), "schema version '2'"),
    ],
)
def test_an_envelope_not_from_the_inspector_is_refused_by_every_consumer(pipeline, rng, change, why):
    _, _, event = _setup(pipeline, rng)
    before = _state(pipeline)
    forged = copy.deepcopy(event)
    change(forged)
    results = pipeline.deliver(forged)
    assert {r["status"] for r in results.values()} == {"refused"}
    assert _state(pipeline) == before
    mails = pipeline.mails()
    assert len(_refusals(mails)) == 3 and len(mails) == 3  # no incident email either
    assert all(why in message for _, message in mails)


def test_a_last_clean_commit_from_another_branch_is_refused(pipeline, rng):
    _, ids, event = _setup(pipeline, rng)
    forged = copy.deepcopy(event)
    forged["detail"]["lastCleanCommitId"] = ids["unreviewed"]  # the attack: main -> unreviewed
    result = pipeline.reset.handler(forged, _context())
    assert result["status"] == "refused" and "not an ancestor of the pushed commit" in result["detail"]
    assert pipeline.remote_ref("app", "refs/heads/main") == ids["leak"]
    ((subject, body),) = _refusals(pipeline.mails())
    assert "reset" in subject and ids["unreviewed"][:12] in body


def test_a_clean_commit_named_as_leaking_is_neither_deleted_nor_reset(pipeline, rng):
    _, ids, event = _setup(pipeline, rng)
    before = _state(pipeline)
    forged = copy.deepcopy(event)
    detail = forged["detail"]
    detail["reference"].update(name="feature", fullName="refs/heads/feature", newCommitId=ids["unreviewed"])
    detail.update(leakingCommits=[ids["unreviewed"]], lastCleanCommitId=None)  # "delete feature"
    result = pipeline.reset.handler(forged, _context())
    assert result["status"] == "refused"
    assert "hold no enforce-mode finding under the deployed rules" in result["detail"]
    assert _state(pipeline) == before
    assert len(_refusals(pipeline.mails())) == 1


def test_a_real_leak_named_under_another_ref_is_refused(pipeline, rng):
    _, ids, event = _setup(pipeline, rng)
    forged = copy.deepcopy(event)
    detail = forged["detail"]
    detail["reference"].update(name="feature", fullName="refs/heads/feature", newCommitId=ids["unreviewed"])
    detail["lastCleanCommitId"] = ids["base"]  # would rewind feature to base
    result = pipeline.reset.handler(forged, _context())
    assert result["status"] == "refused" and "holds none of the confirmed leaking commits" in result["detail"]
    assert pipeline.remote_ref("app", "refs/heads/feature") == ids["unreviewed"]


def test_made_up_commits_are_refused(pipeline, rng):
    _, _, event = _setup(pipeline, rng)
    before = _state(pipeline)
    forged = copy.deepcopy(event)
    forged["detail"].update(leakingCommits=["0" * 40], lastCleanCommitId=None)
    result = pipeline.reset.handler(forged, _context())
    assert result["status"] == "refused" and "1 not in the repository" in result["detail"]
    assert _state(pipeline) == before


def test_a_repository_the_deployment_does_not_remediate_is_refused(pipeline, rng):
    dev = pipeline.repository("quiet")  # REMEDIATIONS: quiet has neither lock nor reset
    dev.commit("base", {"a.py": "a = 1\n"})
    pipeline.push(dev, "main", "refs/heads/main", name="quiet")
    leak = dev.commit("leak", {"k.py": f"k = '{fake_aws_key(rng)}'\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main", name="quiet"))
    (event,) = pipeline.security_events()
    forged = copy.deepcopy(event)
    forged["detail"]["remediations"].update(lock=True, reset=True)  # the event claims they are on
    results = pipeline.deliver(forged)
    assert results["reset"]["status"] == "refused" and results["lock"]["status"] == "refused"
    assert "not enabled for repository quiet" in results["reset"]["detail"]
    assert pipeline.remote_ref("quiet", "refs/heads/main") == leak
    assert pipeline.codecommit.tags[pipeline.codecommit.names["quiet"]] == {}
    assert len(_refusals(pipeline.mails())) == 2


def test_lock_refuses_an_arn_that_is_not_the_repositorys(pipeline, rng):
    _, _, event = _setup(pipeline, rng)
    other = pipeline.codecommit.add_repository("payments")
    forged = copy.deepcopy(event)
    forged["detail"]["repository"]["arn"] = other
    result = pipeline.lock.handler(forged, _context())
    assert result["status"] == "refused"
    assert pipeline.codecommit.tags[other] == {} and _state(pipeline)[1] == {}


def test_a_refused_forgery_does_not_stand_in_for_the_real_incident(pipeline, rng):
    """Same incident id, other claims: a different idempotency record, so the real event still acts."""
    _, ids, event = _setup(pipeline, rng)
    forged = copy.deepcopy(event)
    forged["detail"]["lastCleanCommitId"] = ids["unreviewed"]
    assert pipeline.reset.handler(forged, _context())["status"] == "refused"
    assert pipeline.reset.handler(event, _context())["status"] == "reset"
    assert pipeline.remote_ref("app", "refs/heads/main") == ids["base"]


def _context():
    from tests.handlers.conftest import LambdaContext

    return LambdaContext(function_name="reset")


def _lock_context():
    from tests.handlers.conftest import LambdaContext

    return LambdaContext(function_name="lock")


@pytest.mark.parametrize(
    ("claim", "why"),
    [
        ("unreviewed", "1 hold no enforce-mode finding"),
        ("made-up", "1 not in the repository"),
    ],
)
def test_lock_confirms_the_leak_over_the_api_before_tagging(pipeline, rng, claim, why):
    """A forged event naming a clean (or non-existent) commit would lock everyone out: lock refuses."""
    _, ids, event = _setup(pipeline, rng)
    forged = copy.deepcopy(event)
    forged["detail"]["leakingCommits"] = [ids.get(claim, "0" * 40)]
    result = pipeline.lock.handler(forged, _lock_context())
    assert result["status"] == "refused" and why in result["reason"]
    assert _state(pipeline)[1] == {}
    ((subject, body),) = _refusals(pipeline.mails())
    assert "lock" in subject and "over the CodeCommit API" in body
    assert pipeline.lock.handler(event, _lock_context())["status"] == "locked"  # the real one still locks


def test_lock_confirms_a_leak_that_reset_already_removed_from_every_ref(pipeline, rng):
    """Reset may win the race: the API still serves the leaking commit by id, so lock still locks."""
    _, ids, event = _setup(pipeline, rng)
    assert pipeline.reset.handler(event, _context())["status"] == "reset"
    assert pipeline.remote_ref("app", "refs/heads/main") == ids["base"]
    assert pipeline.lock.handler(event, _lock_context())["status"] == "locked"


def test_a_throttled_api_is_retried_not_taken_for_a_forgery(pipeline, rng, monkeypatch):
    from botocore.exceptions import ClientError

    _, _, event = _setup(pipeline, rng)
    client = pipeline.lock.LOCKER.tags.client

    def throttled(**_kwargs):
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "GetCommit")

    monkeypatch.setattr(client, "get_commit", throttled)
    with pytest.raises(ClientError):
        pipeline.lock.handler(event, _lock_context())
    assert _state(pipeline)[1] == {} and not _refusals(pipeline.mails())
    monkeypatch.undo()
    assert pipeline.lock.handler(event, _lock_context())["status"] == "locked"

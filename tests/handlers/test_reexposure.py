"""A leak reset removed comes back: the push that restores it is an incident again, never a silent one.

After a reset moves ``main`` back past a leaking commit, the developer's clone still holds it: their
next ``git push`` (a plain fast-forward of the reset branch), a force-push of the old tip or a push of
the leak to another branch puts it back. The scan record says those commits were scanned, so the push
scans only its own new commits; without a memory of leaks, the restored leak would raise nothing.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from leakguard.remediate.reset import ResetError
from tests.conftest import fake_aws_key
from tests.handlers.conftest import LambdaContext, leaking_incident


def _reset_leak(pipeline, rng):
    """main: base -> leak, inspected, incident delivered (locked and reset); returns dev, base, leak, id."""
    dev, base, leak, event = leaking_incident(pipeline, rng)
    results = pipeline.deliver(event)
    assert results["reset"]["status"] == "reset"
    assert pipeline.remote_ref("app", "refs/heads/main") == base
    pipeline.mails()
    return dev, base, leak, event["detail"]["incidentId"]


def test_the_next_push_of_a_clone_that_still_holds_a_reset_leak_is_an_incident_again(pipeline, rng):
    dev, base, leak, first_incident = _reset_leak(pipeline, rng)
    later = dev.commit("more work", {"app.py": "x = 2\n"})  # on top of the leak, as the clone has it
    result = pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))  # a fast-forward of base
    assert result["status"] == "incident"
    (event,) = pipeline.security_events()
    detail = event["detail"]
    assert leak in detail["leakingCommits"]
    assert detail["incidentId"] != first_incident  # a new incident: the consumers act on it again
    assert detail["broughtBack"] == [{"commit": leak, "removedBy": first_incident}]
    results = pipeline.deliver(event)
    (body,) = [b for s, b in pipeline.mails() if s.startswith("[ACTION REQUIRED]")]
    assert "Pushed back: 1 leaking commit(s) removed after an earlier incident" in body
    assert f"{leak[:12]} (removed after incident {first_incident})" in body
    assert results["notify"]["status"] == "notified"
    assert results["reset"]["status"] == "reset"
    assert set(results["reset"]["removedCommits"]) == {leak, later}
    assert pipeline.remote_ref("app", "refs/heads/main") == base


def test_a_force_push_of_the_reset_tip_and_a_push_to_another_branch_are_incidents(pipeline, rng):
    dev, _base, leak, first_incident = _reset_leak(pipeline, rng)
    result = pipeline.inspect(pipeline.push(dev, leak, "refs/heads/elsewhere"))
    assert result["status"] == "incident"
    (event,) = pipeline.security_events()
    assert event["detail"]["leakingCommits"] == [leak]
    assert event["detail"]["incidentId"] != first_incident


def test_a_push_that_does_not_bring_the_leak_back_stays_clean(pipeline, rng):
    dev, base, _leak, _ = _reset_leak(pipeline, rng)
    dev.git("reset", "-q", "--hard", base)  # the developer dropped the leak, as the email asks
    dev.commit("fixed", {"conf.py": "key = os.environ['KEY']\n"})
    result = pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    assert result["status"] == "clean"
    assert pipeline.security_events() == []


def test_a_leak_restored_twice_is_a_third_incident(pipeline, rng):
    dev, base, leak, first_incident = _reset_leak(pipeline, rng)
    ids = [first_incident]
    for _ in range(2):
        pipeline.inspect(pipeline.push(dev, leak, "refs/heads/main"))  # base -> leak, as the first time
        (event,) = pipeline.security_events()
        ids.append(event["detail"]["incidentId"])
        assert pipeline.deliver(event)["reset"]["status"] == "reset"
        assert pipeline.remote_ref("app", "refs/heads/main") == base
    assert len(set(ids)) == 3


def test_the_late_sibling_event_of_the_push_a_reset_cleaned_up_raises_nothing(pipeline, rng):
    # git push origin main feature, both at the leak: main's event is inspected and its incident reset
    # both refs; feature's event arrives afterwards and must not be taken for the leak pushed back.
    dev = pipeline.repository()
    base = dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.git_push(dev, "main")[0])
    dev.commit("leak", {"conf.py": f"key = '{fake_aws_key(rng)}'\n"})
    dev.git("branch", "feature")
    first, second = pipeline.git_push(dev, "main", "feature")
    assert pipeline.inspect(first)["status"] == "incident"
    (event,) = pipeline.security_events()
    assert pipeline.deliver(event)["reset"]["status"] in ("reset", "deleted")
    assert pipeline.remote_ref("app", "refs/heads/main") == base
    assert pipeline.inspect(second)["status"] == "clean"
    assert pipeline.security_events() == []


def test_a_removal_the_record_cannot_take_is_emailed_and_the_reset_retried(pipeline, rng):
    def refuse(**_):
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"}}, "UpdateItem")

    _dev, base, leak, event = leaking_incident(pipeline, rng)
    client = pipeline.reset.RESETTER.record.client  # where reset marks the leaks it removed
    client.meta.events.register("before-call.dynamodb.UpdateItem", refuse)
    with pytest.raises(ResetError, match="could not be recorded"):
        pipeline.reset.handler(event, _context())
    assert pipeline.remote_ref("app", "refs/heads/main") == base  # contained all the same
    (body,) = [b for s, b in pipeline.mails() if "reset to its last clean commit" in s]
    assert "WARNING: the removal could not be recorded" in body and "AccessDenied" in body
    client.meta.events.unregister("before-call.dynamodb.UpdateItem", refuse)
    assert pipeline.reset.handler(event, _context())["status"] == "already-clean"  # the retry records it
    (item,) = [i for i in pipeline.record_items() if i["entry"]["S"] == f"leak#{leak}"]
    assert item["removedBy"]["S"] == event["detail"]["incidentId"]


def _context() -> LambdaContext:
    return LambdaContext(function_name="reset")


# --- leaks removed by hand (reset switched off, or done before it): known as removed all the same --------


def test_a_leak_a_force_push_removed_by_hand_is_an_incident_when_pushed_back(pipeline, rng):
    dev, base, leak, event = leaking_incident(pipeline, rng)  # inspected; no reset ran
    first_incident = event["detail"]["incidentId"]
    dev.git("branch", "-q", "old-main", "main")  # the clone that still holds the leak
    removal = pipeline.inspect(pipeline.push(dev, base, "refs/heads/main", force=True))
    assert removal["status"] == "clean"
    assert {item["entry"]["S"]: item for item in pipeline.record_items()}[f"leak#{leak}"]["removedBy"] == {
        "S": first_incident
    }
    result = pipeline.inspect(pipeline.push(dev, "old-main", "refs/heads/main"))  # base -> leak again
    assert result["status"] == "incident" and result["reason"] == "findings: a removed leak was pushed back"
    (again,) = pipeline.security_events()
    assert again["detail"]["leakingCommits"] == [leak]
    assert again["detail"]["broughtBack"] == [{"commit": leak, "removedBy": first_incident}]
    assert again["detail"]["incidentId"] != first_incident


def test_a_leak_whose_branch_was_deleted_is_an_incident_when_pushed_to_another(pipeline, rng):
    dev, _base, leak, _event = leaking_incident(pipeline, rng, branch="feature")
    (deletion,) = pipeline.git_push(dev, "--delete", "feature")
    result = pipeline.inspect(deletion)
    assert result["status"] == "ignored" and "1 recorded leak(s)" in result["reason"]
    pushed = pipeline.inspect(pipeline.push(dev, leak, "refs/heads/feature-2"))
    assert pushed["status"] == "incident"
    (again,) = pipeline.security_events()
    assert again["detail"]["leakingCommits"] == [leak]


def test_a_leak_still_on_a_branch_does_not_alert_again_for_each_branch_made_from_it(pipeline, rng):
    dev, _base, leak, _event = leaking_incident(pipeline, rng)  # main keeps the leak (no reset)
    later = pipeline.inspect(pipeline.push(dev, "main", "refs/heads/topic"))
    assert later["status"] == "clean" and pipeline.security_events() == []
    (deletion,) = pipeline.git_push(dev, "--delete", "topic")  # main still carries it
    assert "recorded leak" not in pipeline.inspect(deletion)["reason"]
    assert "removedBy" not in {item["entry"]["S"]: item for item in pipeline.record_items()}[f"leak#{leak}"]


def test_a_leaking_tag_deleted_and_pushed_again_is_an_incident_again(pipeline, rng):
    dev = pipeline.repository("app")
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    dev.git("tag", "-a", "-m", f"release\naws {fake_aws_key(rng)}", "v1")
    tag_object = dev.git("rev-parse", "v1").strip()
    (created,) = pipeline.git_push(dev, "refs/tags/v1")
    assert pipeline.inspect(created)["status"] == "incident"
    (first,) = pipeline.security_events()
    (deletion,) = pipeline.git_push(dev, "--delete", "refs/tags/v1")  # removed by hand
    assert "1 recorded leak(s)" in pipeline.inspect(deletion)["reason"]
    (again,) = pipeline.git_push(dev, "refs/tags/v1")  # the clone still holds the tag
    result = pipeline.inspect(again)
    assert result["status"] == "incident"
    (event,) = pipeline.security_events()
    first_incident = first["detail"]["incidentId"]
    assert event["detail"]["incidentId"] != first_incident
    assert event["detail"]["broughtBack"] == [{"commit": tag_object, "removedBy": first_incident}]
    assert [f["source"] for f in event["detail"]["findings"]] == ["tag-message"]


def test_a_leaking_tag_the_reset_deleted_is_an_incident_when_pushed_again(pipeline, rng):
    dev = pipeline.repository("app")
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    dev.git("tag", "-a", "-m", f"release\naws {fake_aws_key(rng)}", "v1")
    (created,) = pipeline.git_push(dev, "refs/tags/v1")
    pipeline.inspect(created)
    (first,) = pipeline.security_events()
    assert pipeline.deliver(first)["reset"]["status"] == "deleted"
    assert pipeline.remote_ref("app", "refs/tags/v1") is None
    (again,) = pipeline.git_push(dev, "refs/tags/v1")  # no deletion event inspected in between
    assert pipeline.inspect(again)["status"] == "incident"
    (event,) = pipeline.security_events()
    assert [b["removedBy"] for b in event["detail"]["broughtBack"]] == [first["detail"]["incidentId"]]

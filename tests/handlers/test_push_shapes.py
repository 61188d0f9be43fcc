"""Push shapes developers use every day, each pushed for real, its events delivered in every order,
at the same time, and twice: each raises exactly the incident a person expects, naming every ref."""

from __future__ import annotations

import itertools
import random

from tests.conftest import fake_aws_key, fake_github_token
from tests.handlers.conftest import LambdaContext


def _base(pipeline, name="app"):
    """A repository whose first push (clean) the inspector has seen: its record holds main."""
    dev = pipeline.repository(name)
    dev.commit("base", {"app.py": "x = 1\n"})
    (event,) = pipeline.git_push(dev, "main", name=name)
    assert pipeline.inspect(event)["status"] == "clean"
    return dev


def _emails(pipeline, security_events):
    """Deliver each security event to notify, as the bus would; the emails sent."""
    for event in security_events:
        pipeline.notify.handler(event, LambdaContext(function_name="notify"))
    return pipeline.mails()


def _refs(detail):
    return sorted(r["fullName"] for r in detail["references"])


def _one_incident_in_every_order(pipeline, events, *, orders=None, concurrently=True):
    """Replay ``events`` from the same record in each order (then all at once): the one incident.

    Every replay must raise exactly one incident (the same one) and send one email; returns its detail.
    """
    before = pipeline.record_items()
    orders = orders or list(itertools.permutations(range(len(events))))
    details = []
    for order in orders:
        pipeline.restore_record(before)
        statuses = [pipeline.inspect(events[i])["status"] for i in order]
        assert "incident" in statuses, order
        security = pipeline.security_events()
        assert len(security) == 1, (order, statuses)
        assert len(_emails(pipeline, security)) == 1
        details.append(security[0]["detail"])
    if concurrently:
        pipeline.restore_record(before)
        results = pipeline.inspect_concurrently(events)
        security = pipeline.security_events()
        assert {e["detail"]["incidentId"] for e in security} <= {details[0]["incidentId"]}, results
        assert len(_emails(pipeline, security)) == 1
    assert len({d["incidentId"] for d in details}) == 1
    assert len({tuple(_refs(d)) for d in details}) == 1
    return details[0]


def test_main_and_a_feature_ahead_of_it_pushed_together(pipeline, rng):
    # git push origin main feature: feature is one commit ahead of main; main's new commit leaks.
    dev = _base(pipeline)
    leak = dev.commit("leak on main", {"conf.py": f"key = '{fake_aws_key(rng)}'\n"})
    dev.git("checkout", "-q", "-b", "feature")
    dev.commit("feature work", {"f.py": "f = 1\n"})
    events = pipeline.git_push(dev, "main", "feature")
    assert len(events) == 2
    detail = _one_incident_in_every_order(pipeline, events)
    assert detail["leakingCommits"] == [leak]
    assert _refs(detail) == ["refs/heads/feature", "refs/heads/main"]
    # a duplicate delivery of either event, later, raises nothing new
    assert {pipeline.inspect({**e, "id": "again"})["status"] for e in events} <= {"clean", "incident"}
    assert pipeline.security_events() == []


def test_new_branch_with_follow_tags_and_an_annotated_tag_on_its_tip(pipeline, rng):
    dev = _base(pipeline)
    dev.git("checkout", "-q", "-b", "release")
    leak = dev.commit("release prep", {"deploy.py": f"token = '{fake_github_token(rng)}'\n"})
    dev.git("tag", "-a", "-m", "release 1.0", "v1.0")
    events = pipeline.git_push(dev, "--follow-tags", "-u", "release")
    assert sorted(e["detail"]["event"] for e in events) == ["referenceCreated"] * 2
    detail = _one_incident_in_every_order(pipeline, events, concurrently=False)
    assert detail["leakingCommits"] == [leak]
    assert _refs(detail) == ["refs/heads/release", "refs/tags/v1.0"]
    assert detail["lastCleanCommitId"] is None  # whichever ref's event it was: both only carry the leak


def test_two_new_branches_at_the_same_leaking_commit(pipeline, rng):
    dev = _base(pipeline)
    dev.git("checkout", "-q", "-b", "one")
    leak = dev.commit("leak", {"k.py": f"k = '{fake_aws_key(rng)}'\n"})
    dev.git("branch", "two")
    events = pipeline.git_push(dev, "one", "two")
    detail = _one_incident_in_every_order(pipeline, events)
    assert detail["leakingCommits"] == [leak]
    assert _refs(detail) == ["refs/heads/one", "refs/heads/two"]


def test_push_all_follow_tags_of_stacked_branches_and_tags(pipeline, rng):
    # git push --all --follow-tags: three stacked branches, a tag on each, leaks in the 2nd and the 3rd.
    dev = _base(pipeline)
    leaks = []
    for level in range(1, 4):
        dev.git("checkout", "-q", "-b", f"stack/{level}")
        secret = f"k{level} = '{fake_aws_key(rng)}'\n" if level in (2, 3) else f"v{level} = {level}\n"
        commit = dev.commit(f"level {level}", {f"s{level}.py": secret})
        dev.git("tag", "-a", "-m", f"level {level}", f"level-{level}")
        if level in (2, 3):
            leaks.append(commit)
    events = pipeline.git_push(dev, "--all", "--follow-tags")
    assert len(events) == 6
    shuffled = list(range(6))
    random.Random(8).shuffle(shuffled)
    detail = _one_incident_in_every_order(
        pipeline, events, orders=[list(range(6)), shuffled], concurrently=False
    )
    assert sorted(detail["leakingCommits"]) == sorted(leaks)
    assert _refs(detail) == sorted(
        [f"refs/heads/stack/{n}" for n in range(2, 4)] + [f"refs/tags/level-{n}" for n in range(2, 4)]
    )
    assert detail["findingCount"] == 2


def test_ci_tags_the_new_head_before_the_push_was_inspected(pipeline, rng):
    dev = _base(pipeline)
    leak = dev.commit("leak", {"k.py": f"k = '{fake_aws_key(rng)}'\n"})
    (push,) = pipeline.git_push(dev, "main")
    dev.git("tag", "build-42")  # CI, seconds later
    (tag,) = pipeline.git_push(dev, "build-42")
    detail = _one_incident_in_every_order(pipeline, [push, tag], concurrently=False)
    assert detail["leakingCommits"] == [leak]
    assert _refs(detail) == ["refs/heads/main", "refs/tags/build-42"]


def test_a_second_push_on_top_before_the_first_was_inspected(pipeline, rng):
    dev = _base(pipeline)
    leak = dev.commit("leak", {"k.py": f"k = '{fake_aws_key(rng)}'\n"})
    (first,) = pipeline.git_push(dev, "main")
    dev.commit("more", {"m.py": "m = 1\n"})
    (second,) = pipeline.git_push(dev, "main")
    detail = _one_incident_in_every_order(pipeline, [first, second], concurrently=False)
    assert detail["leakingCommits"] == [leak] and _refs(detail) == ["refs/heads/main"]


def test_an_old_leak_is_never_realerted_by_ordinary_pushes(pipeline, rng):
    dev = _base(pipeline, "quiet")  # notify only: the leak stays on the branch
    dev.commit("leak", {"k.py": f"k = '{fake_aws_key(rng)}'\n"})
    (event,) = pipeline.git_push(dev, "main", name="quiet")
    assert pipeline.inspect(event)["status"] == "incident"
    pipeline.security_events()
    dev.git("checkout", "-q", "-b", "topic")
    dev.commit("work", {"w.py": "w = 1\n"})
    dev.git("checkout", "-q", "main")
    dev.commit("main work", {"m.py": "m = 1\n"})
    dev.git("merge", "-q", "--no-ff", "-m", "merge topic", "topic")
    dev.git("tag", "-a", "-m", "release", "v2")
    statuses = [
        pipeline.inspect(e)["status"]
        for e in pipeline.git_push(dev, "--follow-tags", "main", "topic", name="quiet")
    ]
    assert statuses == ["clean"] * 3
    assert pipeline.security_events() == []


def test_the_incident_email_says_every_ref_carrying_the_leak_is_contained(pipeline, rng):
    """git push origin main feature with a leak on main: the email must not promise to reset main alone."""
    dev = _base(pipeline)
    dev.commit("leak on main", {"conf.py": f"key = '{fake_aws_key(rng)}'\n"})
    dev.git("checkout", "-q", "-b", "feature")
    dev.commit("feature work", {"f.py": "f = 1\n"})
    events = pipeline.git_push(dev, "main", "feature")
    for event in events:
        pipeline.inspect(event)
    ((subject, body),) = _emails(pipeline, pipeline.security_events())
    assert "2 refs" in subject or "refs/heads/feature" in body
    (reset_line,) = [line for line in body.splitlines() if line.startswith("  - Reset:")]
    assert "every one of the 2 refs carrying the leak" in reset_line
    assert "is being moved back to" not in body

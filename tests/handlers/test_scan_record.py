"""The scan record in use: cheap per push, a baseline at first sight, leaks removed before inspection."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

from tests.conftest import fake_aws_key, fake_github_token
from tests.handlers.conftest import LambdaContext

LONG_AGO = datetime.now(UTC) - timedelta(days=400)


def _calls(client):
    """Count the DynamoDB operations ``client`` makes."""
    calls: list[str] = []
    client.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    return calls


def test_a_fast_forward_reads_and_writes_a_constant_amount_however_long_the_history(pipeline):
    dev = pipeline.repository()
    calls = _calls(pipeline.inspector.INSPECTOR.history.table.client)
    per_push, items = [], []
    for n in range(6):
        dev.commit(f"c{n}", {"a.py": f"a = {n}\n"})
        (event,) = pipeline.git_push(dev, "main")
        calls.clear()
        assert pipeline.inspect(event)["commits"] == 1
        per_push.append(sorted(calls))
        items.append(len(pipeline.record_items()))
    # first sight: the tips and leaks Queries, GetItem (no tips yet), the marker; after that two reads
    # (tips, leaks) and two writes a push
    assert per_push[0] == ["BatchWriteItem", "GetItem", "PutItem", "Query", "Query"]
    assert all(p == ["BatchWriteItem", "BatchWriteItem", "Query", "Query"] for p in per_push[2:]), per_push
    assert items[-1] == 2  # the baseline marker and one tip: main's head; older tips were pruned


def test_first_sight_of_an_existing_repository_scans_only_the_push(pipeline, rng):
    dev = pipeline.repository(created=LONG_AGO)
    dev.commit("years ago", {"old.py": f"k = '{fake_aws_key(rng)}'\n"})
    for n in range(5):
        dev.commit(f"history {n}", {"h.py": f"h = {n}\n"})
    dev.git("push", "-q", "origin", "main", "main:refs/heads/release")  # before leakguard watched it
    dev.commit("today", {"t.py": "t = 1\n"})
    (event,) = pipeline.git_push(dev, "main")
    result = pipeline.inspect(event)
    assert result["status"] == "clean" and result["commits"] == 1 and result["first_sight"] is True
    assert pipeline.security_events() == []  # the old leak is not alerted, locked or reset for
    dev.git("checkout", "-q", "-b", "feature", "main~1")  # where release is
    leak = dev.commit("new leak", {"n.py": f"t = '{fake_github_token(rng)}'\n"})
    (created,) = pipeline.git_push(dev, "feature")
    result = pipeline.inspect(created)
    assert result["commits"] == 1 and "first_sight" not in result  # recorded now: no second baseline
    (security,) = pipeline.security_events()
    assert security["detail"]["leakingCommits"] == [leak] and security["detail"]["firstSight"] is False


def test_first_sight_of_a_created_ref_says_so_in_the_event_and_the_email(pipeline, rng):
    dev = pipeline.repository(created=LONG_AGO)
    dev.commit("years ago", {"old.py": f"k = '{fake_aws_key(rng)}'\n"})
    dev.git("push", "-q", "origin", "main")
    dev.git("checkout", "-q", "-b", "feature")
    leak = dev.commit("leak", {"n.py": f"t = '{fake_github_token(rng)}'\n"})
    (event,) = pipeline.git_push(dev, "feature")
    result = pipeline.inspect(event)
    assert result["status"] == "incident" and result["commits"] == 1 and result["first_sight"] is True
    (security,) = pipeline.security_events()
    assert security["detail"]["firstSight"] is True and security["detail"]["leakingCommits"] == [leak]
    pipeline.notify.handler(security, LambdaContext(function_name="notify"))
    ((_, body),) = pipeline.mails()
    assert "First sight" in body and "leakguard baseline --audit app" in body


def test_a_new_repository_is_scanned_whole_on_its_first_push(pipeline, rng):
    dev = pipeline.repository()  # created just now, as a migration would be
    dev.commit("imported history", {"old.py": f"k = '{fake_aws_key(rng)}'\n"})
    dev.commit("more history", {"h.py": "h = 1\n"})
    dev.git("branch", "develop")
    events = pipeline.git_push(dev, "--all")
    statuses = sorted(pipeline.inspect(e)["status"] for e in events)
    assert statuses == ["clean", "incident"]
    (security,) = pipeline.security_events()
    assert sorted(r["fullName"] for r in security["detail"]["references"]) == [
        "refs/heads/develop",
        "refs/heads/main",
    ]


def _git_protocol_v0(monkeypatch):
    """Every git of this test speaks protocol v0: the server then serves no unadvertised object, so a
    commit no ref reaches any more can only be read over the CodeCommit API."""
    for key, value in {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "protocol.version",
        "GIT_CONFIG_VALUE_0": "0",
    }.items():
        monkeypatch.setenv(key, value)


def _leak_then_force_push_it_away(pipeline, rng, *, delete=False):
    dev = pipeline.repository()
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.git_push(dev, "main")[0])
    dev.git("checkout", "-q", "-b", "oops")
    dev.commit("clean", {"c.py": "c = 1\n"})
    leak = dev.commit("leak", {"conf.py": f"key = '{fake_aws_key(rng)}'\n"})
    (pushed,) = pipeline.git_push(dev, "oops")
    if delete:
        pipeline.git_push(dev, ":oops")
    else:
        dev.git("reset", "-q", "--hard", "HEAD~2")
        dev.commit("redo", {"c.py": "c = 2\n"})
        pipeline.git_push(dev, "--force", "oops")
    return dev, leak, pushed


def test_a_leak_force_pushed_away_before_inspection_is_read_by_id_over_git(pipeline, rng):
    _dev, leak, pushed = _leak_then_force_push_it_away(pipeline, rng)
    result = pipeline.inspect(pushed)
    assert result["status"] == "incident" and result["vanished"] == 2
    (security,) = pipeline.security_events()
    detail = security["detail"]
    assert detail["leakingCommits"] == [leak] and detail["references"] == []
    assert len(detail["vanishedCommits"]) == 2 and detail["remediations"]["reset"] is False
    results = pipeline.deliver(security)
    assert results["reset"]["status"] == "skipped"
    (mail,) = [m for m in pipeline.mails() if m[0].startswith("[ACTION REQUIRED]")]
    assert "Already removed from the refs" in mail[1] and "nothing to reset" in mail[1].lower()


def test_a_deleted_leaking_branch_is_read_over_the_codecommit_api(pipeline, rng, monkeypatch):
    _git_protocol_v0(monkeypatch)
    _dev, leak, pushed = _leak_then_force_push_it_away(pipeline, rng, delete=True)
    api = pipeline.codecommit.calls
    api.clear()
    result = pipeline.inspect(pushed)
    assert result["status"] == "incident" and result["vanished"] == 2
    assert {op for op, _ in api} >= {"GetCommit", "GetDifferences", "GetBlob"}
    (security,) = pipeline.security_events()
    assert security["detail"]["leakingCommits"] == [leak] and security["detail"]["references"] == []
    assert [f["path"] for f in security["detail"]["findings"]] == ["conf.py"]


def test_vanished_history_the_api_walk_leaves_unread_is_reported_not_dropped(pipeline, rng, monkeypatch):
    _git_protocol_v0(monkeypatch)
    _dev, leak, pushed = _leak_then_force_push_it_away(pipeline, rng, delete=True)
    monkeypatch.setattr(pipeline.inspector.INSPECTOR.vanished, "limit", 1)  # reads the leak, not its parent
    result = pipeline.inspect(pushed)
    assert result["status"] == "incident" and result["vanished"] == 1
    (security,) = pipeline.security_events()
    assert security["detail"]["leakingCommits"] == [leak]
    (skipped,) = security["detail"]["skipped"]
    assert skipped["path"] == "(vanished history)" and "API walk stops after 1 commits" in skipped["reason"]
    pipeline.deliver(security)
    (mail,) = [m for m in pipeline.mails() if m[0].startswith("[ACTION REQUIRED]")]
    assert "(vanished history): commit" in mail[1] and "check them by hand" in mail[1]


def test_clean_vanished_history_the_api_walk_leaves_unread_is_a_notice(pipeline, monkeypatch):
    _git_protocol_v0(monkeypatch)
    dev = pipeline.repository()
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.git_push(dev, "main")[0])
    dev.git("checkout", "-q", "-b", "oops")
    dev.commit("one", {"c.py": "c = 1\n"})
    dev.commit("two", {"c.py": "c = 2\n"})
    (pushed,) = pipeline.git_push(dev, "oops")
    pipeline.git_push(dev, ":oops")
    monkeypatch.setattr(pipeline.inspector.INSPECTOR.vanished, "limit", 1)  # reads "two" only
    result = pipeline.inspect(pushed)
    assert result["status"] == "clean" and "notice sent" in result["reason"]
    (notice,) = pipeline.security_events()
    (skipped,) = notice["detail"]["skipped"]
    assert skipped["path"] == "(vanished history)"


def test_a_pushed_commit_that_cannot_be_read_at_all_warns_the_admins(pipeline, rng):
    _dev, _leak, pushed = _leak_then_force_push_it_away(pipeline, rng, delete=True)
    remote = pipeline.remotes / "app.git"
    subprocess.run(["git", "-C", str(remote), "reflog", "expire", "--expire=now", "--all"], check=True)
    subprocess.run(["git", "-C", str(remote), "gc", "-q", "--prune=now"], check=True)
    result = pipeline.inspect(pushed)
    assert result["status"] == "warning"
    assert pipeline.security_events() == []
    ((subject, body),) = pipeline.mails()
    assert subject.startswith("[WARNING] pushed commit vanished unscanned in app oops")
    assert pushed["detail"]["commitId"] in body and "rotate" in body


def test_a_sibling_event_arriving_after_its_ref_was_removed_is_not_a_second_incident(
    pipeline, rng, monkeypatch
):
    # git push origin one two, both at the leak; one's event is inspected, then both refs go (a reset),
    # then two's event arrives at a cold sandbox whose git server serves no unadvertised object.
    dev = pipeline.repository()
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.git_push(dev, "main")[0])
    dev.git("checkout", "-q", "-b", "one")
    dev.commit("leak", {"k.py": f"k = '{fake_aws_key(rng)}'\n"})
    dev.git("branch", "two")
    first, second = pipeline.git_push(dev, "one", "two")
    assert pipeline.inspect(first)["status"] == "incident"
    pipeline.security_events()
    pipeline.git_push(dev, ":one", ":two")
    _git_protocol_v0(monkeypatch)
    (cold,) = pipeline.sandboxed_inspectors(1, barrier=False)
    from leakguard.events.codecommit import parse_codecommit_event

    result = cold.inspect(parse_codecommit_event(second))
    assert result.status == "clean" and result.commits == 0
    assert pipeline.security_events() == []

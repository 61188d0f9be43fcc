"""The inspector against real pushes: every kind of ref change, and what it must not do."""

from __future__ import annotations

import io
import json
import logging
import subprocess

import jsonschema
import pytest

from leakguard.events.security import security_event_schema
from tests.conftest import fake_aws_key, fake_github_token
from tests.handlers.conftest import LambdaContext, codecommit_event


def _base(pipeline, name="app"):
    """A repository whose first push (clean) the inspector has seen: its record holds main."""
    dev = pipeline.repository(name)
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main", name=name))
    return dev


def _one_event(pipeline):
    events = pipeline.security_events()
    assert len(events) == 1, events
    jsonschema.validate(events[0]["detail"], security_event_schema())
    return events[0]["detail"]


def test_fast_forward_with_a_leak_emits_one_event_pointing_back_to_the_old_head(pipeline, rng):
    dev = _base(pipeline)
    old = dev.git("rev-parse", "HEAD")
    key = fake_aws_key(rng)
    leak = dev.commit("leak", {"conf.py": f"key = '{key}'\n", "b.py": f"t = '{fake_github_token(rng)}'\n"})
    dev.commit("more", {"c.py": "y = 2\n"})
    result = pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    assert result["status"] == "incident" and result["commits"] == 2 and result["findings"] == 2
    detail = _one_event(pipeline)
    assert detail["reference"] | {"newCommitId": None} == {
        "type": "branch",
        "name": "main",
        "fullName": "refs/heads/main",
        "event": "referenceUpdated",
        "oldCommitId": old,
        "newCommitId": None,
        "forced": False,
    }
    assert detail["lastCleanCommitId"] == old
    assert detail["leakingCommits"] == [leak]
    assert detail["mode"] == "enforce"
    assert {(f["path"], f["line"], f["rule_id"]) for f in detail["findings"]} == {
        ("conf.py", 1, "aws-access-key-id"),
        ("b.py", 1, "github-pat"),
    }
    assert key not in json.dumps(detail)
    assert [c["author"] for c in detail["commits"]] == ["Test Dev <dev@example.com>"] * 2
    assert detail["pusher"].endswith(":user/dev")


def test_clean_push_emits_nothing(pipeline):
    dev = _base(pipeline)
    dev.commit("clean", {"a.py": "a = 1\n"})
    result = pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    assert result["status"] == "clean" and result["commits"] == 1
    assert pipeline.security_events() == []


def test_created_branch_scans_only_commits_no_other_ref_has(pipeline, rng):
    dev = _base(pipeline)
    for i in range(5):
        dev.commit(f"main {i}", {f"m{i}.py": f"v = {i}\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    dev.git("checkout", "-q", "-b", "feature")
    clean = dev.commit("clean work", {"f.py": "f = 1\n"})
    leak = dev.commit("leak", {"f.py": f"f = 1\ntoken = '{fake_github_token(rng)}'\n"})
    result = pipeline.inspect(pipeline.push(dev, "feature", "refs/heads/feature"))
    assert result["commits"] == 2  # not the 6 commits main already had
    detail = _one_event(pipeline)
    assert detail["reference"]["event"] == "referenceCreated" and detail["reference"]["oldCommitId"] is None
    assert detail["leakingCommits"] == [leak]
    assert detail["lastCleanCommitId"] == clean


def test_created_branch_that_only_carries_the_leak_is_to_be_deleted(pipeline, rng):
    dev = _base(pipeline)
    dev.git("checkout", "-q", "-b", "oops")
    dev.commit("leak", {"k.py": f"k = '{fake_aws_key(rng)}'\n"})
    pipeline.inspect(pipeline.push(dev, "oops", "refs/heads/oops"))
    assert _one_event(pipeline)["lastCleanCommitId"] is None


def test_created_branch_without_new_commits_scans_nothing(pipeline):
    dev = _base(pipeline)
    result = pipeline.inspect(pipeline.push(dev, "main", "refs/heads/copy"))
    assert result["status"] == "clean" and result["commits"] == 0


@pytest.mark.parametrize("annotated", [False, True])
def test_created_tag_on_a_leaking_commit(pipeline, rng, annotated):
    dev = _base(pipeline)
    dev.commit("leak", {"k.py": f"k = '{fake_aws_key(rng)}'\n"})
    dev.git("tag", *(["-a", "-m", "release"] if annotated else []), "v1")
    result = pipeline.inspect(pipeline.push(dev, "v1", "refs/tags/v1"))
    assert result["status"] == "incident" and result["commits"] == 1
    detail = _one_event(pipeline)
    assert detail["reference"]["type"] == "tag" and detail["reference"]["name"] == "v1"
    assert detail["lastCleanCommitId"] is None


def test_forced_update_scans_only_the_rewritten_commits(pipeline, rng):
    dev = _base(pipeline)
    dev.commit("one", {"a.py": "a = 1\n"})
    dev.commit("two", {"b.py": "b = 2\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))  # the warm clone has the old head
    dev.git("reset", "-q", "--hard", "HEAD~2")
    leak = dev.commit("rewrite", {"a.py": f"a = '{fake_aws_key(rng)}'\n"})
    result = pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main", force=True))
    assert result["commits"] == 1
    detail = _one_event(pipeline)
    assert detail["reference"]["forced"] is True
    assert detail["leakingCommits"] == [leak]
    assert detail["lastCleanCommitId"] == dev.git("rev-parse", "HEAD~1")


def test_forced_update_seen_by_a_cold_clone_scans_more_but_never_resets(pipeline, rng):
    dev = _base(pipeline)
    dev.commit("one", {"a.py": "a = 1\n"})
    pipeline.push(dev, "main", "refs/heads/main")  # not inspected: the clone never saw it
    dev.git("reset", "-q", "--hard", "HEAD~1")
    dev.commit("rewrite", {"c.py": f"c = '{fake_aws_key(rng)}'\n"})
    event = pipeline.push(dev, "main", "refs/heads/main", force=True)
    remote = pipeline.remotes / "app.git"
    subprocess.run(["git", "-C", str(remote), "reflog", "expire", "--expire=now", "--all"], check=True)
    subprocess.run(["git", "-C", str(remote), "gc", "-q", "--prune=now"], check=True)
    result = pipeline.inspect(event)
    assert result["commits"] == 1  # the record still bounds the scan: base was scanned
    detail = _one_event(pipeline)
    assert detail["reference"]["forced"] is True
    assert detail["remediations"] == {"notify": True, "lock": True, "reset": False}


def test_deletion_is_ignored_with_a_reason(pipeline):
    dev = _base(pipeline)
    pipeline.push(dev, "main", "refs/heads/gone")
    event = pipeline.push(dev, "", "refs/heads/gone")
    assert event["detail"]["event"] == "referenceDeleted"
    result = pipeline.inspect(event)
    assert result["status"] == "ignored" and "deleted" in result["reason"]
    assert pipeline.security_events() == []


def test_repository_outside_the_watch_list_is_ignored(pipeline, rng):
    dev = _base(pipeline, "other")
    dev.commit("leak", {"k.py": f"k = '{fake_aws_key(rng)}'\n"})
    result = pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main", name="other"))
    assert result == {
        "status": "ignored",
        "reason": "repository not in WATCHED_REPOSITORIES",
        "repository": "other",
        "reference": "refs/heads/main",
        "commits": 0,
        "files": 0,
        "bytes": 0,
        "findings": 0,
        "duration_ms": 0,
    }


def test_merge_commits_scan_the_branch_once_and_catch_an_evil_merge(pipeline, rng):
    dev = _base(pipeline)
    dev.git("checkout", "-q", "-b", "feature")
    dev.commit("feature", {"f.py": "f = 1\n"})
    pipeline.inspect(pipeline.push(dev, "feature", "refs/heads/feature"))
    dev.git("checkout", "-q", "main")
    dev.commit("main moves", {"m.py": "m = 1\n"})
    dev.git("merge", "-q", "--no-ff", "--no-commit", "feature")
    dev.write("evil.py", f"k = '{fake_aws_key(rng)}'\n")
    dev.git("add", "evil.py")
    dev.git("commit", "-q", "-m", "merge feature")
    merge = dev.git("rev-parse", "HEAD")
    result = pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    assert result["commits"] == 2  # "main moves" and the merge; feature's commit was scanned already
    detail = _one_event(pipeline)
    assert detail["leakingCommits"] == [merge]
    assert detail["lastCleanCommitId"] == dev.git("rev-parse", "HEAD^1")


def test_secret_added_then_removed_in_one_push_is_still_found(pipeline, rng):
    dev = _base(pipeline)
    old = dev.git("rev-parse", "HEAD")
    leak = dev.commit("leak", {"app.py": f"x = 1\nkey = '{fake_aws_key(rng)}'\n"})
    dev.commit("oops, remove", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    detail = _one_event(pipeline)
    assert detail["leakingCommits"] == [leak]
    assert detail["lastCleanCommitId"] == old


def test_rename_of_an_already_leaked_file_is_not_a_new_leak(pipeline, rng):
    dev = pipeline.repository()
    dev.commit(
        "old leak", {"old.py": f"k = '{fake_aws_key(rng)}'\n" + "".join(f"l{i} = {i}\n" for i in range(20))}
    )
    assert pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))["status"] == "incident"
    pipeline.security_events()
    dev.git("mv", "old.py", "new.py")
    dev.git("commit", "-q", "-m", "rename")
    result = pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    assert result["status"] == "clean" and result["commits"] == 1
    assert pipeline.security_events() == []


def test_a_thousand_commit_push(pipeline, rng):
    dev = _base(pipeline)
    old = dev.git("rev-parse", "HEAD")
    key = fake_aws_key(rng)
    stream = []
    for i in range(1000):
        content = f"key = '{key}'\n" if i == 500 else f"n = {i}\n"
        stream.append(
            f"commit refs/heads/main\nmark :{i + 1}\n"
            f"committer Test Dev <dev@example.com> {1_700_000_000 + i} +0000\n"
            f"data {len(f'c{i}')}\nc{i}\n"
            + (f"from {old}\n" if i == 0 else "")
            + f"M 100644 inline f{i % 7}.py\ndata {len(content)}\n{content}\n"
        )
    subprocess.run(
        ["git", "-C", str(dev.path), "fast-import", "--quiet"], input="".join(stream).encode(), check=True
    )
    result = pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    assert result["commits"] == 1000 and result["findings"] == 1
    detail = _one_event(pipeline)
    assert detail["commitCount"] == 1000
    assert detail["lastCleanCommitId"] == dev.git("rev-parse", "main~500")
    assert detail["leakingCommits"] == [dev.git("rev-parse", "main~499")]


def test_duplicate_delivery_is_scanned_once(pipeline, rng):
    dev = _base(pipeline)
    dev.commit("leak", {"k.py": f"k = '{fake_aws_key(rng)}'\n"})
    event = pipeline.push(dev, "main", "refs/heads/main")
    first = pipeline.inspect(event)
    again = pipeline.inspect(dict(event))  # EventBridge's and Lambda's retries keep the event's id
    assert again == first
    assert len(pipeline.security_events()) == 1


def test_another_event_of_the_same_ref_change_is_scanned_and_raises_no_second_incident(pipeline, rng):
    dev = _base(pipeline)
    dev.commit("leak", {"k.py": f"k = '{fake_aws_key(rng)}'\n"})
    event = pipeline.push(dev, "main", "refs/heads/main")
    assert pipeline.inspect(event)["status"] == "incident"
    pipeline.security_events()
    again = pipeline.inspect({**event, "id": "another-event-id"})
    assert again["status"] == "clean" and again["commits"] == 0  # the record has it: nothing to scan
    assert pipeline.security_events() == []


def test_leakguards_own_reset_push_scans_nothing(pipeline, rng):
    dev = _base(pipeline)
    old = dev.git("rev-parse", "HEAD")
    leak = dev.commit("leak", {"k.py": f"k = '{fake_aws_key(rng)}'\n"})
    pipeline.push(dev, "main", "refs/heads/main")
    rewind = codecommit_event("app", "refs/heads/main", old=leak, new=old)
    result = pipeline.inspect(rewind)
    assert result["status"] == "clean" and result["commits"] == 0
    assert pipeline.security_events() == []


def test_monitor_only_findings_make_a_monitor_incident(pipeline, rng):
    dev = _base(pipeline)
    dev.commit("monitor", {"s.py": "api_token = 'k8Hq2Lm9Zx4Rt7Wp'\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    detail = _one_event(pipeline)
    assert detail["mode"] == "monitor"


def test_oversized_event_points_at_the_full_report_in_s3(pipeline, rng):
    dev = _base(pipeline)
    lines = "".join(f"key{i} = '{fake_aws_key(rng)}'\n" for i in range(1500))
    dev.commit("many", {"keys.py": lines})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    events = pipeline.security_events()
    assert len(events) == 1
    detail = events[0]["detail"]
    jsonschema.validate(detail, security_event_schema())
    assert len(json.dumps(detail)) < 256 * 1024
    assert detail["findingsTruncated"] is True and detail["findingCount"] == 1500
    assert len(detail["findings"]) < 1500
    full = json.loads(
        pipeline.s3.get_object(Bucket=detail["report"]["bucket"], Key=detail["report"]["key"])["Body"].read()
    )
    jsonschema.validate(full, security_event_schema())
    assert len(full["findings"]) == 1500 and full["incidentId"] == detail["incidentId"]
    pipeline.notify.handler(events[0], LambdaContext(function_name="notify"))
    ((subject, body),) = pipeline.mails()
    assert subject.startswith("[ACTION REQUIRED] 1500 credentials")
    assert f"... and 1450 more (full report: s3://reports/{detail['report']['key']})" in body


def test_a_broken_cached_clone_is_made_again(pipeline, rng):
    dev = _base(pipeline)
    dev.commit("one", {"a.py": "a = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    clone = next((pipeline.tmp / "lambda-tmp" / "inspector").glob("app.git"))
    for item in (clone / "refs").rglob("*"):
        if item.is_file():
            item.write_text("garbage\n")
    (clone / "packed-refs").unlink(missing_ok=True)
    dev.commit("leak", {"k.py": f"k = '{fake_aws_key(rng)}'\n"})
    result = pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    assert result["status"] == "incident" and result["commits"] == 1


def test_no_secret_in_any_log_line(pipeline, rng, capsys):
    logs = io.StringIO()  # what CloudWatch Logs would receive: every handler of leakguard's loggers
    for name in ["leakguard", *logging.Logger.manager.loggerDict]:
        if name.startswith("leakguard"):
            for handler in logging.getLogger(name).handlers:
                if isinstance(handler, logging.StreamHandler):
                    handler.stream = logs  # not setStream(): it flushes a stream another test may have closed
    dev = _base(pipeline)
    key, token = fake_aws_key(rng), fake_github_token(rng)
    dev.commit("leak", {"k.py": f"k = '{key}'\nt = '{token}'\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    for event in pipeline.security_events():
        pipeline.deliver(event)
    out = capsys.readouterr()
    assert logs.getvalue().count('"level"') >= 4  # structured logs were written...
    for secret in (key, token):
        assert secret not in logs.getvalue() + out.out + out.err  # ...and none carries the secret
    for subject, message in pipeline.mails():
        assert key not in subject + message and token not in subject + message


def test_a_tag_pushed_with_the_branch_does_not_hide_the_branchs_new_commits(pipeline, rng):
    # git push --follow-tags: both refs land before either event is inspected.
    dev = _base(pipeline)
    leak = dev.commit("leak", {"k.py": f"k = '{fake_aws_key(rng)}'\n"})
    dev.git("tag", "v1")
    tag_event = pipeline.push(dev, "v1", "refs/tags/v1")
    branch_event = pipeline.push(dev, "main", "refs/heads/main")
    result = pipeline.inspect(branch_event)
    assert result["status"] == "incident" and result["commits"] == 1
    assert _one_event(pipeline)["leakingCommits"] == [leak]
    tag_result = pipeline.inspect(tag_event)  # main now carries the tag's commits: nothing new
    assert tag_result["status"] == "clean" and tag_result["commits"] == 0

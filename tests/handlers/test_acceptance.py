"""Findings a developer accepted in the repository: honoured by the bot, audited, or refused by policy."""

from __future__ import annotations

import json
import os

from leakguard.cli import main
from leakguard.events.codecommit import parse_codecommit_event
from leakguard.runtime import build_inspector
from leakguard.settings import InspectorSettings
from tests.conftest import FIXTURES, fake_aws_key, fake_github_token
from tests.handlers.conftest import BUS, LambdaContext

RULES = str(FIXTURES / "rules.json")
NOTICE_PATTERN = {"source": ["leakguard.inspector"], "detail-type": ["CodeCommit Bypass Notice"]}


def _notice_queue(pipeline) -> str:
    """A queue on the bypass-notice rule, as the stack routes notices to notify."""
    url = pipeline._queue("bypass-notices")
    pipeline.events.put_rule(Name="bypass", EventBusName=BUS, EventPattern=json.dumps(NOTICE_PATTERN))
    pipeline.events.put_targets(
        Rule="bypass", EventBusName=BUS, Targets=[{"Id": "q", "Arn": pipeline._arn(url)}]
    )
    return url


def _scan(dev, *extra) -> int:
    return main(["scan", "--range", "origin/main..HEAD", "--repo", str(dev.path), "--rules", RULES, *extra])


def test_a_push_whose_only_finding_the_ignore_file_accepts_is_audited_not_locked_or_reset(
    pipeline, monkeypatch, rng, capsys
):
    notices = _notice_queue(pipeline)
    dev = pipeline.repository("app")
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    key = fake_aws_key(rng)
    dev.commit("add a test fixture", {"tests/fixture.py": f"KEY = '{key}'\n"})
    # The developer's workflow, with the deployment's key (leakguard key pull / a CI variable).
    monkeypatch.setenv("LEAKGUARD_FINGERPRINT_KEY", pipeline.fingerprint_key)
    assert _scan(dev) == 1
    assert _scan(dev, "--write-ignore") == 0
    accept = dev.commit("accept the fixture key", {})
    assert _scan(dev) == 0
    capsys.readouterr()

    head = dev.git("rev-parse", "HEAD")
    result = pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    assert (result["status"], result["accepted"], result["findings"]) == ("bypassed", 1, 0)
    assert pipeline.security_events() == []  # nothing reaches lock or reset
    [notice] = pipeline._drain(notices)
    detail = notice["detail"]
    assert detail["acceptedCount"] == 1 and detail["policy"] == "honour"
    [accepted] = detail["acceptedFindings"]
    assert accepted["via"] == "ignore-file" and accepted["acceptedIn"] == accept
    assert accepted["acceptedBy"] == "Test Dev <dev@example.com>"
    assert accepted["reason"] == "aws-access-key-id in tests/fixture.py"
    assert accepted["finding"]["path"] == "tests/fixture.py"

    context = LambdaContext(function_name="notify")
    assert pipeline.notify.handler(notice, context)["status"] == "notified"
    pipeline.notify.handler(notice, context)  # a duplicate delivery sends nothing more
    [(subject, body)] = pipeline.mails()
    assert subject.startswith("[leakguard audit] 1 accepted finding in app main")
    for expected in ("tests/fixture.py:1", accept[:12], "Test Dev", "aws-access-key-id in tests/fixture.py"):
        assert expected in body, expected
    assert key not in json.dumps(notice) + body
    assert pipeline.remote_ref("app", "refs/heads/main") == head  # not reset
    assert "RepoState" not in pipeline.codecommit.tags.get(notice["resources"][0], {})


def test_inline_allow_is_a_bypass_with_its_author_commit_and_reason(pipeline, rng):
    notices = _notice_queue(pipeline)
    dev = pipeline.repository("app")
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    allow = dev.commit(
        "doc", {"doc.py": f"T = '{fake_github_token(rng)}'  # leakguard:allow revoked demo token\n"}
    )
    assert pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))["status"] == "bypassed"
    [notice] = pipeline._drain(notices)
    [accepted] = notice["detail"]["acceptedFindings"]
    assert (accepted["via"], accepted["reason"], accepted["acceptedIn"]) == (
        "inline",
        "revoked demo token",
        allow,
    )


def _inspector_with(pipeline, policy: str):
    env = {**os.environ, "ACCEPTANCE_POLICY": json.dumps({"app": policy})}
    return build_inspector(InspectorSettings.from_env(env))


def test_a_repository_that_does_not_honour_bypasses_treats_them_as_findings(pipeline, rng):
    dev = pipeline.repository("app")
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    dev.commit("hide", {"k.py": f"K = '{fake_aws_key(rng)}'  # leakguard:allow\n"})
    inspector = _inspector_with(pipeline, "findings")
    result = inspector.inspect(parse_codecommit_event(pipeline.push(dev, "main", "refs/heads/main")))
    assert result.status == "incident" and result.findings == 1
    [event] = pipeline.security_events()
    detail = event["detail"]
    assert detail["mode"] == "enforce" and detail["acceptancePolicy"] == "findings"
    assert detail["acceptedFindings"][0]["via"] == "inline"
    pipeline.notify.handler(event, LambdaContext(function_name="notify"))
    [(subject, body)] = pipeline.mails()
    assert subject.startswith("[ACTION REQUIRED]") and "does not honour bypasses" in body


def test_an_incident_also_lists_what_the_same_push_accepted(pipeline, rng):
    dev = pipeline.repository("app")
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    dev.commit(
        "two", {"a.py": f"A = '{fake_aws_key(rng)}'\nB = '{fake_github_token(rng)}'  # leakguard:allow\n"}
    )
    assert pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))["status"] == "incident"
    [event] = pipeline.security_events()
    detail = event["detail"]
    assert [f["rule_id"] for f in detail["findings"]] == ["aws-access-key-id"]
    assert detail["acceptedCount"] == 1 and detail["acceptancePolicy"] == "honour"
    pipeline.notify.handler(event, LambdaContext(function_name="notify"))
    [(_subject, body)] = pipeline.mails()
    assert "accepted in the repository (honoured, not remediated; audit record)" in body and "a.py:2" in body

"""A rule change reaching the running functions without a deploy: published, refused, confirmed.

The rules are published to the rules bucket (moto S3, SSE-KMS) with ``leakguard rules publish``, or
put there directly to stand for a publisher that bypassed its validation. The handlers are the real
ones, cold-started as Lambda does, fetching their rules object through their own boto3 clients.
"""

from __future__ import annotations

import json
import time

from leakguard.cli import main
from tests.conftest import FIXTURES, fake_aws_key, fake_internal_token
from tests.handlers.conftest import LambdaContext

EXTENDS = FIXTURES / "rules-extends.json"
RULES_KEY = "rules/active.json"


def _publish(pipeline, capsys, path=EXTENDS):
    code = main(["rules", "publish", str(path), "--bucket", "rules", "--kms-key", pipeline.kms_key_id])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out.rsplit(" as version ", 1)[1].split(" ", 1)[0]


def _put_unvalidated(pipeline, body: bytes) -> str:
    """What a publisher that skipped ``rules publish`` would upload."""
    return pipeline.s3.put_object(Bucket="rules", Key=RULES_KEY, Body=body)["VersionId"]


def _metrics(stdout: str) -> list[str]:
    """Names of the CloudWatch metrics (embedded metric format lines) the handlers printed."""
    names = []
    for line in stdout.splitlines():
        if line.startswith('{"_aws"'):
            document = json.loads(line)
            for directive in document["_aws"]["CloudWatchMetrics"]:
                names += [m["Name"] for m in directive["Metrics"]]
    return names


def _leak(pipeline, dev, rng, name):
    token = fake_internal_token(rng)
    commit = dev.commit(name, {f"{name}.cfg": f"auth {token}\n"})
    result = pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    return token, commit, result


def test_a_refused_version_leaves_the_last_good_one_scanning_and_raises_the_alarm(
    pipeline, rng, capsys, monkeypatch
):
    v1 = _publish(pipeline, capsys)
    monkeypatch.setenv("RULES_REFRESH_SECONDS", "1")
    pipeline.cold_start("inspector")  # a new sandbox: it starts on v1
    dev = pipeline.repository()
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    token, leak, result = _leak(pipeline, dev, rng, "first")
    assert result["status"] == "incident"
    (event,) = pipeline.security_events()
    assert [(f["rule_id"], f["commit"]) for f in event["detail"]["findings"]] == [
        ("acme-internal-token", leak)
    ]

    broken = json.loads(EXTENDS.read_text())
    broken["rules"][0]["severity"] = "urgent"
    v2 = _put_unvalidated(pipeline, json.dumps(broken).encode())
    pipeline.mails()
    capsys.readouterr()
    time.sleep(1.1)  # past RULES_REFRESH_SECONDS: the next push checks the object again

    token2, leak2, result = _leak(pipeline, dev, rng, "second")
    assert result["status"] == "incident"  # v1 still scans: the new token is still found
    (event,) = pipeline.security_events()
    assert [(f["rule_id"], f["commit"]) for f in event["detail"]["findings"]] == [
        ("acme-internal-token", leak2)
    ]
    assert "RulesRefused" in _metrics(capsys.readouterr().out)
    ((subject, body),) = pipeline.mails()
    assert subject.startswith("[leakguard] RULES REFUSED: inspector keeps the last good rules")
    assert f"version {v2}" in body and f"version {v1}" in body  # refused, and still active
    assert "First error:   rule 'acme-internal-token': field 'severity': 'urgent' is not one of" in body
    assert token not in body and token2 not in body

    time.sleep(1.1)  # still the refused version: the metric again (the alarm stays), no second email
    _leak(pipeline, dev, rng, "third")
    assert "RulesRefused" in _metrics(capsys.readouterr().out)
    assert pipeline.mails() == []


def test_a_bad_version_at_cold_start_leaves_the_bundled_rules_scanning(pipeline, rng, capsys):
    _put_unvalidated(pipeline, b'{"version": 1, "extends": "builtin", "rules": [}')
    pipeline.cold_start("inspector")
    dev = pipeline.repository()
    dev.commit("base", {"app.py": "x = 1\n"})
    assert pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))["status"] == "clean"
    assert "RulesRefused" in _metrics(capsys.readouterr().out)  # flushed with the first invocation
    (subject,) = [s for s, _ in pipeline.mails()]
    assert "RULES REFUSED" in subject


def test_lock_and_reset_confirm_an_incident_found_by_a_published_rule(pipeline, rng, capsys):
    """Lock and reset were warm before the rule was published; they confirm under it all the same."""
    svc = pipeline.repository("svc")  # an earlier incident: lock's rules are loaded (the bundled ones)
    svc.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(svc, "main", "refs/heads/main", name="svc"))
    svc.commit("leak", {"conf.py": f"key = '{fake_aws_key(rng)}'\n"})
    pipeline.inspect(pipeline.push(svc, "main", "refs/heads/main", name="svc"))
    (earlier,) = pipeline.security_events()
    assert pipeline.lock.handler(earlier, LambdaContext(function_name="lock"))["status"] == "locked"

    _publish(pipeline, capsys)
    pipeline.cold_start("inspector")
    dev = pipeline.repository()
    base = dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    _, leak, result = _leak(pipeline, dev, rng, "leak")
    assert result["status"] == "incident"
    (event,) = pipeline.security_events()
    assert event["detail"]["mode"] == "enforce"

    results = pipeline.deliver(event)
    assert results["lock"]["status"] == "locked", results["lock"]
    assert results["reset"]["status"] == "reset", results["reset"]
    assert results["reset"]["removedCommits"] == [leak]
    assert pipeline.remote_ref("app", "refs/heads/main") == base
    assert not any("REFUSED" in subject for subject, _ in pipeline.mails())

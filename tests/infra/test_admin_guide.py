"""The admin guide's figures are the synthesized stack's: sizes, timeouts, counts, alarms, what is retained.

A change to the stack that the guide does not follow (a new queue, a bigger function, a resource no
longer retained) fails here until docs/admin.md says it.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from .conftest import Synthesized
from .helpers import function, resources

GUIDE = Path(__file__).parents[2] / "docs" / "admin.md"


def _guide() -> str:
    return " ".join(GUIDE.read_text(encoding="utf-8").split())


def _default(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.templates["AllRepos"]  # the default configuration


def test_function_sizes_and_timeouts(synthesized: Synthesized) -> None:
    template, text = _default(synthesized), _guide()
    for name in ("inspector", "reset"):
        properties = function(template, name)["Properties"]
        assert (properties["MemorySize"], properties["Timeout"]) == (2048, 900)
        assert properties["EphemeralStorage"] == {"Size": 4096}
    for name in ("notify", "lock"):
        properties = function(template, name)["Properties"]
        assert (properties["MemorySize"], properties["Timeout"]) == (256, 60)
        assert properties["EphemeralStorage"] == {"Size": 512}
    assert (
        "inspector<br/>2048 MB, 15 min, /tmp 4 GB" in text and "reset<br/>2048 MB, 15 min, /tmp 4 GB" in text
    )
    assert "| inspector and reset memory | 2048 MB |" in text and "| `/tmp` | 4096 MB per sandbox" in text
    assert "| notify and lock | 256 MB, 1 minute, 512 MB `/tmp` |" in text


def test_resource_counts(synthesized: Synthesized) -> None:
    counts, text = Counter(r["Type"] for r in _default(synthesized)["Resources"].values()), _guide()
    assert counts["AWS::CloudWatch::Alarm"] == 17 and "| 17 CloudWatch alarms |" in text
    assert "Seventeen CloudWatch alarms" in text and "the 17 alarms $1.70" in text
    assert "alarms[17 CloudWatch alarms" in text  # the architecture diagram
    assert counts["AWS::SQS::Queue"] == 9 and "| 9 SQS queues (SQS-encrypted, 14 days) |" in text
    assert counts["AWS::KMS::Key"] == 4 and "| 4 KMS keys" in text and "the four KMS keys $4.00" in text
    assert counts["AWS::SecretsManager::Secret"] == 1 and "the secret $0.40" in text
    assert counts["AWS::Lambda::Function"] == 4 and counts["AWS::Events::Rule"] == 3
    assert counts["AWS::IAM::ManagedPolicy"] == 3 and counts["AWS::Logs::LogGroup"] == 4
    assert "| 3 IAM managed policies |" in text


def test_every_alarm_is_in_the_monitoring_table(synthesized: Synthesized) -> None:
    text = _guide()
    names = [
        a["Properties"]["AlarmName"]
        for a in resources(_default(synthesized), "AWS::CloudWatch::Alarm").values()
    ]
    failed, dead = set(), set()
    for name in names:
        assert name.startswith("leakguard is failing: AllRepos ")
        what = name.removeprefix("leakguard is failing: AllRepos ")
        if what.startswith("the "):
            assert re.fullmatch(r"the (inspector|notify|lock|reset) function raised", what), what
            continue
        if what == "inspector clone over its /tmp budget":
            assert f"| `{what}` | `leakguard` `CloneOverBudget`" in text
            continue
        if what.startswith("rules version refused by "):
            assert what.removeprefix("rules version refused by ") in ("inspector", "lock", "reset"), what
            continue
        parent, queue = what.rsplit("/", 2)[-2:]
        (failed if queue == "FailedEvents" else dead).add(parent if queue == "FailedEvents" else queue)
    assert "`the inspector function raised` (and notify, lock, reset: 4 alarms)" in text
    assert failed == {"Inspector", "Notify", "Lock", "Reset"}
    assert "`events parked in .../Inspector/FailedEvents` (and Notify, Lock, Reset: 4 alarms)" in text
    assert len(dead) == 5 and all(f".../{queue}`" in text for queue in dead), dead
    assert "(5 alarms)" in text
    assert "`rules version refused by inspector` (and lock, reset: 3 alarms)" in text
    periods = {
        a["Properties"]["Period"] for a in resources(_default(synthesized), "AWS::CloudWatch::Alarm").values()
    }
    assert periods == {300} and "1 in a 5-minute period" in text


def test_what_the_guide_says_is_retained_is_retained(synthesized: Synthesized) -> None:
    template = _default(synthesized)
    retained = {r["Type"] for r in template["Resources"].values() if r.get("DeletionPolicy") == "Retain"}
    assert retained == {
        "AWS::S3::Bucket",
        "AWS::KMS::Key",
        "AWS::SecretsManager::Secret",
        "AWS::Logs::LogGroup",
        "AWS::DynamoDB::Table",
    }
    tables = resources(template, "AWS::DynamoDB::Table").values()
    kept = [t for t in tables if t.get("DeletionPolicy") == "Retain"]
    assert len(kept) == 1 and kept[0]["Properties"]["DeletionProtectionEnabled"] is True  # the scan record
    text = _guide()
    rows = (
        "DynamoDB scan record (point-in-time recovery, deletion protection)",
        "S3 quarantine, reports",
        "S3 rules bucket",
        "4 KMS keys",
        "Secrets Manager `leakguard/fingerprint-key`",
        "4 log groups",
    )
    for row in rows:
        assert re.search(re.escape(row) + r"[^|]*\|[^|]*\| \*\*retained\*\* \|", text), row
    assert "| DynamoDB idempotency table | a redelivered event acts once (records expire) | deleted |" in text

"""Every queue, topic, bucket and table is encrypted and refuses plain HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from .conftest import Synthesized
from .helpers import resources


def _denies_insecure_transport(policy: dict[str, Any]) -> bool:
    return any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["PolicyDocument"]["Statement"]
    )


@pytest.mark.parametrize("stack", ["AllRepos", "Listed"])
def test_queues_are_encrypted_and_tls_only(synthesized: Synthesized, stack: str) -> None:
    template = synthesized.templates[stack]
    queues = resources(template, "AWS::SQS::Queue")
    dead_letters = [
        t for r in resources(template, "AWS::Events::Rule").values() for t in r["Properties"]["Targets"]
        if "DeadLetterConfig" in t
    ]  # fmt: skip
    on_failure = resources(template, "AWS::Lambda::EventInvokeConfig")
    # One dead-letter queue per EventBridge target, one on-failure queue per function.
    assert len(queues) == len(dead_letters) + len(on_failure) and on_failure
    for queue in queues.values():
        props = queue["Properties"]
        assert props.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in props
    policies = resources(template, "AWS::SQS::QueuePolicy").values()
    assert all(_denies_insecure_transport(p["Properties"]) for p in policies)
    assert sorted(q["Ref"] for p in policies for q in p["Properties"]["Queues"]) == sorted(queues)


def test_topic_uses_its_own_rotating_kms_key_and_tls(all_repos: Template) -> None:
    all_repos.has_resource_properties(
        "AWS::SNS::Topic",
        {"KmsMasterKeyId": {"Fn::GetAtt": [Match.string_like_regexp("NotificationsKey"), "Arn"]}},
    )
    all_repos.has_resource_properties(
        "AWS::KMS::Key", {"EnableKeyRotation": True, "Description": Match.string_like_regexp("notification")}
    )
    all_repos.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                        )
                    ]
                )
            }
        },
    )


def test_one_email_subscription_per_configured_address(listed: Template, all_repos: Template) -> None:
    listed.resource_count_is("AWS::SNS::Subscription", 2)
    listed.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "security@example.com"}
    )
    all_repos.resource_count_is("AWS::SNS::Subscription", 0)


@pytest.mark.parametrize("stack", ["AllRepos", "Listed"])
def test_data_buckets_are_kms_encrypted_versioned_private_logged_and_expiring(
    synthesized: Synthesized, stack: str
) -> None:
    template = synthesized.templates[stack]
    buckets = resources(template, "AWS::S3::Bucket")
    data = {k: v["Properties"] for k, v in buckets.items() if k.startswith(("Quarantine", "Reports"))}
    assert len(data) == 2
    retention = 30 if stack == "Listed" else 90
    for name, props in data.items():
        (sse,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        assert sse["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"][0].startswith("DataKey")
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["LoggingConfiguration"]["DestinationBucketName"]["Ref"].startswith("AccessLogs")
        (rule,) = props["LifecycleConfiguration"]["Rules"]
        if name.startswith("Quarantine"):
            assert rule["ExpirationInDays"] == retention
            assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": retention}
        assert rule["Status"] == "Enabled"
    for policy in resources(template, "AWS::S3::BucketPolicy").values():
        assert _denies_insecure_transport(policy["Properties"])
    assert len(resources(template, "AWS::S3::BucketPolicy")) == len(buckets) == 4  # and the rules


def test_access_log_bucket_is_encrypted_private_and_expiring(synthesized: Synthesized) -> None:
    buckets = resources(synthesized.templates["AllRepos"], "AWS::S3::Bucket")
    (logs,) = [v["Properties"] for k, v in buckets.items() if k.startswith("AccessLogs")]
    (sse,) = logs["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    # Server access logging can deliver only to SSE-S3 buckets.
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert logs["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True
    assert logs["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 90


def test_idempotency_table(all_repos: Template) -> None:
    all_repos.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "TimeToLiveSpecification": {"AttributeName": "expiration", "Enabled": True},
            "SSESpecification": {"SSEEnabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        },
    )


def test_every_kms_key_rotates(all_repos: Template) -> None:
    keys = all_repos.find_resources("AWS::KMS::Key")
    assert len(keys) == 4  # data, notifications, fingerprint key secret, published rules
    assert all(k["Properties"]["EnableKeyRotation"] is True for k in keys.values())

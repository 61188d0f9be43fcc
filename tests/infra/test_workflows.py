"""Issue 10's infrastructure: the fingerprint key, the acceptance policy, the bypass-notice route."""

from __future__ import annotations

import pytest
from stacks.config import ConfigError, LeakguardConfig

from .conftest import Synthesized
from .helpers import function, function_logical_id, joined, resources, role_statements, statement_with


def test_fingerprint_key_is_a_generated_retained_secret_under_its_own_key(synthesized: Synthesized) -> None:
    template = synthesized.templates["AllRepos"]
    (secret,) = resources(template, "AWS::SecretsManager::Secret").values()
    props = secret["Properties"]
    assert props["Name"] == "leakguard/fingerprint-key"
    assert props["GenerateSecretString"]["PasswordLength"] == 64
    assert secret["DeletionPolicy"] == "Retain"
    key_id = props["KmsKeyId"]["Fn::GetAtt"][0]
    assert (
        key_id.startswith("FingerprintKey")
        and template["Resources"][key_id]["Properties"]["EnableKeyRotation"]
    )


def test_only_the_inspector_reads_the_key_and_only_through_secrets_manager(synthesized: Synthesized) -> None:
    template = synthesized.templates["Listed"]
    (secret_id,) = resources(template, "AWS::SecretsManager::Secret")
    for name in ("notify", "lock", "reset"):
        assert "secretsmanager:GetSecretValue" not in str(role_statements(template, name))
    inspector = role_statements(template, "inspector")
    read = statement_with(inspector, "secretsmanager:GetSecretValue")
    assert read["Resource"] == {"Ref": secret_id}
    decrypts = [s for s in inspector if s.get("Sid") == "DecryptFingerprintKey"]
    assert decrypts[0]["Condition"]["StringEquals"]["kms:ViaService"] == {
        "Fn::Join": ["", ["secretsmanager.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]
    }
    env = function(template, "inspector")["Properties"]["Environment"]["Variables"]
    assert env["FINGERPRINT_KEY_SECRET"] == {"Ref": secret_id}
    assert env["ACCEPTANCE_POLICY"] == '{"*": "honour", "payments": "findings"}'


def test_developers_get_a_reader_policy_for_the_key(synthesized: Synthesized) -> None:
    template = synthesized.templates["AllRepos"]
    (reader,) = [
        p["Properties"]
        for p in resources(template, "AWS::IAM::ManagedPolicy").values()
        if "fingerprint key" in p["Properties"]["Description"]
    ]
    statements = {s["Sid"]: s for s in reader["PolicyDocument"]["Statement"]}
    assert sorted(statements["ReadFingerprintKey"]["Action"]) == [
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
    ]
    assert statements["DecryptFingerprintKey"]["Action"] == "kms:Decrypt"
    assert not {"Roles", "Users", "Groups"} & set(reader)
    assert "FingerprintKeyReaderPolicyArn" in template["Outputs"]


def test_bypass_notices_reach_notify_only_with_retries_and_a_dead_letter_queue(
    synthesized: Synthesized,
) -> None:
    template = synthesized.templates["AllRepos"]
    (rule,) = [
        r["Properties"]
        for r in resources(template, "AWS::Events::Rule").values()
        if r["Properties"]["EventPattern"].get("detail-type") == ["CodeCommit Bypass Notice"]
    ]
    assert rule["EventPattern"]["source"] == ["leakguard.inspector"]
    assert joined(rule["EventBusName"]).startswith("${FanOutBus")
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [function_logical_id(template, "notify"), "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    dlq = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    assert dlq.startswith("BypassNotices")


def test_acceptance_policy_configuration() -> None:
    assert LeakguardConfig.from_mapping({}).acceptance_policy_json() == '{"*": "honour"}'
    assert LeakguardConfig.from_mapping({"acceptancePolicy": "findings"}).acceptance_policy == {
        "*": "findings"
    }
    with pytest.raises(ConfigError, match=r"acceptancePolicy\.x: must be one of"):
        LeakguardConfig.from_mapping({"acceptancePolicy": {"x": "ignore"}})
    with pytest.raises(ConfigError, match="acceptancePolicy: other not in repositories"):
        LeakguardConfig.from_mapping({"repositories": ["app"], "acceptancePolicy": {"other": "findings"}})

"""The published rules in the template: the bucket, who reads exactly what, the alarms, the synth check."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from stacks import LeakguardConfig, LeakguardStack
from stacks.names import RULES_OBJECT_KEY, RULES_REFUSED_METRIC
from stacks.rules_store import RulesFileError

from leakguard.commands.rules import DEFAULT_KEY, OUTPUTS
from leakguard.rules.alerts import METRIC

from .conftest import Synthesized
from .helpers import as_list, function, joined, resources, role_statements

ROOT = Path(__file__).parents[2]
READERS = ("inspector", "lock", "reset")
STACKS = ["AllRepos", "Listed"]


def _logical_id(template, type_, prefix):
    (found,) = [k for k in resources(template, type_) if k.startswith(prefix)]
    return found


def test_names_agree_with_the_cli_and_the_functions():
    assert RULES_OBJECT_KEY == DEFAULT_KEY
    assert RULES_REFUSED_METRIC == METRIC


@pytest.mark.parametrize("stack", STACKS)
def test_the_rules_bucket_is_versioned_kms_encrypted_private_tls_only_logged_and_retained(
    synthesized: Synthesized, stack: str
) -> None:
    template = synthesized.templates[stack]
    bucket_id = _logical_id(template, "AWS::S3::Bucket", "RulesBucket")
    bucket = template["Resources"][bucket_id]
    props = bucket["Properties"]
    (sse,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    key_id = sse["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"][0]
    assert key_id.startswith("RulesKey")
    assert template["Resources"][key_id]["Properties"]["EnableKeyRotation"] is True
    assert template["Resources"][key_id]["DeletionPolicy"] == "Retain"
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert props["LoggingConfiguration"]["DestinationBucketName"]["Ref"].startswith("AccessLogs")
    assert bucket["DeletionPolicy"] == "Retain" and bucket["UpdateReplacePolicy"] == "Retain"
    (policy,) = [
        p["Properties"]
        for p in resources(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    (deny,) = policy["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("name", READERS)
def test_readers_get_exactly_the_rules_object_and_a_decrypt_through_s3(
    synthesized: Synthesized, stack: str, name: str
) -> None:
    template = synthesized.templates[stack]
    bucket = _logical_id(template, "AWS::S3::Bucket", "RulesBucket")
    key = _logical_id(template, "AWS::KMS::Key", "RulesKey")
    statements = {s.get("Sid"): s for s in role_statements(template, name)}
    read, find, decrypt = statements["ReadRules"], statements["FindRules"], statements["DecryptRules"]
    assert as_list(read["Action"]) == ["s3:GetObject"]  # the current version only
    assert [joined(r) for r in as_list(read["Resource"])] == [f"${{{bucket}.Arn}}/{RULES_OBJECT_KEY}"]
    assert as_list(find["Action"]) == ["s3:ListBucket"]  # a 404, not a 403, while nothing is published
    assert [joined(r) for r in as_list(find["Resource"])] == [f"${{{bucket}.Arn}}"]
    assert as_list(decrypt["Action"]) == ["kms:Decrypt"]
    assert decrypt["Resource"] == {"Fn::GetAtt": [key, "Arn"]}
    assert "kms:ViaService" in decrypt["Condition"]["StringEquals"]
    env = function(template, name)["Properties"]["Environment"]["Variables"]
    assert env["RULES_BUCKET"] == {"Ref": bucket}
    assert env["RULES_KEY"] == RULES_OBJECT_KEY
    assert env["RULES_REFRESH_SECONDS"] == ("60" if stack == "Listed" else "300")


@pytest.mark.parametrize("stack", STACKS)
def test_no_other_function_may_touch_the_rules(synthesized: Synthesized, stack: str) -> None:
    template = synthesized.templates[stack]
    bucket = _logical_id(template, "AWS::S3::Bucket", "RulesBucket")
    key = _logical_id(template, "AWS::KMS::Key", "RulesKey")
    statements = role_statements(template, "notify")
    touched = json.dumps([s["Resource"] for s in statements])
    assert bucket not in touched and key not in touched
    env = function(template, "notify")["Properties"]["Environment"]["Variables"]
    assert not {"RULES_BUCKET", "RULES_KEY"} & set(env)
    for name in READERS:  # and the readers may not write them
        for statement in role_statements(template, name):
            if bucket in json.dumps(statement["Resource"]):
                assert set(as_list(statement["Action"])) <= {"s3:GetObject", "s3:ListBucket"}


@pytest.mark.parametrize("stack", STACKS)
def test_a_refused_version_alarms_to_the_admins_for_each_reader(synthesized: Synthesized, stack: str) -> None:
    template = synthesized.templates[stack]
    topic = {"Ref": _logical_id(template, "AWS::SNS::Topic", "NotificationsTopic")}
    alarms = {
        a["Properties"]["Dimensions"][0]["Value"]: a["Properties"]
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == RULES_REFUSED_METRIC
    }
    assert set(alarms) == {f"leakguard-{name}" for name in READERS}  # Powertools' service dimension
    for service, alarm in alarms.items():
        assert alarm["Namespace"] == "leakguard" and alarm["Dimensions"][0]["Name"] == "service"
        assert alarm["Statistic"] == "Sum" and alarm["Threshold"] == 1
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["AlarmActions"] == [topic]
        assert alarm["TreatMissingData"] == "notBreaching"
        assert "leakguard is failing" in json.dumps(alarm["AlarmName"])
        assert f"rules version refused by {service.removeprefix('leakguard-')}" in json.dumps(
            alarm["AlarmName"]
        )
        assert "leakguard rules publish" in alarm["AlarmDescription"]
        env = function(template, service.removeprefix("leakguard-"))["Properties"]["Environment"]
        assert env["Variables"]["POWERTOOLS_SERVICE_NAME"] == service


@pytest.mark.parametrize("stack", STACKS)
def test_the_outputs_publish_needs_and_a_publisher_policy(synthesized: Synthesized, stack: str) -> None:
    template = synthesized.templates[stack]
    outputs = template["Outputs"]
    assert set(OUTPUTS.values()) | {"RulesPublisherPolicyArn"} <= set(outputs)
    assert outputs["RulesObjectKey"]["Value"] == RULES_OBJECT_KEY
    (policy,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for k, p in resources(template, "AWS::IAM::ManagedPolicy").items()
        if k.startswith("RulesPublisherPolicy")
    ]
    by_sid = {s["Sid"]: s for s in policy}
    assert set(as_list(by_sid["PublishRules"]["Action"])) == {
        "s3:PutObject",
        "s3:GetObject",
        "s3:GetObjectVersion",
    }
    assert joined(by_sid["PublishRules"]["Resource"]).endswith(f"/{RULES_OBJECT_KEY}")
    assert set(as_list(by_sid["EncryptRules"]["Action"])) == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert as_list(by_sid["ReadStackOutputs"]["Action"]) == ["cloudformation:DescribeStacks"]


def _bad_rules(tmp_path: Path, mutate) -> Path:
    raw = json.loads((ROOT / "rules" / "regex.json").read_text())
    mutate(raw)
    path = tmp_path / "regex.json"
    path.write_text(json.dumps(raw))
    return path


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda r: r["rules"][0].update(regex="(?<=x)(?P<secret>y+)"),
            "field 'regex': does not compile on RE2",
        ),
        (
            lambda r: r["rules"][0]["examples"]["nomatch"].append(r["rules"][0]["examples"]["match"][0]),
            "should not match but does",
        ),
        (lambda r: r["rules"][0].update(severity="urgent"), "field 'severity'"),
        (lambda r: r.update(extends="builtin"), "is the built-in set: it cannot extend"),
    ],
)
def test_synth_fails_on_bundled_rules_that_fail_lint_or_test(tmp_path: Path, mutate, message) -> None:
    bad = _bad_rules(tmp_path, mutate)
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    with pytest.raises(RulesFileError, match=r"does not pass|cannot extend") as error:
        LeakguardStack(app, "Broken", config=LeakguardConfig.from_mapping({}), rules_file=bad)
    assert message in str(error.value) and str(bad) in str(error.value)
    assert app.node.try_find_child("Broken") is None  # stopped before anything was built

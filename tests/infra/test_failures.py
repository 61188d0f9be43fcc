"""No failure is silent: on-failure destinations, bounded async retries, alarms that email the admins."""

from __future__ import annotations

import json
from typing import Any

import pytest
from stacks.function import POWERTOOLS_NAMESPACE
from stacks.names import CLONE_OVER_BUDGET_METRIC

from leakguard.inspection.clone import CLONE_OVER_BUDGET_METRIC as INSPECTOR_CLONE_METRIC

from .conftest import Synthesized
from .helpers import as_list, function_logical_id, resources, role_statements

STACKS = ["AllRepos", "Listed"]
FUNCTIONS = ["inspector", "notify", "lock", "reset"]


def _topic(template: dict[str, Any]) -> str:
    (topic,) = resources(template, "AWS::SNS::Topic")
    return topic


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_function_parks_failed_invocations_in_its_own_encrypted_queue(
    synthesized: Synthesized, stack: str, name: str
) -> None:
    template = synthesized.templates[stack]
    function = function_logical_id(template, name)
    (config,) = [
        c["Properties"]
        for c in resources(template, "AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": function}
    ]
    assert config["MaximumRetryAttempts"] <= 2
    assert 60 <= config["MaximumEventAgeInSeconds"] <= 6 * 3600
    queue_id = config["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    queue = template["Resources"][queue_id]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"].get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in queue["Properties"]
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    # The function may send to its own queue, and nothing else of SQS.
    sends = [s for s in role_statements(template, name) if "sqs:SendMessage" in as_list(s["Action"])]
    assert [s["Resource"] for s in sends] == [{"Fn::GetAtt": [queue_id, "Arn"]}]
    assert as_list(sends[0]["Action"]) == ["sqs:SendMessage"]


def _alarms(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]


@pytest.mark.parametrize("stack", STACKS)
def test_every_queue_that_can_park_an_event_alarms_to_the_admins(
    synthesized: Synthesized, stack: str
) -> None:
    template = synthesized.templates[stack]
    topic = {"Ref": _topic(template)}
    watched = {
        a["Dimensions"][0]["Value"]["Fn::GetAtt"][0]: a
        for a in _alarms(template)
        if a.get("MetricName") == "ApproximateNumberOfMessagesVisible"
    }
    queues = resources(template, "AWS::SQS::Queue")
    assert set(watched) == set(queues)  # dead-letter queues of every target and every on-failure queue
    for alarm in watched.values():
        assert alarm["Namespace"] == "AWS/SQS" and alarm["Threshold"] == 1
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["AlarmActions"] == [topic]
        assert "leakguard is failing" in json.dumps(alarm["AlarmName"])
        assert "leakguard redrive" in alarm["AlarmDescription"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_functions_errors_alarm_to_the_admins(synthesized: Synthesized, stack: str) -> None:
    template = synthesized.templates[stack]
    topic = {"Ref": _topic(template)}
    errors = {
        a["Dimensions"][0]["Value"]["Ref"]: a
        for a in _alarms(template)
        if a.get("MetricName") == "Errors" and a.get("Namespace") == "AWS/Lambda"
    }
    assert set(errors) == {function_logical_id(template, name) for name in FUNCTIONS}
    for alarm in errors.values():
        assert alarm["Threshold"] == 1 and alarm["Statistic"] == "Sum"
        assert alarm["AlarmActions"] == [topic]
        assert alarm["TreatMissingData"] == "notBreaching"


@pytest.mark.parametrize("stack", STACKS)
def test_cloudwatch_may_publish_to_the_encrypted_topic(synthesized: Synthesized, stack: str) -> None:
    template = synthesized.templates[stack]
    (key,) = [
        k["Properties"]
        for k in resources(template, "AWS::KMS::Key").values()
        if "notification" in k["Properties"].get("Description", "")
    ]
    statements = key["KeyPolicy"]["Statement"]
    (cloudwatch,) = [s for s in statements if s.get("Sid") == "CloudWatchAlarmsPublish"]
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert set(as_list(cloudwatch["Action"])) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert "aws:SourceAccount" in cloudwatch["Condition"]["StringEquals"]
    (policy,) = resources(template, "AWS::SNS::TopicPolicy").values()
    publish = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "CloudWatchAlarmsPublish"
    ]
    assert publish and publish[0]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}


# -- repositories under a customer-managed KMS key (stacks/repository_keys.py) ----------------------


KEY_USE = [
    ("inspector", ["kms:Decrypt"]),
    ("lock", ["kms:Decrypt"]),  # reads the named commits' blobs to confirm the incident
    ("reset", ["kms:Decrypt", "kms:GenerateDataKey"]),
]


@pytest.mark.parametrize(("name", "actions"), KEY_USE)
def test_only_the_functions_reading_content_may_use_the_repositories_key_through_codecommit(
    synthesized: Synthesized, name: str, actions: list[str]
) -> None:
    from .conftest import REPOSITORY_KEY

    listed = synthesized.templates["Listed"]
    (statement,) = [s for s in role_statements(listed, name) if s.get("Sid") == "RepositoryKeys"]
    assert as_list(statement["Action"]) == actions
    assert as_list(statement["Resource"]) == [REPOSITORY_KEY]
    via = statement["Condition"]["StringEquals"]["kms:ViaService"]
    assert json.dumps(via).count("codecommit.") == 1
    assert not any(s.get("Sid") == "RepositoryKeys" for s in role_statements(listed, "notify"))
    # Without the context key, no function holds any repository key.
    all_repos = synthesized.templates["AllRepos"]
    assert not any(s.get("Sid") == "RepositoryKeys" for s in role_statements(all_repos, name))


def test_repository_key_arns_are_validated() -> None:
    from stacks import ConfigError, LeakguardConfig

    with pytest.raises(ConfigError, match="repositoryKmsKeyArns"):
        LeakguardConfig.from_mapping({"repositoryKmsKeyArns": ["alias/my-key"]})
    ok = LeakguardConfig.from_mapping(
        {"repositoryKmsKeyArns": json.dumps(["arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab"])}
    )
    assert len(ok.repository_kms_key_arns) == 1


def _warnings(synthesized: Synthesized, stack: str) -> list[str]:
    """The warnings the cloud assembly carries for ``stack`` (what cdk synth and cdk deploy print)."""
    artifact = json.loads((synthesized.outdir / "manifest.json").read_text())["artifacts"][stack]
    metadata = dict(artifact.get("metadata", {}))
    if "additionalMetadataFile" in artifact:  # newer CDK versions move the metadata to a file
        metadata.update(json.loads((synthesized.outdir / artifact["additionalMetadataFile"]).read_text()))
    entries = [entry for per_path in metadata.values() for entry in per_path]
    return [str(e["data"]) for e in entries if e["type"] == "aws:cdk:warning"]


def test_synth_warns_when_no_one_would_receive_the_emails_and_alarms(synthesized: Synthesized) -> None:
    (warning,) = [w for w in _warnings(synthesized, "AllRepos") if "notificationEmails" in w]
    assert "no one receives the incident emails" in warning and "'leakguard is failing' alarms" in warning
    assert not [w for w in _warnings(synthesized, "Listed") if "notificationEmails" in w]


@pytest.mark.parametrize("stack", STACKS)
def test_a_clone_over_the_inspectors_budget_alarms_to_the_admins(
    synthesized: Synthesized, stack: str
) -> None:
    template = synthesized.templates[stack]
    (alarm,) = [
        a["Properties"]
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == CLONE_OVER_BUDGET_METRIC
    ]
    inspector = resources(template, "AWS::Lambda::Function")[function_logical_id(template, "inspector")]
    service = inspector["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
    assert alarm["Namespace"] == POWERTOOLS_NAMESPACE and alarm["Dimensions"] == [
        {"Name": "service", "Value": service}
    ]
    assert alarm["Statistic"] == "Sum" and alarm["Threshold"] == 1 and alarm["Period"] == 300
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == [{"Ref": _topic(template)}]
    assert "leakguard is failing" in json.dumps(alarm["AlarmName"])
    assert "4096 MB /tmp" in alarm["AlarmDescription"] and "ephemeral_mb" in alarm["AlarmDescription"]


def test_the_alarmed_metric_is_the_one_the_inspector_adds():
    assert CLONE_OVER_BUDGET_METRIC == INSPECTOR_CLONE_METRIC

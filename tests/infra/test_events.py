"""The two rules: what the OnPush rule matches, and the fan-out's three targets with retries and DLQs."""

from __future__ import annotations

from aws_cdk.assertions import Match, Template
from stacks.names import SECURITY_BUS_NAME

from .conftest import Synthesized
from .helpers import function, function_logical_id, joined, resources

PUSH_PATTERN = {
    "source": ["aws.codecommit"],
    "detail-type": ["CodeCommit Repository State Change"],
    "detail": {"event": ["referenceCreated", "referenceUpdated", "referenceDeleted"]},
}


def _rule(template: dict, source: str, detail_type: str | None = None) -> dict:
    (rule,) = [
        r["Properties"]
        for r in resources(template, "AWS::Events::Rule").values()
        if r["Properties"]["EventPattern"]["source"] == [source]
        and detail_type in (None, *r["Properties"]["EventPattern"]["detail-type"])
    ]
    return rule


def test_on_push_rule_watches_every_repository_on_the_default_bus(synthesized: Synthesized) -> None:
    rule = _rule(synthesized.templates["AllRepos"], "aws.codecommit")
    assert rule["EventPattern"] == PUSH_PATTERN  # no "resources": "*" watches the whole account
    assert "EventBusName" not in rule  # the default bus, where CodeCommit publishes
    assert rule["State"] == "ENABLED"


def test_on_push_rule_lists_the_configured_repository_arns(synthesized: Synthesized) -> None:
    rule = _rule(synthesized.templates["Listed"], "aws.codecommit")
    pattern = dict(rule["EventPattern"])
    assert [joined(r) for r in pattern.pop("resources")] == [
        "arn:${AWS::Partition}:codecommit:${AWS::Region}:${AWS::AccountId}:payments",
        "arn:${AWS::Partition}:codecommit:${AWS::Region}:${AWS::AccountId}:web-frontend",
    ]
    assert pattern == PUSH_PATTERN


def test_on_push_rule_invokes_the_inspector_with_retries_and_a_dead_letter_queue(
    synthesized: Synthesized,
) -> None:
    template = synthesized.templates["AllRepos"]
    (target,) = _rule(template, "aws.codecommit")["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [function_logical_id(template, "inspector"), "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    assert "DeadLetterConfig" in target


def test_custom_bus_and_security_event_rule(all_repos: Template) -> None:
    all_repos.has_resource_properties("AWS::Events::EventBus", {"Name": SECURITY_BUS_NAME})
    all_repos.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventBusName": {"Ref": Match.string_like_regexp("FanOutBus")},
            "EventPattern": {"source": ["leakguard.inspector"], "detail-type": ["CodeCommit Security Event"]},
        },
    )


def test_security_event_fans_out_to_three_functions_each_with_its_own_dlq(synthesized: Synthesized) -> None:
    template = synthesized.templates["AllRepos"]
    rule = _rule(template, "leakguard.inspector", "CodeCommit Security Event")
    targets = rule["Targets"]
    assert sorted(t["Arn"]["Fn::GetAtt"][0] for t in targets) == sorted(
        function_logical_id(template, name) for name in ("notify", "lock", "reset")
    )
    dlqs = [t["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0] for t in targets]
    assert len(set(dlqs)) == 3, "each target has its own dead-letter queue"
    for target, dlq in zip(targets, dlqs, strict=True):
        assert template["Resources"][dlq]["Type"] == "AWS::SQS::Queue"
        assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 7200, "MaximumRetryAttempts": 8}


def test_only_the_rules_may_send_to_the_dead_letter_queues(synthesized: Synthesized) -> None:
    template = synthesized.templates["AllRepos"]
    policies = resources(template, "AWS::SQS::QueuePolicy").values()
    allows = [
        s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"
    ]
    assert len(allows) == 5  # one per EventBridge target (the bypass-notice rule's included)
    for statement in allows:
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        assert statement["Action"] == "sqs:SendMessage"
        assert "aws:SourceArn" in statement["Condition"]["ArnEquals"]


def test_only_the_inspector_role_may_put_events_on_the_security_bus(synthesized: Synthesized) -> None:
    template = synthesized.templates["Listed"]
    policies = list(resources(template, "AWS::Events::EventBusPolicy").values())
    statements = {p["Properties"]["Statement"]["Sid"]: p["Properties"] for p in policies}
    assert set(statements) == {"cdk-OnlyTheInspectorPublishes", "cdk-OnlyLeakguardEvents"}
    inspector_role = function(template, "inspector")["Properties"]["Role"]["Fn::GetAtt"][0]
    for props in statements.values():
        assert props["EventBusName"] == {"Ref": next(k for k in resources(template, "AWS::Events::EventBus"))}
        statement = props["Statement"]
        assert statement["Effect"] == "Deny" and statement["Principal"] == {"AWS": "*"}
        assert statement["Action"] == "events:PutEvents"
    others = statements["cdk-OnlyTheInspectorPublishes"]["Statement"]["Condition"]
    assert others == {"ArnNotEquals": {"aws:PrincipalArn": {"Fn::GetAtt": [inspector_role, "Arn"]}}}
    sources = statements["cdk-OnlyLeakguardEvents"]["Statement"]["Condition"]
    assert sources == {"StringNotEquals": {"events:source": "leakguard.inspector"}}

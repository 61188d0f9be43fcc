"""Least privilege: the exact actions of each function's role, and what no role may ever hold."""

from __future__ import annotations

from typing import Any

import pytest
from stacks.inspection import OBJECT_READ_ACTIONS
from stacks.lock_policy import LOCKED_ACTIONS
from stacks.scan_record import RECORD_ACTIONS

from .conftest import Synthesized
from .helpers import actions, all_statements, as_list, joined, resources, role_statements, statement_with

TRACING = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
LOGS = {"logs:CreateLogStream", "logs:PutLogEvents"}
IDEMPOTENCY = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
NOTIFY = {"sns:Publish", "kms:GenerateDataKey", "kms:Decrypt"}
PARK = {"sqs:SendMessage"}  # its own on-failure queue (see test_failures.py)
LOCK_TAGS = {"codecommit:TagResource", "codecommit:ListTagsForResource", "codecommit:GetRepository"}
LOCK_CONFIRMS = {"codecommit:GetCommit", "codecommit:GetDifferences", "codecommit:GetBlob"}
RESET_GIT = {"codecommit:GitPull", "codecommit:GitPush"}
RULES = {"s3:GetObject", "s3:ListBucket", "kms:Decrypt"}  # the published rules object and its key
EXPECTED_ACTIONS = {
    "inspector": TRACING | LOGS | IDEMPOTENCY | PARK | set(RECORD_ACTIONS) | set(OBJECT_READ_ACTIONS)
    | {"codecommit:GitPull", "events:PutEvents", "s3:PutObject", "kms:GenerateDataKey", "kms:Decrypt",
       "sns:Publish", "secretsmanager:GetSecretValue"} | RULES,
    "notify": TRACING | LOGS | IDEMPOTENCY | NOTIFY | PARK | {"s3:GetObject"},
    "lock": TRACING | LOGS | IDEMPOTENCY | NOTIFY | PARK | RULES,
    "reset": TRACING | LOGS | IDEMPOTENCY | NOTIFY | PARK | {"s3:PutObject", "s3:GetObject"} | RULES,
}  # fmt: skip
# AllRepos enables no remediation, so lock and reset hold no CodeCommit permission at all there;
# Listed enables lock everywhere and reset for payments only (see tests/infra/test_scoping.py).
REMEDIATION_ACTIONS = {("Listed", "lock"): LOCK_TAGS | LOCK_CONFIRMS, ("Listed", "reset"): RESET_GIT}
ALL_REPOS_ARN = "arn:${AWS::Partition}:codecommit:${AWS::Region}:${AWS::AccountId}:*"
LISTED_ARNS = [
    "arn:${AWS::Partition}:codecommit:${AWS::Region}:${AWS::AccountId}:payments",
    "arn:${AWS::Partition}:codecommit:${AWS::Region}:${AWS::AccountId}:web-frontend",
]
STACKS = ["AllRepos", "Listed"]


def _resources(statement: dict[str, Any]) -> list[str]:
    return [joined(r) for r in as_list(statement["Resource"])]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("name", sorted(EXPECTED_ACTIONS))
def test_each_role_holds_exactly_the_actions_of_its_job(
    synthesized: Synthesized, stack: str, name: str
) -> None:
    statements = role_statements(synthesized.templates[stack], name)
    assert actions(statements) == EXPECTED_ACTIONS[name] | REMEDIATION_ACTIONS.get((stack, name), set())
    assert all(s["Effect"] == "Allow" for s in statements)


@pytest.mark.parametrize("stack", STACKS)
def test_no_wildcard_actions_and_star_resources_only_for_xray(synthesized: Synthesized, stack: str) -> None:
    for statement in all_statements(synthesized.templates[stack]):
        assert not any("*" in a for a in as_list(statement["Action"])), statement
        if statement["Effect"] == "Allow" and "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) == TRACING, statement


@pytest.mark.parametrize(("stack", "repos"), [("AllRepos", [ALL_REPOS_ARN]), ("Listed", LISTED_ARNS)])
def test_inspector_reads_exactly_the_watched_repositories(
    synthesized: Synthesized, stack: str, repos: list[str]
) -> None:
    statements = role_statements(synthesized.templates[stack], "inspector")
    for action in ("codecommit:GitPull", "codecommit:GetBlob"):
        assert _resources(statement_with(statements, action)) == repos


def test_reset_pushes_and_lock_tags_only_where_the_configuration_enables_them(
    synthesized: Synthesized,
) -> None:
    template = synthesized.templates["Listed"]  # lock: "*" and payments; reset: payments only
    reset = role_statements(template, "reset")
    assert _resources(statement_with(reset, "codecommit:GitPush")) == LISTED_ARNS[:1]
    for action in ("codecommit:TagResource", "codecommit:ListTagsForResource", "codecommit:GetBlob"):
        assert _resources(statement_with(role_statements(template, "lock"), action)) == LISTED_ARNS


def test_only_reset_pushes_and_only_lock_tags(synthesized: Synthesized) -> None:
    template = synthesized.templates["Listed"]
    pushers = {n for n in EXPECTED_ACTIONS if "codecommit:GitPush" in actions(role_statements(template, n))}
    taggers = {
        n for n in EXPECTED_ACTIONS if "codecommit:TagResource" in actions(role_statements(template, n))
    }
    assert pushers == {"reset"}
    assert taggers == {"lock"}
    allowed = {a for s in all_statements(template) if s["Effect"] == "Allow" for a in as_list(s["Action"])}
    assert "codecommit:UntagResource" not in allowed


def test_lock_function_may_set_only_the_lock_tag_and_its_audit_tags(synthesized: Synthesized) -> None:
    tag = statement_with(role_statements(synthesized.templates["Listed"], "lock"), "codecommit:TagResource")
    assert tag["Condition"] == {"ForAllValues:StringLike": {"aws:TagKeys": ["RepoState", "leakguard:*"]}}


def test_object_permissions_are_limited_to_their_prefix(synthesized: Synthesized) -> None:
    template = synthesized.templates["AllRepos"]
    inspector = role_statements(template, "inspector")
    assert _resources(statement_with(inspector, "s3:PutObject")) == ["${ReportsBucket95FE29A2.Arn}/reports/*"]
    reset = role_statements(template, "reset")
    (quarantine,) = _resources(statement_with(reset, "s3:PutObject"))
    assert quarantine.startswith("${QuarantineBucket") and quarantine.endswith("/quarantine/*")
    for name in ("notify", "reset"):
        reads = [s for s in role_statements(template, name) if "s3:GetObject" in as_list(s["Action"])]
        (report,) = [r for s in reads if s["Sid"] != "ReadRules" for r in _resources(s)]
        assert report.startswith("${ReportsBucket") and report.endswith("/reports/*")


def test_publishers_use_the_topic_and_its_key_only(synthesized: Synthesized) -> None:
    template = synthesized.templates["AllRepos"]
    for name in ("notify", "lock", "reset"):
        statements = role_statements(template, name)
        assert statement_with(statements, "sns:Publish")["Resource"]["Ref"].startswith("NotificationsTopic")
        key_arns = {
            joined(r)
            for s in statements
            if "kms:GenerateDataKey" in as_list(s["Action"]) or "kms:Decrypt" in as_list(s["Action"])
            for r in as_list(s["Resource"])
        }
        assert any(k.startswith("${NotificationsKey") for k in key_arns)
        assert all(k.startswith(("${NotificationsKey", "${DataKey", "${RulesKey")) for k in key_arns)
    lock_keys = {joined(r) for s in role_statements(template, "lock") if "kms:Decrypt" in as_list(s["Action"])
                 for r in as_list(s["Resource"])}  # fmt: skip
    assert not any(k.startswith("${DataKey") for k in lock_keys), "lock never touches quarantine or reports"


def test_inspector_emits_only_to_the_security_bus(synthesized: Synthesized) -> None:
    statement = statement_with(
        role_statements(synthesized.templates["AllRepos"], "inspector"), "events:PutEvents"
    )
    assert statement["Resource"]["Fn::GetAtt"][0].startswith("FanOutBus")


def _lock_policy_resource(template: dict[str, Any]) -> dict[str, Any]:
    (policy,) = [
        p
        for p in resources(template, "AWS::IAM::ManagedPolicy").values()
        if any(s.get("Sid") == "DenyWhileLocked" for s in p["Properties"]["PolicyDocument"]["Statement"])
    ]
    return policy


def _lock_policy(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    policy = _lock_policy_resource(template)
    return {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}


@pytest.mark.parametrize("stack", STACKS)
def test_developer_lock_policy_denies_access_to_locked_repositories(
    synthesized: Synthesized, stack: str
) -> None:
    locked = _lock_policy(synthesized.templates[stack])["DenyWhileLocked"]
    assert locked["Effect"] == "Deny"
    assert set(locked["Action"]) == set(LOCKED_ACTIONS)
    assert {
        "codecommit:GitPull",
        "codecommit:GitPush",
        "codecommit:TagResource",
        "codecommit:UntagResource",
    } <= set(locked["Action"])
    assert joined(locked["Resource"]) == ALL_REPOS_ARN
    assert locked["Condition"]["StringEquals"] == {"aws:ResourceTag/RepoState": "locked"}


@pytest.mark.parametrize("stack", STACKS)
def test_developers_can_never_change_the_lock_tag(synthesized: Synthesized, stack: str) -> None:
    tags = _lock_policy(synthesized.templates[stack])["DenyLockTagChanges"]
    assert tags["Effect"] == "Deny"
    assert sorted(tags["Action"]) == ["codecommit:TagResource", "codecommit:UntagResource"]
    assert tags["Condition"]["ForAnyValue:StringLike"] == {"aws:TagKeys": ["RepoState", "leakguard:*"]}


def test_admins_are_exempt_only_when_configured(synthesized: Synthesized) -> None:
    exempt = {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::123456789012:role/SecurityAdmin"]}}
    for statement in _lock_policy(synthesized.templates["Listed"]).values():
        assert statement["Condition"]["ArnNotLike"] == exempt["ArnNotLike"]
    for statement in _lock_policy(synthesized.templates["AllRepos"]).values():
        assert "ArnNotLike" not in statement["Condition"]


def test_the_lock_policy_is_not_attached_to_any_leakguard_role(synthesized: Synthesized) -> None:
    policy = _lock_policy_resource(synthesized.templates["AllRepos"])
    assert not {"Roles", "Users", "Groups"} & set(policy["Properties"])

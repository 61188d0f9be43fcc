"""Least privilege that follows the configuration: reset's git and lock's tagging only where enabled.

Every combination is checked against the scope computation the construct uses; two light stacks (the
remediation functions and their wiring, no assets, no cdk-nag) and the session's two full stacks show
the scoped roles in synthesized templates, including the wildcard with an explicit carve-out.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from stacks import LeakguardConfig
from stacks.fanout import SecurityEventFanOut
from stacks.remediation import Remediations
from stacks.repositories import remediation_scope

from .helpers import as_list, joined, role_statements

ARN = "arn:${AWS::Partition}:codecommit:${AWS::Region}:${AWS::AccountId}:"
RESET = {"codecommit:GitPull", "codecommit:GitPush"}
LOCK = {"codecommit:TagResource", "codecommit:ListTagsForResource", "codecommit:GetRepository"}

# name: (context, {lock allowed, lock denied}, {reset allowed, reset denied}) - repository names, "*" = all
CASES: dict[str, tuple[dict[str, Any], tuple[list[str], list[str]], tuple[list[str], list[str]]]] = {
    "listed-none": ({"repositories": ["a", "b"]}, ([], []), ([], [])),
    "listed-lock-only": (
        {"repositories": ["a", "b"], "remediations": {"a": {"lock": True}}},
        (["a"], []),
        ([], []),
    ),
    "listed-reset-only": (
        {"repositories": ["a", "b"], "remediations": {"b": {"reset": True}}},
        ([], []),
        (["b"], []),
    ),
    "listed-both-split": (
        {"repositories": ["a", "b", "c"], "remediations": {"a": {"lock": True}, "b": {"reset": True}}},
        (["a"], []),
        (["b"], []),
    ),
    "listed-wildcard-default": (
        {"repositories": ["a", "b"], "remediations": {"*": {"lock": True, "reset": True}, "b": {}}},
        (["a"], []),
        (["a"], []),
    ),
    "all-none": ({}, ([], []), ([], [])),
    "all-named-only": (
        {"remediations": {"payments": {"reset": True, "lock": True}, "web": {"lock": True}}},
        (["payments", "web"], []),
        (["payments"], []),
    ),
    "all-everywhere-but-one": (
        {"remediations": {"*": {"lock": True, "reset": True}, "legacy": {"lock": True}}},
        (["*"], []),
        (["*"], ["legacy"]),
    ),
}


SYNTHESIZED = ("all-everywhere-but-one",)  # the session stacks show the listed shapes


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_combination_scopes_lock_and_reset_to_where_they_are_enabled(case: str) -> None:
    context, lock, reset = CASES[case]
    stack = cdk.Stack(cdk.App())
    config = LeakguardConfig.from_mapping(context)
    for kind, expected in (("lock", lock), ("reset", reset)):
        scope = remediation_scope(stack, config, kind)  # type: ignore[arg-type]
        names = tuple(
            sorted(joined(stack.resolve(a)).removeprefix(ARN) for a in arns)
            for arns in (scope.allowed, scope.excluded)
        )
        assert names == (sorted(expected[0]), sorted(expected[1])), kind


@pytest.fixture(scope="module")
def templates() -> dict[str, dict[str, Any]]:
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stacks = {}
    for name in SYNTHESIZED:
        context = CASES[name][0]
        stack = cdk.Stack(app, name)
        key = kms.Key(stack, "Key")
        Remediations(
            stack,
            "Remediation",
            config=LeakguardConfig.from_mapping(context),
            code=lambda_.Code.from_inline("def handler(event, context): pass"),
            layers=[],
            fanout=SecurityEventFanOut(stack, "FanOut"),
            topic=sns.Topic(stack, "Topic"),
            topic_key=key,
            report_bucket=s3.Bucket(stack, "Reports"),
            quarantine_bucket=s3.Bucket(stack, "Quarantine"),
            data_key=key,
            table=dynamodb.Table(
                stack,
                "Table",
                partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
            ),
            scan_record=dynamodb.Table(
                stack,
                "ScanRecord",
                partition_key=dynamodb.Attribute(name="repository", type=dynamodb.AttributeType.STRING),
                sort_key=dynamodb.Attribute(name="entry", type=dynamodb.AttributeType.STRING),
            ),
        )
        stacks[name] = stack
    assembly = app.synth()
    return {name: assembly.get_stack_by_name(name).template for name in stacks}


def _scope(template: dict[str, Any], function: str, actions: set[str]) -> tuple[list[str], list[str]]:
    """(allowed, denied) repository names of the function's statements holding any of ``actions``."""
    found: dict[str, list[str]] = {"Allow": [], "Deny": []}
    for statement in role_statements(template, function):
        if actions & set(as_list(statement["Action"])):
            names = [joined(r).removeprefix(ARN) for r in as_list(statement["Resource"])]
            found[statement["Effect"]] += names
    return sorted(set(found["Allow"])), sorted(set(found["Deny"]))


@pytest.mark.parametrize("case", SYNTHESIZED)
def test_the_template_scopes_lock_and_reset_as_configured(
    templates: dict[str, dict[str, Any]], case: str
) -> None:
    assert _scope(templates[case], "lock", LOCK) == CASES[case][1]
    assert _scope(templates[case], "reset", RESET) == CASES[case][2]
    statements = role_statements(templates[case], "notify")
    assert not any(a.startswith("codecommit:") for s in statements for a in as_list(s["Action"]))


def test_exclusions_deny_every_action_the_wildcard_allows(templates: dict[str, dict[str, Any]]) -> None:
    template = templates["all-everywhere-but-one"]
    denies = [s for s in role_statements(template, "reset") if s["Effect"] == "Deny"]
    (deny,) = denies
    assert set(as_list(deny["Action"])) == RESET
    lock_denies = [s for s in role_statements(template, "lock") if s["Effect"] == "Deny"]
    assert lock_denies == []  # legacy keeps lock on by name: nothing to carve out


def test_functions_read_the_same_switches_they_are_scoped_by(templates: dict[str, dict[str, Any]]) -> None:
    from .helpers import function

    context = CASES["all-everywhere-but-one"][0]
    expected = LeakguardConfig.from_mapping(context).remediations_json()
    for name in ("lock", "reset"):
        env = function(templates["all-everywhere-but-one"], name)["Properties"]["Environment"]["Variables"]
        assert env["REMEDIATIONS"] == expected

"""The developer lock policy has no side door: its deny list is checked against botocore's model.

A CodeCommit operation botocore learns tomorrow is denied by default (the list is derived) and makes
``test_every_operation_of_the_service_model_is_reviewed`` fail until it is filed as content, change,
metadata or not-a-repository. The synthesized policy must carry exactly the derived list.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from stacks import codecommit_actions as cc
from stacks.lock_policy import LOCKED_ACTIONS

from .conftest import Synthesized
from .helpers import resources

REVIEWED = (cc.METADATA, cc.NOT_REPOSITORY, cc.READS_CONTENT, cc.CHANGES_REPOSITORY)
# What the issue found missing: merge-conflict hunks, commit messages, and the repository itself.
SIDE_DOORS = {
    "codecommit:DescribeMergeConflicts",
    "codecommit:BatchDescribeMergeConflicts",
    "codecommit:GetCommit",
    "codecommit:BatchGetCommits",
    "codecommit:GetBlob",
    "codecommit:GetFile",
    "codecommit:GetFolder",
    "codecommit:GetDifferences",
    "codecommit:GetCommentsForPullRequest",
    "codecommit:DeleteRepository",
    "codecommit:UpdateRepositoryName",
    "codecommit:GitPull",
    "codecommit:GitPush",
}


def unreviewed(operations: tuple[str, ...]) -> set[str]:
    return {op for op in operations if sum(op in group for group in REVIEWED) != 1}


def _lock_policy(template: dict[str, Any]) -> dict[str, Any]:
    (policy,) = [
        p
        for p in resources(template, "AWS::IAM::ManagedPolicy").values()
        if any(s.get("Sid") == "DenyWhileLocked" for s in p["Properties"]["PolicyDocument"]["Statement"])
    ]
    return policy


def _deny_while_locked(template: dict[str, Any]) -> dict[str, Any]:
    statements = _lock_policy(template)["Properties"]["PolicyDocument"]["Statement"]
    (statement,) = [s for s in statements if s["Sid"] == "DenyWhileLocked"]
    return statement


def test_every_operation_of_the_service_model_is_reviewed() -> None:
    assert unreviewed(cc.model_operations()) == set()


def test_the_review_names_only_operations_the_model_has() -> None:
    stale = {op for group in REVIEWED for op in group} - set(cc.model_operations())
    assert stale == set()
    assert not set(cc.PERMISSION_ONLY_DENIED) & set(cc.model_operations())


def test_a_new_operation_is_denied_by_default_and_fails_the_review(monkeypatch: pytest.MonkeyPatch) -> None:
    grown = (*cc.model_operations(), "GetRepositorySnapshot")
    monkeypatch.setattr(cc, "model_operations", lambda: grown)
    assert "codecommit:GetRepositorySnapshot" in cc.locked_actions()
    assert unreviewed(grown) == {"GetRepositorySnapshot"}


def test_denied_while_locked_is_every_content_read_and_change_and_the_git_transport() -> None:
    expected = {
        f"codecommit:{op}" for op in (*cc.READS_CONTENT, *cc.CHANGES_REPOSITORY, *cc.PERMISSION_ONLY_DENIED)
    }
    assert set(LOCKED_ACTIONS) == expected
    assert expected >= SIDE_DOORS
    assert not {f"codecommit:{op}" for op in cc.METADATA} & expected  # developers still see the lock


@pytest.mark.parametrize("stack", ["AllRepos", "Listed"])
def test_the_synthesized_policy_carries_the_complete_deny_list(synthesized: Synthesized, stack: str) -> None:
    statement = _deny_while_locked(synthesized.templates[stack])
    assert statement["Effect"] == "Deny"
    assert sorted(statement["Action"]) == sorted(LOCKED_ACTIONS)
    policy = _lock_policy(synthesized.templates[stack])
    document = json.dumps(policy["Properties"]["PolicyDocument"], separators=(",", ":"))
    assert len(document) < 6144  # IAM's limit for a managed policy

"""The IAM managed policy that makes the lock tag mean something, for admins to attach to developers.

A tag on its own locks nothing. This policy denies, while a repository carries ``<key>=<value>``, the
git transport (pull and push) and every API call that reads or changes its content, derived from the
service model (:mod:`stacks.codecommit_actions`) so none is forgotten; and it denies, at any
time, adding, changing or removing the lock tag itself (and the ``leakguard:*`` tags that record who
locked and unlocked, and why), so a locked-out developer can neither unlock (or pre-lock) a repository
nor forge its audit trail. Roles listed in ``adminRoleArns`` are exempt even if the policy is attached.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from .codecommit_actions import locked_actions
from .names import AUDIT_TAG_PATTERN

# What a developer must not do to a locked repository: every action that reads content, diffs, commit
# messages or comments, or changes the repository, derived from botocore's model (see codecommit_actions).
LOCKED_ACTIONS = tuple(locked_actions())
TAG_ACTIONS = ("codecommit:TagResource", "codecommit:UntagResource")


class DeveloperLockPolicy(Construct):
    """``leakguard-developer-lock`` managed policy; attach it to developer groups or roles."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        lock_tag_key: str,
        lock_tag_value: str,
        admin_role_arns: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        repositories = Stack.of(self).format_arn(service="codecommit", resource="*")
        not_admin = {"ArnNotLike": {"aws:PrincipalArn": list(admin_role_arns)}} if admin_role_arns else {}
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            managed_policy_name=f"leakguard-developer-lock-{Stack.of(self).region}",
            description="leakguard: deny git access and lock-tag changes on locked CodeCommit repositories",
            statements=[
                iam.PolicyStatement(
                    sid="DenyWhileLocked",
                    effect=iam.Effect.DENY,
                    actions=list(LOCKED_ACTIONS),
                    resources=[repositories],
                    conditions={
                        "StringEquals": {f"aws:ResourceTag/{lock_tag_key}": lock_tag_value},
                        **not_admin,
                    },
                ),
                iam.PolicyStatement(
                    sid="DenyLockTagChanges",
                    effect=iam.Effect.DENY,
                    actions=list(TAG_ACTIONS),
                    resources=[repositories],
                    conditions={
                        "ForAnyValue:StringLike": {"aws:TagKeys": [lock_tag_key, AUDIT_TAG_PATTERN]},
                        **not_admin,
                    },
                ),
            ],
        )

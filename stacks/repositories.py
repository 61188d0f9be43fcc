"""Repository ARNs: the resources of every CodeCommit permission and of the OnPush rule."""

from __future__ import annotations

from aws_cdk import Stack
from constructs import Construct

from .config import LeakguardConfig


def repository_arns(scope: Construct, config: LeakguardConfig) -> list[str]:
    """The watched repositories' ARNs, or every repository of this account and region for ``"*"``."""
    stack = Stack.of(scope)
    if config.repositories == "*":
        return [stack.format_arn(service="codecommit", resource="*")]
    return [stack.format_arn(service="codecommit", resource=name) for name in config.repositories]

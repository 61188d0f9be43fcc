"""Repository ARNs: the resources of every CodeCommit permission and of the OnPush rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aws_cdk import Stack
from constructs import Construct

from .config import LeakguardConfig

Remediation = Literal["lock", "reset"]


def repository_arns(scope: Construct, config: LeakguardConfig) -> list[str]:
    """The watched repositories' ARNs, or every repository of this account and region for ``"*"``."""
    stack = Stack.of(scope)
    if config.repositories == "*":
        return [stack.format_arn(service="codecommit", resource="*")]
    return [stack.format_arn(service="codecommit", resource=name) for name in config.repositories]


@dataclass(frozen=True)
class RemediationScope:
    """Where one remediation may act: ``allowed`` ARNs, minus ``excluded`` ARNs (an explicit deny).

    ``excluded`` is only ever needed when every repository is allowed (``repositories: "*"`` with the
    remediation on for ``"*"``) and some repository opts out by name.
    """

    allowed: list[str]
    excluded: list[str]

    @property
    def everywhere(self) -> bool:
        """True when the scope is every repository of the account and region."""
        return any(arn.endswith(":*") for arn in self.allowed) if self.allowed else False


def remediation_scope(
    scope: Construct, config: LeakguardConfig, remediation: Remediation
) -> RemediationScope:
    """The repositories where ``remediation`` is enabled, as the inspector decides it per repository.

    The same lookup as the functions' ``REMEDIATIONS`` (a repository's own switches, else ``"*"``), so
    a role can never act on a repository its own configuration leaves alone.
    """
    stack = Stack.of(scope)

    def arn(name: str) -> str:
        return stack.format_arn(service="codecommit", resource=name)

    def enabled(name: str) -> bool:
        return getattr(config.remediation_for(name), remediation)

    named = sorted(n for n in config.remediations if n != "*")
    if config.repositories != "*":
        return RemediationScope([arn(n) for n in config.repositories if enabled(n)], [])
    if getattr(config.remediations["*"], remediation):
        return RemediationScope([arn("*")], [arn(n) for n in named if not enabled(n)])
    return RemediationScope([arn(n) for n in named if enabled(n)], [])

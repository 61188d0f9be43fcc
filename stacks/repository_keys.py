"""Repositories encrypted with a customer-managed KMS key: the key use CodeCommit needs from a caller.

CodeCommit encrypts repository data with KMS on the caller's behalf: with the AWS-managed key nothing
is needed, with a customer-managed key the caller's role must be allowed the key itself. Reading
(``GitPull``) needs ``kms:Decrypt``; writing (``GitPush``) also ``kms:GenerateDataKey`` for the new
objects. Both only through CodeCommit (``kms:ViaService``), on exactly the keys the deployment names
(``repositoryKmsKeyArns``); the key policy must leave IAM in charge (the default key policy does).
"""

from __future__ import annotations

from aws_cdk import Stack

from .config import LeakguardConfig
from .function import LeakguardFunction

PULL = ("kms:Decrypt",)
PUSH = ("kms:Decrypt", "kms:GenerateDataKey")


def allow_repository_keys(function: LeakguardFunction, config: LeakguardConfig, *, push: bool) -> None:
    """Let ``function`` use the repositories' keys for what its git does, through CodeCommit only."""
    if not config.repository_kms_key_arns:
        return
    function.allow(
        "RepositoryKeys",
        actions=list(PUSH if push else PULL),
        resources=list(config.repository_kms_key_arns),
        conditions={
            "StringEquals": {"kms:ViaService": f"codecommit.{Stack.of(function).region}.amazonaws.com"}
        },
    )

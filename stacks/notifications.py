"""The admins' SNS topic: KMS-encrypted with its own key, TLS-only, one email subscription per admin."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct


class NotificationTopic(Construct):
    """Where notify, lock and reset report to humans.

    The key policy keeps the default account-root statement, which delegates to IAM: the function roles
    get ``kms:GenerateDataKey``/``kms:Decrypt`` on this key through their own (exact) policies, which is
    what SNS needs to encrypt what they publish. Email delivery needs no key access.
    """

    def __init__(self, scope: Construct, construct_id: str, *, emails: Sequence[str]) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="leakguard: encrypts the security notification topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="leakguard security alerts",
            master_key=self.key,
            enforce_ssl=True,
        )
        for email in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))

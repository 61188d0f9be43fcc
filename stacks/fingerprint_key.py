"""The deployment's fingerprint key: one random secret that makes fingerprints stable and unguessable.

Fingerprints are ``HMAC(key, path + secret)`` (``leakguard.fingerprints``). The inspector (and reset,
should it compare fingerprints) read the key at cold start; developers and CI read it too, through the
managed policy below, so ``leakguard scan --write-ignore`` writes entries the bot recognises. Anyone who
may read it may read the watched repositories anyway, so it protects fingerprints that travel further
(SARIF uploads, tickets, emails) from being brute-forced back to weak passwords.

The secret is retained on stack deletion and never rotated automatically: a new key would turn every
fingerprint committed in every ``.leakguardignore`` into a stranger.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, RemovalPolicy, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from .function import LeakguardFunction

SECRET_NAME = "leakguard/fingerprint-key"  # noqa: S105 - a name, not a password
KEY_READ_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")


class FingerprintKey(Construct):
    """The secret, its own KMS key, and a reader policy for developer roles and CI."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="leakguard: encrypts the fingerprint key secret",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            secret_name=SECRET_NAME,
            description="leakguard: HMAC key of finding fingerprints (.leakguardignore entries)",
            encryption_key=self.key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True, include_space=False
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        Validations.of(self.secret).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SMG4",
                reason="Rotating the fingerprint key would invalidate every fingerprint committed in "
                "every repository's .leakguardignore; it is a keyed-hash salt, not a credential to a "
                "system, and is replaced deliberately (docs/admin.md) when it must be.",
            )
        )
        self.reader_policy = iam.ManagedPolicy(
            self,
            "ReaderPolicy",
            description="leakguard: read the fingerprint key (developers and CI running leakguard scan)",
            statements=[
                iam.PolicyStatement(
                    sid="ReadFingerprintKey",
                    actions=list(KEY_READ_ACTIONS),
                    resources=[self.secret.secret_arn],
                ),
                iam.PolicyStatement(
                    sid="DecryptFingerprintKey",
                    actions=["kms:Decrypt"],
                    resources=[self.key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": _secrets_manager_service(self)}},
                ),
            ],
        )

    def grant_read(self, function: LeakguardFunction) -> None:
        """Let ``function`` read the key (exactly the secret and a decrypt through Secrets Manager)."""
        function.allow(
            "ReadFingerprintKey",
            actions=["secretsmanager:GetSecretValue"],
            resources=[self.secret.secret_arn],
        )
        function.allow(
            "DecryptFingerprintKey",
            actions=["kms:Decrypt"],
            resources=[self.key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": _secrets_manager_service(self)}},
        )
        function.function.add_environment("FINGERPRINT_KEY_SECRET", self.secret.secret_arn)


def _secrets_manager_service(scope: Construct) -> str:
    from aws_cdk import Stack

    return f"secretsmanager.{Stack.of(scope).region}.amazonaws.com"

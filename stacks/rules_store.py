"""Where the security team publishes rules without a stack deploy, and who may read and write them.

One object (:data:`~stacks.names.RULES_OBJECT_KEY`) in a bucket of its own: versioned (every published
version is kept: the audit trail and the rollback), SSE-KMS with its own rotating key (a role that may
read S3 in general still cannot read the rules without ``kms:Decrypt`` on it), private, TLS-only,
logged, and retained when the stack is deleted. ``leakguard rules publish`` writes it; the functions
that scan or confirm incidents (inspector, lock, reset) read exactly that object and nothing else of
the bucket, and alarm when they refuse a version (``RulesRefused``, see ``leakguard.rules.active``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from .failures import ALARM_PREFIX, admin_alarm, service_metric
from .function import LeakguardFunction
from .names import RULES_OBJECT_KEY, RULES_REFUSED_METRIC
from .storage import kms_bucket

#: What people publishing and rolling back need: write, read the current and any older version.
PUBLISH_ACTIONS = ("s3:PutObject", "s3:GetObject", "s3:GetObjectVersion")


class RulesStore(Construct):
    """The rules bucket and key, the publisher policy, and the alarms on refused versions."""

    def __init__(
        self, scope: Construct, construct_id: str, *, access_logs: s3.IBucket, refresh_seconds: int
    ) -> None:
        super().__init__(scope, construct_id)
        self.refresh_seconds = refresh_seconds
        self.key = kms.Key(
            self,
            "Key",
            description="leakguard: encrypts the published detection rules",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # The published rules and their history outlive the stack: they are the team's work.
        self.bucket = kms_bucket(self, encryption_key=self.key, access_logs=access_logs, log_prefix="rules/")
        self.object_arn = self.bucket.arn_for_objects(RULES_OBJECT_KEY)
        stack = Stack.of(self)
        self.publisher_policy = iam.ManagedPolicy(
            self,
            "PublisherPolicy",
            description="leakguard: publish detection rules (leakguard rules publish --stack)",
            statements=[
                iam.PolicyStatement(
                    sid="PublishRules",
                    actions=list(PUBLISH_ACTIONS),
                    resources=[self.object_arn],
                ),
                iam.PolicyStatement(
                    sid="ListRuleVersions",  # to find a version to roll back to
                    actions=["s3:ListBucketVersions", "s3:GetEncryptionConfiguration"],
                    resources=[self.bucket.bucket_arn],
                ),
                iam.PolicyStatement(
                    sid="EncryptRules",
                    actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    resources=[self.key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}},
                ),
                iam.PolicyStatement(
                    sid="ReadStackOutputs",
                    actions=["cloudformation:DescribeStacks"],
                    resources=[stack.stack_id],
                ),
            ],
        )

    def grant_read(self, function: LeakguardFunction) -> None:
        """Let ``function`` read the rules object (no other key of the bucket) and give it the names."""
        # The current version only: a function never reads an older one (GetObjectVersion).
        function.allow("ReadRules", actions=["s3:GetObject"], resources=[self.object_arn])
        # Without ListBucket, S3 answers a GetObject of a key that does not exist yet (nothing published)
        # with 403 AccessDenied instead of 404: the function could not tell "nothing published, use the
        # bundled rules" from "denied, alert". The bucket holds nothing but rules versions.
        function.allow("FindRules", actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn])
        function.allow(
            "DecryptRules",
            actions=["kms:Decrypt"],
            resources=[self.key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"s3.{Stack.of(self).region}.amazonaws.com"}},
        )
        function.function.add_environment("RULES_BUCKET", self.bucket.bucket_name)
        function.function.add_environment("RULES_KEY", RULES_OBJECT_KEY)
        function.function.add_environment("RULES_REFRESH_SECONDS", str(self.refresh_seconds))

    def alarm_refusals(
        self, functions: Sequence[LeakguardFunction], *, topic: sns.ITopic
    ) -> list[cloudwatch.Alarm]:
        """One alarm per reading function on its ``RulesRefused`` metric, to the admins' topic."""
        alarms = []
        for fn in functions:
            alarm = admin_alarm(
                self,
                f"Refused{fn.name.title()}",
                # The shared prefix: `describe-alarms --alarm-name-prefix "leakguard is failing"` lists it.
                what=f"rules version refused by {fn.name}",
                description=f"{ALARM_PREFIX}: the {fn.name} function did not activate the "
                "published rules (invalid or unreadable) and keeps scanning with the last good ones. "
                "The admins' email names the version and the first error; fix it and run "
                "leakguard rules publish, or publish the last good file again.",
                metric=service_metric(RULES_REFUSED_METRIC, fn.name),
                action=cloudwatch_actions.SnsAction(topic),
            )
            alarms.append(alarm)
        return alarms


class RulesFileError(ValueError):
    """The bundled rules file would deploy broken rules: ``cdk synth`` stops with this message."""


def check_bundled_rules(path: Path) -> None:
    """Refuse to synthesize around a bundled rules file that fails ``rules lint`` or ``rules test``.

    The bundled file is the fallback every function starts on and returns to when a published version
    is refused, and the base a published ``"extends": "builtin"`` file extends: it must be valid.
    """
    from leakguard.errors import ConfigError
    from leakguard.rules.check import check_text
    from leakguard.rules.extends import extends_builtin

    try:
        text = path.read_bytes()
        extends = extends_builtin(json.loads(text))
    except (OSError, ValueError) as exc:  # unreadable, not JSON: check_text would say "not valid JSON"
        extends = False
        if isinstance(exc, OSError):
            raise RulesFileError(f"{path} cannot be read: {exc.strerror or exc}") from None
    if extends:
        raise RulesFileError(f"{path} is the built-in set: it cannot extend the built-in set")
    try:
        verdict = check_text(text, source=str(path))
    except ConfigError as exc:
        raise RulesFileError(f"{path} does not pass `leakguard rules lint`: {exc}") from None
    if not verdict.ok:
        more = f" (and {len(verdict.problems) - 1} more)" if len(verdict.problems) > 1 else ""
        raise RulesFileError(
            f"{path} does not pass `leakguard rules lint` and `leakguard rules test`: "
            f"{verdict.problems[0]}{more}. Fix it (make rules-check) before synthesizing."
        )

"""The three consumers of the security event: notify (always), lock and reset (opt-in per repository).

All three are deployed whatever the configuration. Each role holds exactly what its job needs, on the
repositories where its job is enabled: reset's git push and lock's tagging exist only for the
repositories the configuration opts in (an explicit deny carves out a repository that opts out of a
``"*"`` default), so a forged or stale event cannot make either act anywhere else. Only reset can push
and only lock can tag.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from .config import LeakguardConfig
from .fanout import SecurityEventFanOut
from .function import GIT_HEAVY, LeakguardFunction
from .idempotency import ITEM_ACTIONS
from .names import AUDIT_TAG_PATTERN, QUARANTINE_PREFIX, REPORT_PREFIX
from .permissions import acknowledge_all_repositories, acknowledge_object_prefix
from .repositories import remediation_scope
from .scan_record import REMOVAL_ACTIONS

#: What the lock reads: the repository's ARN by name and its tags (is it locked? how many tags?).
LOCK_READS = ("codecommit:ListTagsForResource", "codecommit:GetRepository")
#: How the lock confirms an incident without a clone: the named commits by id, their files, their blobs.
LOCK_CONFIRMS = ("codecommit:GetCommit", "codecommit:GetDifferences", "codecommit:GetBlob")


class Remediations(Construct):
    """Notify, lock and reset functions, each routed from the security-event rule."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LeakguardConfig,
        code: lambda_.Code,
        layers: Sequence[lambda_.ILayerVersion],
        fanout: SecurityEventFanOut,
        topic: sns.ITopic,
        topic_key: kms.IKey,
        report_bucket: s3.IBucket,
        quarantine_bucket: s3.IBucket,
        data_key: kms.IKey,
        table: dynamodb.ITable,
        scan_record: dynamodb.ITable,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._code = code
        self._layers = layers
        lock_scope = remediation_scope(self, config, "lock")
        reset_scope = remediation_scope(self, config, "reset")
        shared = {"TOPIC_ARN": topic.topic_arn, "IDEMPOTENCY_TABLE": table.table_name}
        switches = {"REMEDIATIONS": config.remediations_json()}

        self.notify = self._function(
            "Notify", "notify", "leakguard: email the admins what leaked where and what to do", shared
        )
        self.notify.allow(
            "ReadReports",
            actions=["s3:GetObject"],
            resources=[report_bucket.arn_for_objects(f"{REPORT_PREFIX}*")],
        )
        self.notify.allow("DecryptReports", actions=["kms:Decrypt"], resources=[data_key.key_arn])
        self.notify.function.add_environment("REPORT_BUCKET", report_bucket.bucket_name)
        acknowledge_object_prefix(
            self.notify.role,
            bucket=report_bucket,
            prefix=REPORT_PREFIX,
            why="reads the report the event points at",
        )

        self.lock = self._function(
            "Lock",
            "lock",
            "leakguard: tag the repository locked so the developer policy denies access",
            {
                **shared,
                **switches,
                "LOCK_TAG_KEY": config.lock_tag_key,
                "LOCK_TAG_VALUE": config.lock_tag_value,
            },
        )
        lock_actions = ["codecommit:TagResource", *LOCK_READS, *LOCK_CONFIRMS]
        if lock_scope.allowed:
            # The lock function may set the lock tag and its leakguard:* audit tags, no other tag, and
            # only on the repositories where locking is enabled.
            self.lock.allow(
                "SetLockTag",
                actions=["codecommit:TagResource"],
                resources=lock_scope.allowed,
                conditions={
                    "ForAllValues:StringLike": {"aws:TagKeys": [config.lock_tag_key, AUDIT_TAG_PATTERN]}
                },
            )
            # GetRepository: the lock looks the ARN up by name instead of trusting the event's.
            self.lock.allow("ReadRepository", actions=list(LOCK_READS), resources=lock_scope.allowed)
            # It re-scans the commits the event names before locking anyone out (a forged event).
            self.lock.allow("ConfirmIncident", actions=list(LOCK_CONFIRMS), resources=lock_scope.allowed)
        if lock_scope.excluded:
            self.lock.deny("NotWhereLockIsOff", actions=lock_actions, resources=lock_scope.excluded)

        self.reset = self._function(
            "Reset",
            "reset",
            "leakguard: quarantine the leaking commits in S3, then reset the branch with a lease",
            {
                **shared,
                **switches,
                "QUARANTINE_BUCKET": quarantine_bucket.bucket_name,
                "GIT_REMOTE_TEMPLATE": config.git_remote_template,
                "REPORT_BUCKET": report_bucket.bucket_name,
                "SCAN_RECORD_TABLE": scan_record.table_name,
            },
            heavy=True,
        )
        reset_actions = ["codecommit:GitPull", "codecommit:GitPush"]
        if reset_scope.allowed:
            self.reset.allow("RewriteBranches", actions=reset_actions, resources=reset_scope.allowed)
        if reset_scope.excluded:
            self.reset.deny("NotWhereResetIsOff", actions=reset_actions, resources=reset_scope.excluded)
        self.reset.allow(
            "Quarantine",
            actions=["s3:PutObject"],
            resources=[quarantine_bucket.arn_for_objects(f"{QUARANTINE_PREFIX}*")],
        )
        self.reset.allow(
            "ReadReports",
            actions=["s3:GetObject"],
            resources=[report_bucket.arn_for_objects(f"{REPORT_PREFIX}*")],
        )
        # After a reset, the scan record learns which leaking commits no ref carries any more, so a push
        # bringing them back is an incident again: UpdateItem of those items, in reset's repositories.
        self.reset.allow(
            "RecordRemovedLeaks",
            actions=list(REMOVAL_ACTIONS),
            resources=[scan_record.table_arn],
            conditions=(
                None
                if config.watches_all
                else {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": list(config.repositories)}}
            ),
        )
        # GenerateDataKey encrypts the bundle; Decrypt completes multipart uploads and reads reports.
        self.reset.allow(
            "DataKey", actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[data_key.key_arn]
        )
        acknowledge_object_prefix(
            self.reset.role,
            bucket=quarantine_bucket,
            prefix=QUARANTINE_PREFIX,
            why="one git bundle per incident",
        )
        acknowledge_object_prefix(
            self.reset.role,
            bucket=report_bucket,
            prefix=REPORT_PREFIX,
            why="reads the report the event points at",
        )

        for name, fn in (("notify", self.notify), ("lock", self.lock), ("reset", self.reset)):
            fn.allow("Notify", actions=["sns:Publish"], resources=[topic.topic_arn])
            fn.allow(
                "EncryptNotifications",
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[topic_key.key_arn],
            )
            fn.allow("Idempotency", actions=ITEM_ACTIONS, resources=[table.table_arn])
            fanout.route_to(name, fn.function)
        for fn, where in ((self.lock, lock_scope), (self.reset, reset_scope)):
            if where.everywhere:
                acknowledge_all_repositories(fn.role, arn=where.allowed[0])

    def _function(
        self,
        construct_id: str,
        name: str,
        description: str,
        environment: dict[str, str],
        *,
        heavy: bool = False,
    ) -> LeakguardFunction:
        extra = {"sizing": GIT_HEAVY} if heavy else {}
        return LeakguardFunction(
            self,
            construct_id,
            name=name,
            description=description,
            code=self._code,
            layers=self._layers,
            architecture=self._config.architecture,
            environment=environment,
            log_retention_days=self._config.log_retention_days,
            **extra,  # type: ignore[arg-type]
        )

"""The OnPush rule on the default bus and the inspector it invokes.

The inspector is the only function that sees repository content before a verdict. It may read the
watched repositories (GitPull, and by id through the API: GetCommit, GetDifferences, GetBlob, for
commits that vanished from the refs before it ran), write one report object per push under
``reports/``, keep idempotency records, read and write the scan record (only its own repositories'
partitions when a list is watched), put events on the security bus, and publish one kind of message
to the admins' topic (a pushed commit vanished unscanned): nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from .config import LeakguardConfig
from .failures import ALARM_PREFIX, admin_alarm, service_metric
from .fanout import lambda_target
from .function import GIT_HEAVY, LeakguardFunction
from .idempotency import ITEM_ACTIONS
from .names import (
    CLONE_OVER_BUDGET_METRIC,
    CODECOMMIT_DETAIL_TYPE,
    CODECOMMIT_SOURCE,
    PUSH_EVENTS,
    REPORT_PREFIX,
)
from .permissions import acknowledge_all_repositories, acknowledge_object_prefix
from .repositories import repository_arns
from .scan_record import RECORD_ACTIONS

#: CodeCommit's object API, to read a pushed commit that vanished from the refs by its id, and the
#: repository's creation date, to tell a new repository from one leakguard never recorded.
OBJECT_READ_ACTIONS = (
    "codecommit:GetCommit",
    "codecommit:GetDifferences",
    "codecommit:GetBlob",
    "codecommit:GetRepository",
)


class Inspection(Construct):
    """Inspector function plus the rule that feeds it every push to a watched repository."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LeakguardConfig,
        code: lambda_.Code,
        layers: Sequence[lambda_.ILayerVersion],
        bus: events.IEventBus,
        report_bucket: s3.IBucket,
        data_key: kms.IKey,
        table: dynamodb.ITable,
        scan_record: dynamodb.ITable,
        topic: sns.ITopic,
        topic_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        repos = repository_arns(self, config)
        self.inspector = LeakguardFunction(
            self,
            "Inspector",
            name="inspector",
            description="leakguard: scan the commits a push introduced and emit one security event",
            code=code,
            layers=layers,
            architecture=config.architecture,
            sizing=GIT_HEAVY,
            log_retention_days=config.log_retention_days,
            environment={
                "EVENT_BUS_NAME": bus.event_bus_name,
                "REPORT_BUCKET": report_bucket.bucket_name,
                "IDEMPOTENCY_TABLE": table.table_name,
                "SCAN_RECORD_TABLE": scan_record.table_name,
                "TOPIC_ARN": topic.topic_arn,
                "WATCHED_REPOSITORIES": config.watched_repositories_json(),
                "REMEDIATIONS": config.remediations_json(),
                "GIT_REMOTE_TEMPLATE": config.git_remote_template,
                "SKIPPED_CONTENT_NOTICE": config.skipped_content_notice,
            },
        )
        fn = self.inspector
        fn.allow("ReadRepositories", actions=["codecommit:GitPull"], resources=repos)
        fn.allow("ReadObjectsById", actions=OBJECT_READ_ACTIONS, resources=repos)
        fn.allow("EmitSecurityEvents", actions=["events:PutEvents"], resources=[bus.event_bus_arn])
        fn.allow(
            "WriteReports",
            actions=["s3:PutObject"],
            resources=[report_bucket.arn_for_objects(f"{REPORT_PREFIX}*")],
        )
        # GenerateDataKey encrypts a new object; Decrypt is needed to complete multipart uploads.
        fn.allow(
            "EncryptReports", actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[data_key.key_arn]
        )
        fn.allow("Idempotency", actions=ITEM_ACTIONS, resources=[table.table_arn])
        # One partition per repository: with a list of repositories, only theirs.
        fn.allow(
            "ScanRecord",
            actions=RECORD_ACTIONS,
            resources=[scan_record.table_arn],
            conditions=(
                None
                if config.watches_all
                else {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": list(config.repositories)}}
            ),
        )
        fn.allow("WarnAdmins", actions=["sns:Publish"], resources=[topic.topic_arn])
        fn.allow(
            "EncryptWarnings", actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[topic_key.key_arn]
        )
        acknowledge_object_prefix(
            fn.role, bucket=report_bucket, prefix=REPORT_PREFIX, why="one report object per push"
        )
        if config.watches_all:
            acknowledge_all_repositories(fn.role, arn=repos[0])

        pattern: dict[str, object] = {
            "source": [CODECOMMIT_SOURCE],
            "detail_type": [CODECOMMIT_DETAIL_TYPE],
            "detail": {"event": list(PUSH_EVENTS)},
        }
        if not config.watches_all:
            pattern["resources"] = repos
        self.on_push = events.Rule(
            self,
            "OnPush",
            description="leakguard: every branch or tag created or updated in a watched repository",
            event_pattern=events.EventPattern(**pattern),  # type: ignore[arg-type]
        )
        self.on_push.add_target(lambda_target(fn.function, scope=self, dlq_id="InspectorDeadLetters"))
        self._alarm_clone_over_budget(topic)

    def _alarm_clone_over_budget(self, topic: sns.ITopic) -> None:
        """Email the admins when a repository's clone alone outgrows the inspector's clone budget.

        The push is still scanned (the metric is not an error), but that clone is evicted first,
        every other repository's push then clones cold, and a repository that keeps growing fills
        ``/tmp`` and fails: the fix, more ephemeral storage, is a redeploy an admin has to decide.
        """
        self.clone_over_budget = admin_alarm(
            self,
            "CloneOverBudget",
            what="inspector clone over its /tmp budget",
            description=f"{ALARM_PREFIX}: a repository's clone alone is larger than the inspector's "
            f"clone budget (by default half of its {GIT_HEAVY.ephemeral_mb} MB /tmp). Its pushes are still "
            "scanned, but the cache evicts it first and other repositories clone cold; a larger one "
            "fills the disk and the inspection fails. Raise ephemeral_mb of GIT_HEAVY in "
            "stacks/function.py (Lambda allows 10240) and redeploy.",
            metric=service_metric(CLONE_OVER_BUDGET_METRIC, self.inspector.name),
            action=cloudwatch_actions.SnsAction(topic),
        )

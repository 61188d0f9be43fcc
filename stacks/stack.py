"""The leakguard stack: composes the constructs, owns no logic of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Annotations, CfnOutput, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from .build_steps import PROJECT_ROOT
from .bypass_notices import BypassNotices
from .config import LeakguardConfig
from .failures import FailureAlarms
from .fanout import SecurityEventFanOut
from .fingerprint_key import FingerprintKey
from .idempotency import IdempotencyTable
from .inspection import Inspection
from .lock_policy import DeveloperLockPolicy
from .names import RULES_OBJECT_KEY
from .notifications import NotificationTopic
from .packaging import RUNTIME, code_asset, dependency_layer_code, git_layer_code, lambda_architecture
from .remediation import Remediations
from .repository_keys import allow_repository_keys
from .rules_store import RulesStore, check_bundled_rules
from .scan_record import ScanRecordTable
from .storage import AccessLogsBucket, HardenedBucket

BUNDLED_RULES = PROJECT_ROOT / "rules" / "regex.json"


class LeakguardStack(Stack):
    """Everything one account needs to catch and contain credentials pushed to CodeCommit."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LeakguardConfig,
        rules_file: Path = BUNDLED_RULES,
        **kwargs: Any,
    ) -> None:
        # The rules the code asset bundles must pass rules lint and rules test, or nothing synthesizes.
        check_bundled_rules(rules_file)
        super().__init__(scope, construct_id, **kwargs)
        # Grant S3 log delivery through the log bucket's policy, not the legacy LogDeliveryWrite ACL
        # (set here, before any child exists, so the stack does not depend on cdk.json's flags).
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        arch = lambda_architecture(config.architecture)

        data_key = kms.Key(
            self,
            "DataKey",
            description="leakguard: encrypts quarantined commits and security reports",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        access_logs = AccessLogsBucket(self, "AccessLogs", retention_days=config.quarantine_retention_days)
        quarantine = HardenedBucket(
            self,
            "Quarantine",
            encryption_key=data_key,
            access_logs=access_logs.bucket,
            retention_days=config.quarantine_retention_days,
            log_prefix="quarantine/",
        )
        reports = HardenedBucket(
            self,
            "Reports",
            encryption_key=data_key,
            access_logs=access_logs.bucket,
            retention_days=config.report_retention_days,
            log_prefix="reports/",
        )
        table = IdempotencyTable(self, "Idempotency").table
        scan_record = ScanRecordTable(self, "ScanRecord").table
        notifications = NotificationTopic(self, "Notifications", emails=config.notification_emails)

        code = code_asset()
        layers: list[lambda_.ILayerVersion] = [
            lambda_.LayerVersion(
                self,
                "DependenciesLayer",
                description="leakguard: third-party Python packages (pip --platform, no Docker)",
                code=dependency_layer_code(architecture=config.architecture),
                compatible_runtimes=[RUNTIME],
                compatible_architectures=[arch],
            ),
            (
                lambda_.LayerVersion.from_layer_version_arn(self, "GitLayer", config.git_layer_arn)
                if config.git_layer_arn
                else lambda_.LayerVersion(
                    self,
                    "GitLayer",
                    description="leakguard: git and git-remote-codecommit under /opt",
                    code=git_layer_code(architecture=config.architecture),
                    compatible_runtimes=[RUNTIME],
                    compatible_architectures=[arch],
                )
            ),
        ]

        fanout = SecurityEventFanOut(self, "FanOut")
        inspection = Inspection(
            self,
            "Inspection",
            config=config,
            code=code,
            layers=layers,
            bus=fanout.bus,
            report_bucket=reports.bucket,
            data_key=data_key,
            table=table,
            scan_record=scan_record,
            topic=notifications.topic,
            topic_key=notifications.key,
        )
        fingerprint_key = FingerprintKey(self, "FingerprintKey")
        fingerprint_key.grant_read(inspection.inspector)
        inspection.inspector.function.add_environment("ACCEPTANCE_POLICY", config.acceptance_policy_json())
        fanout.only_published_by(inspection.inspector.role)
        remediations = Remediations(
            self,
            "Remediation",
            config=config,
            code=code,
            layers=layers,
            fanout=fanout,
            topic=notifications.topic,
            topic_key=notifications.key,
            report_bucket=reports.bucket,
            quarantine_bucket=quarantine.bucket,
            data_key=data_key,
            table=table,
            scan_record=scan_record,
        )
        BypassNotices(self, "BypassNotices", bus=fanout.bus, notify=remediations.notify.function)
        rules = RulesStore(
            self, "Rules", access_logs=access_logs.bucket, refresh_seconds=config.rules_refresh_seconds
        )
        readers = [inspection.inspector, remediations.lock, remediations.reset]
        for reader in readers:  # the functions that scan or confirm incidents; notify never scans
            rules.grant_read(reader)
        rules.alarm_refusals(readers, topic=notifications.topic)
        # Repositories under a customer-managed key: only the two functions that run git use it.
        allow_repository_keys(inspection.inspector, config, push=False)
        allow_repository_keys(remediations.reset, config, push=True)
        allow_repository_keys(remediations.lock, config, push=False)  # GetBlob on the named commits
        lock_policy = DeveloperLockPolicy(
            self,
            "DeveloperLock",
            lock_tag_key=config.lock_tag_key,
            lock_tag_value=config.lock_tag_value,
            admin_role_arns=config.admin_role_arns,
        )

        if not config.notification_emails:
            Annotations.of(self).add_warning_v2(
                "leakguard:no-notification-emails",
                "notificationEmails is empty: no one receives the incident emails nor the "
                "'leakguard is failing' alarms. Set -c notificationEmails='[\"security@example.com\"]'.",
            )
        # Last: it alarms on every queue and function built above.
        FailureAlarms(self, "Failures", topic=notifications.topic, topic_key=notifications.key)

        CfnOutput(
            self,
            "DeveloperLockPolicyArn",
            value=lock_policy.policy.managed_policy_arn,
            description="Attach to developer groups/roles: denies access to locked repositories",
        )
        CfnOutput(
            self,
            "FingerprintKeyReaderPolicyArn",
            value=fingerprint_key.reader_policy.managed_policy_arn,
            description="Attach to developer and CI roles: `leakguard key pull` reads the fingerprint key",
        )
        CfnOutput(self, "FingerprintKeySecretArn", value=fingerprint_key.secret.secret_arn)
        CfnOutput(self, "AlertTopicArn", value=notifications.topic.topic_arn)
        CfnOutput(
            self,
            "RulesBucketName",
            value=rules.bucket.bucket_name,
            description="leakguard rules publish --stack: where the deployed rules are published",
        )
        CfnOutput(self, "RulesObjectKey", value=RULES_OBJECT_KEY)
        CfnOutput(self, "RulesKeyArn", value=rules.key.key_arn)
        CfnOutput(
            self,
            "RulesPublisherPolicyArn",
            value=rules.publisher_policy.managed_policy_arn,
            description="Attach to the security team's role: leakguard rules publish",
        )
        CfnOutput(self, "QuarantineBucketName", value=quarantine.bucket.bucket_name)
        CfnOutput(self, "SecurityEventBusName", value=fanout.bus.event_bus_name)
        CfnOutput(
            self,
            "ScanRecordTableName",
            value=scan_record.table_name,
            description="leakguard baseline --table: the record of scanned commits",
        )

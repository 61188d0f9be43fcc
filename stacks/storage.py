"""Hardened S3 buckets: the quarantine of removed commits, the large security reports, their access logs.

Both data buckets hold sensitive material (the quarantine literally holds the leaked secrets), so each
is KMS-encrypted with the deployment's data key, versioned, private, TLS-only, logged, and expires its
objects so nothing is kept longer than the security team decided.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct


class AccessLogsBucket(Construct):
    """Target of the data buckets' server access logs.

    S3 server access logging can only deliver to a bucket encrypted with SSE-S3, not SSE-KMS, and the
    log bucket does not log itself (that would log its own log deliveries forever).
    """

    def __init__(self, scope: Construct, construct_id: str, *, retention_days: int) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=Duration.days(retention_days),
                    noncurrent_version_expiration=Duration.days(1),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        Validations.of(self.bucket).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S1",
                reason="This is the server access log target of the other buckets; logging it into "
                "itself would create an endless loop of log deliveries.",
            )
        )


def kms_bucket(
    scope: Construct,
    *,
    encryption_key: kms.IKey,
    access_logs: s3.IBucket,
    log_prefix: str,
    lifecycle_rules: Sequence[s3.LifecycleRule] = (),
) -> s3.Bucket:
    """``scope``'s ``Bucket``: SSE-KMS with ``encryption_key``, versioned, private, TLS-only, logged,
    retained (what these buckets hold outlives the stack)."""
    return s3.Bucket(
        scope,
        "Bucket",
        encryption=s3.BucketEncryption.KMS,
        encryption_key=encryption_key,
        bucket_key_enabled=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        versioned=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        server_access_logs_bucket=access_logs,
        server_access_logs_prefix=log_prefix,
        lifecycle_rules=list(lifecycle_rules) or None,
        removal_policy=RemovalPolicy.RETAIN,
    )


class HardenedBucket(Construct):
    """A private, KMS-encrypted, versioned, TLS-only bucket whose objects expire after ``retention_days``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: kms.IKey,
        access_logs: s3.IBucket,
        retention_days: int,
        log_prefix: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = kms_bucket(
            self,
            encryption_key=encryption_key,
            access_logs=access_logs,
            log_prefix=log_prefix,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="limit-retention",
                    expiration=Duration.days(retention_days),
                    noncurrent_version_expiration=Duration.days(retention_days),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )  # retained, as every kms_bucket: a quarantine that disappears with the stack defeats its purpose

"""The deployed rules: one object in a versioned, KMS-encrypted S3 bucket of the stack.

Why S3 and not AWS AppConfig: the functions already read S3 with their own roles, a versioned object is
an audit trail (who published what, when: CloudTrail and the version list) and a rollback (publish an
old version again) at no cost, a conditional GET (``If-None-Match``) makes "unchanged" a 304 without a
body, and nothing new (an AppConfig extension or a Lambda validator) has to be deployed and kept in
step with the rules engine. Validation happens where the engine is: in ``leakguard rules publish``
before the upload, and again in every function before a version is activated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

#: Error codes of a GetObject that found no current version (never published, or deleted).
_MISSING = ("NoSuchKey", "NoSuchVersion", "404")
#: Larger than any sane rules file (the bundled one is ~170 KB): not downloaded into a function's memory.
MAX_RULES_BYTES = 4 << 20


@dataclass(frozen=True)
class RulesVersion:
    """One version of the rules object: its body and what names it (ETag, S3 version id)."""

    body: bytes
    etag: str
    version_id: str | None

    @property
    def label(self) -> str:
        """How people and alerts name this version: the S3 version id, else the ETag."""
        return self.version_id or self.etag.strip('"')


class RulesMissingError(LookupError):
    """The object has no current version: nothing was published (or the object was deleted)."""


class RulesTooLargeError(ValueError):
    """The current version is larger than :data:`MAX_RULES_BYTES`; its body was not read."""

    def __init__(self, label: str, size: int) -> None:
        self.label = label
        self.size = size
        super().__init__(f"is {size} bytes, more than the {MAX_RULES_BYTES} a rules file may have")


class RulesObject:
    """Reads and writes one S3 object holding a rules file."""

    def __init__(self, bucket: str, key: str, client: Any | None = None) -> None:
        self.bucket = bucket
        self.key = key
        self.client = client if client is not None else boto3.client("s3")

    @property
    def url(self) -> str:
        """``s3://bucket/key``, for messages."""
        return f"s3://{self.bucket}/{self.key}"

    def fetch(self, *, unless_etag: str | None = None) -> RulesVersion | None:
        """The current version; None when it still has ETag ``unless_etag`` (a 304, no body sent).

        Raises
        ------
        RulesMissingError
            No current version exists.
        botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError
            Anything else (access denied, KMS, network): the caller decides what it means.
        """
        extra = {"IfNoneMatch": unless_etag} if unless_etag else {}
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.key, **extra)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "304" or status == 304:
                return None
            if code in _MISSING:
                raise RulesMissingError(self.url) from exc
            raise
        etag, version_id = response["ETag"], response.get("VersionId")
        size = int(response.get("ContentLength") or 0)
        if size > MAX_RULES_BYTES:
            response["Body"].close()
            raise RulesTooLargeError(version_id or etag.strip('"'), size)
        return RulesVersion(body=response["Body"].read(), etag=etag, version_id=version_id)

    def publish(self, body: bytes, *, kms_key_id: str | None) -> RulesVersion:
        """Upload a new version, encrypted with ``kms_key_id`` (SSE-KMS), else SSE-S3 (AES256).

        The key is named explicitly: ``aws:kms`` without a key id would make S3 use the account's AWS
        managed key, which any S3 user of the account may decrypt with.
        """
        encryption: dict[str, str] = (
            {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}
            if kms_key_id
            else {"ServerSideEncryption": "AES256"}
        )
        response = self.client.put_object(
            Bucket=self.bucket, Key=self.key, Body=body, ContentType="application/json", **encryption
        )
        return RulesVersion(body=body, etag=response["ETag"], version_id=response.get("VersionId"))

    def default_kms_key(self) -> str | None:
        """The bucket's default SSE-KMS key, if its default encryption is SSE-KMS with a key."""
        rules = self.client.get_bucket_encryption(Bucket=self.bucket)["ServerSideEncryptionConfiguration"]
        for rule in rules.get("Rules", []):
            default = rule.get("ApplyServerSideEncryptionByDefault", {})
            if default.get("SSEAlgorithm") in ("aws:kms", "aws:kms:dsse") and default.get("KMSMasterKeyID"):
                return str(default["KMSMasterKeyID"])
        return None

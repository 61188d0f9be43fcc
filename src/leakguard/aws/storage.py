"""S3 objects leakguard writes and reads: large reports, quarantine bundles and their manifests.

Writes carry no encryption header on purpose: the buckets' default encryption (SSE-KMS with the
stack's customer managed key) applies. A bare ``ServerSideEncryption: aws:kms`` header would make S3
use the account's AWS managed key instead, which every S3 user of the account may decrypt with.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3


class ObjectStore:
    """A few S3 calls; encryption is the bucket's default (SSE-KMS, customer managed key)."""

    def __init__(self, client: Any | None = None) -> None:
        self.client = client if client is not None else boto3.client("s3")

    def put_json(self, bucket: str, key: str, document: Any) -> None:
        """Write a JSON document."""
        body = json.dumps(document, indent=1, sort_keys=True).encode("utf-8")
        self.client.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")

    def get_json(self, bucket: str, key: str) -> Any:
        """Read a JSON document."""
        return json.loads(self.client.get_object(Bucket=bucket, Key=key)["Body"].read())

    def upload_file(self, bucket: str, key: str, path: Path) -> None:
        """Upload a file (a git bundle)."""
        self.client.upload_file(str(path), bucket, key)

    def download_file(self, bucket: str, key: str, path: Path) -> None:
        """Download a file."""
        self.client.download_file(bucket, key, str(path))

    def find_key(self, bucket: str, prefix: str, suffix: str) -> list[str]:
        """Keys under ``prefix`` ending with ``suffix`` (to find an incident's bundle without its repo)."""
        keys: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(suffix))
        return keys

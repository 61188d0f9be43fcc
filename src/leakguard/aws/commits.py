"""CodeCommit's object API: commits, differences and blobs by id, whether or not a ref reaches them.

The inspector falls back to it when a pushed commit vanished from the refs before it could be fetched
(force-pushed away, branch deleted): git servers need not serve unadvertised objects, the API does.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3


class CodeCommitObjects:
    """GetCommit, GetDifferences (every page) and GetBlob."""

    def __init__(self, client: Any | None = None) -> None:
        self.client = client if client is not None else boto3.client("codecommit")

    def created_at(self, repository: str) -> datetime | None:
        """When the repository was created (GetRepository), to tell a new repository from an old one."""
        created = self.client.get_repository(repositoryName=repository)["repositoryMetadata"].get(
            "creationDate"
        )
        return created if isinstance(created, datetime) else None

    def commit(self, repository: str, commit_id: str) -> dict[str, Any]:
        """The commit: ``parents``, ``message``, ``author`` {name, email, date}, ``treeId``."""
        return dict(self.client.get_commit(repositoryName=repository, commitId=commit_id)["commit"])

    def differences(self, repository: str, *, before: str | None, after: str) -> Iterator[dict[str, Any]]:
        """Every difference between two commits (all files of ``after`` when ``before`` is None)."""
        kwargs: dict[str, Any] = {"repositoryName": repository, "afterCommitSpecifier": after}
        if before is not None:
            kwargs["beforeCommitSpecifier"] = before
        while True:
            page = self.client.get_differences(**kwargs)
            yield from page.get("differences", [])
            token = page.get("NextToken")
            if not token:
                return
            kwargs["NextToken"] = token

    def blob(self, repository: str, blob_id: str) -> bytes:
        """A blob's content (botocore decodes the base64 of the wire format)."""
        content = self.client.get_blob(repositoryName=repository, blobId=blob_id)["content"]
        return content if isinstance(content, bytes) else base64.b64decode(content)

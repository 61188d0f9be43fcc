"""CodeCommit repository and tag calls (the lock and ``leakguard unlock``)."""

from __future__ import annotations

from typing import Any

import boto3


class RepositoryTags:
    """Reads and writes the tags of CodeCommit repositories."""

    def __init__(self, client: Any | None = None) -> None:
        self.client = client if client is not None else boto3.client("codecommit")

    def repository_arn(self, name: str) -> str:
        """The ARN of repository ``name`` (GetRepository)."""
        metadata = self.client.get_repository(repositoryName=name)["repositoryMetadata"]
        return str(metadata["Arn"])

    def tags(self, arn: str) -> dict[str, str]:
        """All tags of the repository, following ``nextToken``."""
        tags: dict[str, str] = {}
        kwargs: dict[str, str] = {"resourceArn": arn}
        while True:
            page = self.client.list_tags_for_resource(**kwargs)
            tags.update(page.get("tags", {}))
            if not page.get("nextToken"):
                return tags
            kwargs["nextToken"] = page["nextToken"]

    def tag(self, arn: str, tags: dict[str, str]) -> None:
        """Add or overwrite tags (TagResource)."""
        self.client.tag_resource(resourceArn=arn, tags=tags)

    def untag(self, arn: str, keys: list[str]) -> None:
        """Remove tags (UntagResource)."""
        self.client.untag_resource(resourceArn=arn, tagKeys=keys)

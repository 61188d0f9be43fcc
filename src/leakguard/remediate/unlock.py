"""Unlock: an explicit, audited admin action that removes the lock tag and records who and why."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import boto3

from leakguard.aws.codecommit import RepositoryTags
from leakguard.errors import ConfigError
from leakguard.events.codecommit import validate_repository_name
from leakguard.remediate.lock import LockTag, utc_now

#: Characters CodeCommit allows in tag values; anything else in a reason becomes a space.
_TAG_VALUE_FORBIDDEN = re.compile(r"[^\w\s.:/=+\-@]")
_TAG_VALUE_MAX = 256


def tag_value(text: str) -> str:
    """``text`` made acceptable as a CodeCommit tag value."""
    return " ".join(_TAG_VALUE_FORBIDDEN.sub(" ", text).split())[:_TAG_VALUE_MAX]


@dataclass(frozen=True)
class UnlockResult:
    """What ``leakguard unlock`` did."""

    repository: str
    status: str
    by: str
    reason: str


class Unlocker:
    """Removes the lock tag with the admin's own credentials and leaves an audit trail in tags."""

    def __init__(self, tags: RepositoryTags, sts: Any | None = None, tag: LockTag | None = None) -> None:
        self.tags = tags
        self.sts = sts if sts is not None else boto3.client("sts")
        self.tag = tag or LockTag()

    def unlock(self, repository: str, reason: str) -> UnlockResult:
        """Remove the lock tag and record ``leakguard:unlockedBy/unlockReason/unlockedAt``.

        The tag is removed rather than flipped, so the lock policy is lifted whether it tests the
        tag's value or only its presence. A repository that is not locked is left untouched.
        """
        validate_repository_name(repository)
        if not reason.strip():
            raise ConfigError("--reason must say why the repository is unlocked (it is recorded)")
        who = str(self.sts.get_caller_identity()["Arn"])
        arn = self.tags.repository_arn(repository)
        if self.tags.tags(arn).get(self.tag.key) != self.tag.value:
            return UnlockResult(repository, "not-locked", who, reason)
        self.tags.untag(arn, [self.tag.key])
        self.tags.tag(
            arn,
            {
                "leakguard:unlockedBy": tag_value(who),
                "leakguard:unlockReason": tag_value(reason) or "unspecified",
                "leakguard:unlockedAt": utc_now(),
            },
        )
        return UnlockResult(repository, "unlocked", who, reason)

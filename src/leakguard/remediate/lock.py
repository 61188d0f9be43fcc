"""Lock: tag the repository so the developer policy denies git pull/push and tag changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from leakguard.aws.codecommit import RepositoryTags
from leakguard.aws.notifications import Publisher
from leakguard.events.security import SecurityEvent


def utc_now() -> str:
    """A timestamp CodeCommit accepts as a tag value (no '+' offsets needed)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class LockTag:
    """The tag that means "locked" (``RepoState=locked`` by default)."""

    key: str = "RepoState"
    value: str = "locked"


class Locker:
    """Locks a repository for an enforce incident whose repository opted in to locking."""

    def __init__(self, tag: LockTag, tags: RepositoryTags, publisher: Publisher) -> None:
        self.tag = tag
        self.tags = tags
        self.publisher = publisher

    def lock(self, incident: SecurityEvent) -> dict[str, Any]:
        """Tag the repository; a repository already locked is left as it is (and no second message)."""
        result: dict[str, Any] = {"incidentId": incident.incidentId, "repository": incident.repository.name}
        if not incident.enforced:
            return {**result, "status": "skipped", "reason": "monitor-mode incident: notify only"}
        if not incident.remediations.lock:
            return {**result, "status": "skipped", "reason": "lock not enabled for this repository"}
        arn = incident.repository.arn or self.tags.repository_arn(incident.repository.name)
        if self.tags.tags(arn).get(self.tag.key) == self.tag.value:
            return {**result, "status": "already-locked"}
        self.tags.tag(
            arn,
            {
                self.tag.key: self.tag.value,
                "leakguard:lockedAt": utc_now(),
                "leakguard:lockIncident": incident.incidentId,
            },
        )
        self.publisher.publish(
            f"[leakguard] Locked {incident.repository.name}",
            f"leakguard locked CodeCommit repository {incident.repository.name} (tag "
            f"{self.tag.key}={self.tag.value}) for incident {incident.incidentId}: developers can neither "
            "pull nor push until an admin unlocks it.\n\nAfter rotating the leaked credential(s):\n"
            f'  leakguard unlock {incident.repository.name} --reason "credential rotated"\n',
        )
        return {**result, "status": "locked", "tag": f"{self.tag.key}={self.tag.value}"}

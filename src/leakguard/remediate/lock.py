"""Lock: tag the repository so the developer policy denies access, degrading instead of failing.

CodeCommit allows 50 tags per repository. The lock tag is what the policy tests, so it is written
first and alone; the audit tags (when, which incident) follow only as far as room allows. If even the
lock tag cannot be written, the admins get an alert that says so and the invocation fails, so it is
retried and finally parked where an alarm sees it.

The repository's ARN is looked up by name, never taken from the event, and the lock acts only where
the deployment enables it and only after the incident is verified (``verify``: in production
:class:`~leakguard.remediate.lock_verify.ApiIncidentCheck`, which re-scans the named commits over the
CodeCommit API).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from leakguard.aws.codecommit import RepositoryTags
from leakguard.aws.notifications import Publisher
from leakguard.errors import LeakguardError
from leakguard.events.security import SecurityEvent
from leakguard.remediate.alerts import UnverifiedIncident, publish_alert, refusal

logger = logging.getLogger(__name__)

#: CodeCommit's limit of tags per repository.
MAX_TAGS = 50
LOCKED_AT = "leakguard:lockedAt"
LOCK_INCIDENT = "leakguard:lockIncident"


def utc_now() -> str:
    """A timestamp CodeCommit accepts as a tag value (no '+' offsets needed)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class LockTag:
    """The tag that means "locked" (``RepoState=locked`` by default)."""

    key: str = "RepoState"
    value: str = "locked"


class LockError(LeakguardError):
    """Even the lock tag could not be written; raised after the alert so the invocation is retried."""


class Locker:
    """Locks a repository for a verified enforce incident whose repository opted in to locking."""

    def __init__(
        self,
        tag: LockTag,
        tags: RepositoryTags,
        publisher: Publisher,
        *,
        verify: Callable[[SecurityEvent], None],
        enabled: Callable[[str], bool] = lambda _repository: True,
        max_tags: int = MAX_TAGS,
    ) -> None:
        self.tag = tag
        self.tags = tags
        self.publisher = publisher
        self.enabled = enabled
        self.verify = verify
        self.max_tags = max_tags

    def lock(self, incident: SecurityEvent) -> dict[str, Any]:
        """Tag the repository; a repository already locked is left as it is (and no second message)."""
        repository = incident.repository.name
        result: dict[str, Any] = {"incidentId": incident.incidentId, "repository": repository}
        if not incident.enforced:
            return {**result, "status": "skipped", "reason": "monitor-mode incident: notify only"}
        if not incident.remediations.lock:
            return {**result, "status": "skipped", "reason": "lock not enabled for this repository"}
        if incident.ref_names_only:
            # Not a refusal: nothing is done, and the CodeCommit API lists no tags to confirm it with.
            reason = "the leak is only in a ref's name: left to the admins, who delete the ref"
            return {**result, "status": "skipped", "reason": reason}
        try:
            arn = self._checked_arn(incident)
        except UnverifiedIncident as refused:
            return self._refuse(incident, refused, result)
        existing = self.tags.tags(arn)
        if existing.get(self.tag.key) == self.tag.value:
            return {**result, "status": "already-locked"}
        try:
            self.tags.tag(arn, {self.tag.key: self.tag.value})
        except Exception as exc:  # an unlockable repository must reach a person, then be retried
            reason = _api_error(exc)
            logger.error("lock tag not written: %s", reason)
            publish_alert(
                self.publisher, *self._failure(repository, incident.incidentId, reason, len(existing))
            )
            raise LockError(f"could not lock {repository}: {reason}") from None
        written, skipped = self._audit(arn, incident, existing)
        lines = [
            f"leakguard locked CodeCommit repository {repository} (tag {self.tag.key}={self.tag.value}) "
            f"for incident {incident.incidentId}: developers can neither pull nor push until an admin "
            "unlocks it.",
        ]
        if skipped:
            lines.append(
                f"\nAudit tag(s) {', '.join(skipped)} not written: the repository has {len(existing) + 1} "
                f"tags and CodeCommit allows {self.max_tags}. The lock itself is in place."
            )
        lines.append(
            "\nAfter rotating the leaked credential(s):\n"
            f'  leakguard unlock {repository} --reason "credential rotated"\n'
        )
        self.publisher.publish(f"[leakguard] Locked {repository}", "\n".join(lines))
        return {
            **result,
            "status": "locked",
            "tag": f"{self.tag.key}={self.tag.value}",
            "auditTags": written,
            "auditTagsSkipped": skipped,
        }

    def _checked_arn(self, incident: SecurityEvent) -> str:
        """The repository's ARN by name, after the configuration and the verifier agreed."""
        repository = incident.repository.name
        if not self.enabled(repository):
            raise UnverifiedIncident(
                [f"lock is not enabled for repository {repository} in this deployment's configuration"]
            )
        arn = self.tags.repository_arn(repository)
        if incident.repository.arn not in (None, arn):
            raise UnverifiedIncident([f"the event's repository ARN is not the ARN of {repository}"])
        self.verify(incident)
        return arn

    def _audit(
        self, arn: str, incident: SecurityEvent, existing: dict[str, str]
    ) -> tuple[list[str], list[str]]:
        """Write the audit tags that fit (incident first, then time); return (written, skipped)."""
        wanted = {LOCK_INCIDENT: incident.incidentId, LOCKED_AT: utc_now()}
        room = self.max_tags - len(set(existing) | {self.tag.key})
        fits: dict[str, str] = {}
        for key, value in wanted.items():
            if key in existing or room > 0:
                fits[key] = value
                room -= key not in existing
        skipped = [k for k in wanted if k not in fits]
        if fits:
            try:
                self.tags.tag(arn, fits)
            except Exception as exc:
                logger.warning("audit tags not written: %s", _api_error(exc))
                return [], list(wanted)
        return list(fits), skipped

    def _refuse(
        self, incident: SecurityEvent, refused: UnverifiedIncident, result: dict[str, Any]
    ) -> dict[str, Any]:
        logger.error("lock refused an unverified incident", extra={"reasons": refused.reasons})
        subject, body = refusal(
            "lock",
            repository=incident.repository.name,
            reference=incident.reference.fullName,
            incident_id=incident.incidentId,
            reasons=refused.reasons,
        )
        if not publish_alert(self.publisher, subject, body):
            raise LockError("lock refused an unverified incident and could not alert") from None
        return {**result, "status": "refused", "reason": str(refused)}

    def _failure(self, repository: str, incident_id: str, reason: str, count: int) -> tuple[str, str]:
        body = (
            f"leakguard could NOT lock CodeCommit repository {repository} for incident {incident_id}:\n"
            f"  {reason}\n\n"
            f"The repository has {count} tag(s); CodeCommit allows {self.max_tags}. Developers still have "
            "access. The lock is retried; if it keeps failing the event is parked in the lock function's "
            "failure queue.\n\nWhat to do: remove a tag the repository does not need (or fix the cause "
            "above), then replay the parked event; meanwhile rotate the leaked credential.\n"
        )
        return f"[leakguard] LOCK FAILED for {repository}, action required", body


def _api_error(exc: Exception) -> str:
    """botocore's error code and message in one line, else the exception's kind and text."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        error = response["Error"]
        return f"{error.get('Code')}: {error.get('Message')}"
    return f"{type(exc).__name__}: {exc}"

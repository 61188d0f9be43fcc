"""Reset: move the leaking ref back to its last clean commit (or delete it) without clobbering anyone.

The push uses ``--force-with-lease`` on the head the bot last saw. If someone pushed meanwhile the
lease fails; reset fetches, re-evaluates against the new head (does it still carry the leak? which
commit is now the last clean one?), quarantines the extra commits and tries again, a bounded number of
times. Every outcome, including giving up, is published to the admins.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from leakguard.aws.notifications import Publisher
from leakguard.aws.storage import ObjectStore
from leakguard.errors import GitError, LeakguardError
from leakguard.events.security import SecurityEvent
from leakguard.git import Git, validate_commit_id, validate_ref_name
from leakguard.inspection.clone import CloneCache, scrub
from leakguard.inspection.commits import contaminated, last_clean_commit, other_ref_tips
from leakguard.remediate.quarantine import quarantine

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3

#: Subject line of the outcome message per status (SNS subjects are short; the body has the detail).
_OUTCOME = {
    "reset": "reset to its last clean commit",
    "deleted": "leaking ref deleted",
    "already-clean": "no reset needed, the leak is gone",
    "ref-gone": "no reset needed, the ref is gone",
    "failed": "RESET FAILED, action required",
}


class ResetError(LeakguardError):
    """Reset could not finish; the handler raises it so EventBridge retries and the DLQ keeps the event."""


class LeaseRejected(LeakguardError):
    """The ref moved since it was fetched: git refused the forced update."""


@dataclass
class ResetResult:
    """What reset did: ``status`` is reset, deleted, skipped, already-clean, ref-gone or failed."""

    incidentId: str
    repository: str
    reference: str
    status: str
    detail: str
    attempts: int = 0
    target: str | None = None
    quarantine: str | None = None
    removedCommits: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the handler's return value)."""
        return asdict(self)


class Resetter:
    """Quarantines and resets one incident's ref."""

    def __init__(
        self, *, clones: CloneCache, store: ObjectStore, publisher: Publisher, quarantine_bucket: str
    ) -> None:
        self.clones = clones
        self.store = store
        self.publisher = publisher
        self.bucket = quarantine_bucket

    def reset(self, incident: SecurityEvent) -> ResetResult:
        """Remediate ``incident``'s ref; publish the outcome; raise :class:`ResetError` if it gave up."""
        ref = validate_ref_name(incident.reference.fullName)
        result = ResetResult(incident.incidentId, incident.repository.name, ref, "skipped", "")
        if not incident.enforced:
            result.detail = "monitor-mode incident: notify only"
            return result
        if not incident.remediations.reset:
            result.detail = "reset not enabled for this repository"
            return result
        git = self.clones.sync(incident.repository.name)
        self._run(git, incident, result)
        self._publish(result)
        if result.status == "failed":
            raise ResetError(f"reset of {ref} in {incident.repository.name} failed: {result.detail}")
        return result

    def _run(self, git: Git, incident: SecurityEvent, result: ResetResult) -> None:
        ref, leaks = result.reference, incident.leakingCommits
        delete = incident.lastCleanCommitId is None
        heads: list[str] = []
        for attempt in range(1, MAX_ATTEMPTS + 1):
            result.attempts = attempt
            raw, head = _resolve(git, ref)
            if raw is None or head is None:
                result.status, result.detail = "ref-gone", f"{ref} no longer exists: nothing to reset"
                return
            if not contaminated(git, head, leaks):
                result.status = "already-clean"
                result.detail = (
                    f"{ref} is at {head[:12]}, which no longer contains the leaking commits: no change"
                )
                return
            target = None if delete else self._target(git, incident, head)
            if not delete and target is None:
                result.status = "failed"
                result.detail = f"no clean commit left on {ref}'s first-parent chain; refusing to delete it"
                return
            heads.append(head)
            saved = quarantine(
                git,
                self.store,
                bucket=self.bucket,
                repository=incident.repository.name,
                incident_id=incident.incidentId,
                full_ref=ref,
                heads=heads,
                exclude=[target] if target else other_ref_tips(git, ref),
            )
            result.quarantine, result.removedCommits, result.target = saved.url, saved.commits, target
            try:
                self._push(git, incident.repository.name, ref, lease=raw, target=target)
            except LeaseRejected:
                logger.warning(
                    "lease on %s rejected (attempt %d): the ref moved; re-evaluating", ref, attempt
                )
                self.clones.fetch(git, incident.repository.name)
                continue
            result.status = "deleted" if target is None else "reset"
            result.detail = (
                f"{ref} deleted (was {head[:12]})"
                if target is None
                else f"{ref} moved from {head[:12]} back to {target[:12]}"
            )
            return
        result.status = "failed"
        result.detail = f"{ref} kept moving: lease rejected {MAX_ATTEMPTS} times; nothing was clobbered"

    @staticmethod
    def _target(git: Git, incident: SecurityEvent, head: str) -> str | None:
        """The event's last clean commit while the head is unchanged; recomputed once it moved."""
        if head == incident.reference.newCommitId:
            return incident.lastCleanCommitId
        return last_clean_commit(git, head, incident.leakingCommits)

    def _push(self, git: Git, repository: str, ref: str, *, lease: str, target: str | None) -> None:
        source = validate_commit_id(target) if target else ""
        try:
            git.run(
                [
                    "push",
                    "--quiet",
                    "--no-verify",
                    f"--force-with-lease={ref}:{validate_commit_id(lease)}",
                    "--",
                    self.clones.remote_for(repository),
                    f"{source}:{ref}",
                ]
            )
        except GitError as exc:
            if "stale info" in exc.stderr or "fetch first" in exc.stderr:
                raise LeaseRejected(ref) from None
            raise ResetError(f"git push failed: {scrub(exc.stderr)[:500]}") from None

    def _publish(self, result: ResetResult) -> None:
        subject = f"[leakguard] {result.repository} {result.reference}: {_OUTCOME[result.status]}"
        lines = [
            f"Incident:   {result.incidentId}",
            f"Repository: {result.repository}",
            f"Reference:  {result.reference}",
            f"Outcome:    {result.status}: {result.detail}",
            f"Attempts:   {result.attempts}",
        ]
        if result.quarantine:
            lines += [
                f"Quarantine: {result.quarantine} ({len(result.removedCommits)} commit(s))",
                f"Restore:    leakguard restore {result.incidentId} --repository {result.repository} "
                "--bucket QUARANTINE_BUCKET --repo-dir PATH/TO/CLONE",
            ]
        if result.status == "failed":
            lines.append(
                "ACTION: reset gave up; remove the leaking commits by hand (the credential needs rotating)."
            )
        self.publisher.publish(subject, "\n".join(lines) + "\n")


def _resolve(git: Git, ref: str) -> tuple[str | None, str | None]:
    """The object ``ref`` holds (the lease compares it: a tag object for annotated tags) and its commit."""
    found: list[str | None] = []
    for spec in (ref, f"{ref}^{{commit}}"):
        text = (
            git.run(["rev-parse", "--verify", "--quiet", spec], check=False)
            .decode("ascii", "replace")
            .strip()
        )
        found.append(validate_commit_id(text) if text else None)
    return found[0], found[1]

"""What reset did, per ref, and the one outcome email an admin gets for it (success or failure)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from leakguard.remediate.alerts import shown

#: Subject line of the outcome message per status (SNS subjects are short; the body has the detail).
SUBJECTS = {
    "reset": "reset to its last clean commit",
    "deleted": "leaking ref deleted",
    "already-clean": "no reset needed, the leak is gone",
    "failed": "RESET FAILED, action required",
}


@dataclass
class RefOutcome:
    """One ref's fate: ``status`` is reset, deleted, failed, pending (lease lost) or already-clean."""

    ref: str
    status: str
    before: str | None
    target: str | None = None
    detail: str = ""


@dataclass
class ResetResult:
    """What a reset invocation did.

    ``status``: reset or deleted (every carrying ref contained), already-clean (nothing carries the
    leak), skipped (not enabled, monitor mode), refused (unverified incident) or failed.
    """

    incidentId: str
    repository: str
    reference: str
    status: str
    detail: str
    attempts: int = 0
    refs: list[RefOutcome] = field(default_factory=list)
    quarantine: list[str] = field(default_factory=list)
    removedCommits: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the handler's return value)."""
        return asdict(self)

    def settle(self) -> None:
        """Derive the overall status and detail from the refs' outcomes."""
        statuses = {o.status for o in self.refs}
        failed = [o for o in self.refs if o.status in ("failed", "pending")]
        if failed:
            self.status = "failed"
            self.detail = "; ".join(f"{shown(o.ref, 100)}: {o.detail}" for o in failed)
        elif "reset" in statuses:
            self.status, self.detail = "reset", _summary(self.refs)
        elif "deleted" in statuses:
            self.status, self.detail = "deleted", _summary(self.refs)
        else:
            self.status = "already-clean"
            self.detail = "no branch or tag carries the confirmed leaking commits any more: no change"


def _summary(refs: list[RefOutcome]) -> str:
    done = [o for o in refs if o.status in ("reset", "deleted")]
    return f"{len(done)} ref(s) contained: " + "; ".join(f"{shown(o.ref, 100)} {o.detail}" for o in done)


def outcome_message(result: ResetResult, *, error: str | None = None) -> tuple[str, str]:
    """Subject and body of the outcome email (one per invocation, success or failure)."""
    contained = sum(o.status in ("reset", "deleted") for o in result.refs)
    more = f" ({len(result.refs)} refs)" if len(result.refs) > 1 else ""
    subject = (
        f"[leakguard] {result.repository} {shown(result.reference, 60)}: {SUBJECTS[result.status]}{more}"
    )
    lines = [
        f"Incident:   {result.incidentId}",
        f"Repository: {result.repository}",
        f"Reference:  {shown(result.reference)} (the pushed ref)",
        f"Outcome:    {result.status}: {error or result.detail}",
        f"Attempts:   {result.attempts}",
    ]
    if result.refs:
        lines.append(f"Refs carrying the leak ({contained} of {len(result.refs)} contained):")
        lines += [f"  - {shown(o.ref)}: {o.status}, {o.detail}" for o in result.refs]
    if result.quarantine:
        lines += [
            f"Quarantine: {len(result.removedCommits)} commit(s) in {len(result.quarantine)} "
            "verified bundle(s):",
            *(f"  - {url}" for url in result.quarantine),
            f"Restore:    leakguard restore {result.incidentId} --repository {result.repository} "
            "--bucket QUARANTINE_BUCKET --repo-dir PATH/TO/CLONE",
        ]
    if result.unconfirmed:
        lines.append(
            f"Unconfirmed: {len(result.unconfirmed)} commit(s) the event names as leaking hold no "
            "enforce-mode finding under the deployed rules (or are gone); they were not acted on."
        )
    if result.status == "failed":
        lines += [
            "",
            "ACTION: reset did not finish. Nothing was removed without being quarantined first. The",
            "invocation fails so that it is retried; if it keeps failing the event is parked in the reset",
            "function's failure queue for replay. Until then the leaking commits may still be on the refs",
            "above: remove them by hand if needed, and rotate the credential in any case.",
        ]
    return subject, "\n".join(lines) + "\n"

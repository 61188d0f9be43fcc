"""The inspector's hook into the acceptance policy: settle a push's acceptances, say so in the event.

Kept apart from :mod:`leakguard.inspection` so the inspector calls three small functions and knows
nothing of ignore files, provenance or policies.
"""

from __future__ import annotations

from collections.abc import Callable

from leakguard.acceptance.notice import accepted_details, build_notice
from leakguard.acceptance.policy import AcceptancePolicy, apply_policy
from leakguard.acceptance.repository import fill_provenance, ignore_file_blob, pushed_ignore_list
from leakguard.events.bypass import BypassNotice
from leakguard.events.codecommit import CodeCommitEvent
from leakguard.events.security import SecurityEvent
from leakguard.git import Git
from leakguard.scan import ScanReport

__all__ = ["annotate_incident", "bypass_notice", "ignore_file_blob", "pushed_ignore_list", "settle"]


def settle(git: Git, report: ScanReport, *, head: str, policy: AcceptancePolicy) -> None:
    """Attribute every acceptance to its commit and author, then apply the repository's policy."""
    if report.accepted:
        fill_provenance(git, report, head)
    apply_policy(report, policy)


def annotate_incident(incident: SecurityEvent, report: ScanReport, policy: AcceptancePolicy) -> SecurityEvent:
    """The incident with its audit trail: honoured bypasses, or the acceptances the policy overruled."""
    trail = report.accepted or report.overruled
    if not trail:
        return incident
    return incident.model_copy(
        update={
            "acceptedFindings": accepted_details(trail),
            "acceptedCount": len(trail),
            "acceptancePolicy": policy,
        }
    )


def bypass_notice(
    event: CodeCommitEvent,
    report: ScanReport,
    *,
    forced: bool,
    shown: Callable[[str], str] = lambda name: name,
) -> BypassNotice | None:
    """The notice of a push whose only findings were accepted; None when there is nothing to tell.

    ``shown`` masks the pushed ref's name if it holds a credential (an accepted ``ref-name`` finding).
    """
    if report.findings or not report.accepted:
        return None
    return build_notice(event, report.accepted, forced=forced, shown=shown)

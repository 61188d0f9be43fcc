"""Applying a repository's acceptance policy to a scan report (the same call in the CLI and the bot)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from leakguard.findings import AcceptedFinding
    from leakguard.scan import ScanReport

#: ``honour``: accepted findings are bypasses, honoured and audited (the default);
#: ``findings``: in-repository acceptances count for nothing, every accepted finding is a finding.
AcceptancePolicy = Literal["honour", "findings"]
ACCEPTANCE_POLICIES: tuple[str, ...] = get_args(AcceptancePolicy)
DEFAULT_POLICY: AcceptancePolicy = "honour"


def apply_policy(report: ScanReport, policy: AcceptancePolicy) -> list[AcceptedFinding]:
    """Make ``report`` say what ``policy`` decides; return the acceptances it overruled.

    Under ``findings`` the accepted findings move back into ``report.findings`` (in their scan order
    with the others), so they lock, reset and fail the CLI like any finding.
    """
    if policy == "honour" or not report.accepted:
        return []
    overruled = report.accepted
    report.accepted, report.overruled = [], overruled
    position = {commit: index for index, commit in enumerate(report.commits)}
    report.findings = sorted(
        [*report.findings, *(a.finding for a in overruled)],
        key=lambda f: (position.get(f.commit or "", -1), f.path, f.line, f.column),
    )
    return overruled

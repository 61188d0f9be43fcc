"""The admins' notice of honoured bypasses: the event detail, and its email.

Only formats what the scan already redacted; nothing here can reveal a secret.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from leakguard.events.bypass import MAX_LISTED, BypassNotice, notice_id
from leakguard.events.codecommit import CodeCommitEvent
from leakguard.events.security import Repository, pushed_reference
from leakguard.findings import AcceptedFinding
from leakguard.report.display import printable

SUBJECT_PREFIX = "[leakguard audit]"


def build_notice(
    event: CodeCommitEvent,
    accepted: list[AcceptedFinding],
    *,
    forced: bool,
    shown: Callable[[str], str] = lambda name: name,
) -> BypassNotice:
    """The notice of a push whose every finding the repository accepted (policy ``honour``)."""
    detail = event.detail
    assert detail.commitId is not None  # noqa: S101 - deletions never get here
    return BypassNotice(
        noticeId=notice_id(detail.repositoryName, detail.referenceFullName, detail.commitId),
        detectedAt=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        account=event.account,
        region=event.region,
        repository=Repository(name=detail.repositoryName, arn=event.repository_arn),
        reference=pushed_reference(event, forced=forced, shown=shown),
        pusher=detail.callerUserArn,
        acceptedFindings=accepted_details(accepted),
        acceptedCount=len(accepted),
    )


def accepted_details(accepted: list[AcceptedFinding]) -> list[dict[str, Any]]:
    """The event form of accepted findings, at most :data:`MAX_LISTED` of them."""
    return [a.to_dict() for a in accepted[:MAX_LISTED]]


def notice_subject(notice: BypassNotice) -> str:
    """Says it is an audit record and that nothing was done (SNS caps subjects at 100 characters)."""
    noun = "finding" if notice.acceptedCount == 1 else "findings"
    subject = (
        f"{SUBJECT_PREFIX} {notice.acceptedCount} accepted {noun} in {notice.repository.name} "
        f"{notice.reference.name}"
    )
    return subject[:100]


def accepted_lines(accepted: list[dict[str, Any]]) -> list[str]:
    """One block per accepted finding: where, what, how, by whom, in which commit, why."""
    lines = []
    for item in accepted:
        finding = item["finding"]
        how = (
            "leakguard:allow comment"
            if item["via"] == "inline"
            else f".leakguardignore entry {printable(str(item['entry']))}"
        )
        commit = (item.get("acceptedIn") or "")[:12] or "before this push"
        lines += [
            f"  - {printable(finding['path'])}:{finding['line']}  rule {finding['rule_id']} "
            f"({finding['severity']})  match {finding['redacted']}  "
            f"commit {(finding.get('commit') or '')[:12]}",
            f"      accepted by {how}",
            f"      accepted in {commit} by {printable(item.get('acceptedBy') or 'unknown')}; "
            f"reason: {printable(item.get('reason') or '(none given)')}",
        ]
    return lines


def notice_body(notice: BypassNotice) -> str:
    """Plain text: what was accepted, by whom and why; what to do if the acceptance is wrong."""
    ref = notice.reference
    hidden = notice.acceptedCount - len(notice.acceptedFindings)
    lines = [
        "A push carried findings that the repository itself accepts (.leakguardignore entries or",
        "leakguard:allow comments). The repository's policy honours such bypasses: it was neither locked",
        "nor reset. This notice is the audit record of the bypass.",
        "",
        f"Repository:  {notice.repository.name}",
        f"Reference:   {printable(ref.fullName)} ({ref.event}{', forced' if ref.forced else ''})",
        f"Commits:     {(ref.oldCommitId or '(new ref)')[:12]} -> {ref.newCommitId[:12]}",
        f"Pushed by:   {printable(notice.pusher or 'unknown')}",
        f"Notice:      {notice.noticeId}",
        "",
        "Accepted findings (matches are redacted):",
        *accepted_lines(notice.acceptedFindings),
    ]
    if hidden > 0:
        lines.append(f"  ... and {hidden} more")
    lines += [
        "",
        "If an acceptance is not legitimate (a real credential, not a test fixture):",
        "  1. Treat it as a leak: rotate the credential; removing it from git is not enough.",
        "  2. Remove the entry or comment, and ask the author why it was added.",
        '  3. To stop honouring bypasses in this repository, set its acceptancePolicy to "findings"',
        '     in the stack\'s context and redeploy (see docs/admin.md, "Accepted findings").',
    ]
    return "\n".join(lines) + "\n"

"""The audit of pre-existing history (``leakguard baseline --audit``): one report, one email.

Only formats: findings are already redacted, names are escaped here for the email.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from leakguard.inspection.baseline import BaselineResult
from leakguard.remediate.email import finding_location
from leakguard.report.display import printable

SUBJECT_PREFIX = "[AUDIT]"
MAX_LISTED = 100


def audit_document(results: Sequence[BaselineResult]) -> dict[str, Any]:
    """The audit as JSON: per repository, what was read and every (redacted) finding."""
    return {
        "kind": "leakguard-audit",
        "auditedAt": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "repositories": [
            {
                "name": r.repository,
                "refs": r.refs,
                "baselineTips": r.tips,
                "commits": len(r.audit.commits) if r.audit else 0,
                "findings": [f.to_dict() for f in r.audit.findings] if r.audit else [],
                "skipped": [s.to_dict() for s in r.audit.skipped] if r.audit else [],
            }
            for r in results
        ],
    }


def audit_email(results: Sequence[BaselineResult], *, report_url: str | None = None) -> tuple[str, str]:
    """Subject and body of the one email an audit sends."""
    findings = [(r.repository, f) for r in results if r.audit for f in r.audit.findings]
    leaky = sorted({repository for repository, _ in findings})
    noun = "credential" if len(findings) == 1 else "credentials"
    subject = (
        f"{SUBJECT_PREFIX} {len(findings)} pre-existing {noun} in {len(leaky)} of {len(results)} repositories"
    )
    commits = sum(len(r.audit.commits) for r in results if r.audit)
    lines = [
        f"leakguard audited the full history of {len(results)} CodeCommit repositories ({commits} commits)",
        "before recording them as its baseline. This is a notification only: nothing was locked or reset.",
        "",
    ]
    for result in results:
        found = result.audit.findings if result.audit else []
        lines.append(f"{result.repository}: {len(found)} finding(s), {result.refs} refs")
    if findings:
        lines += ["", "Findings (matches are redacted):"]
        for repository, finding in findings[:MAX_LISTED]:
            commit = (finding.commit or "")[:12]
            lines.append(
                f"  - {repository}  {finding_location(finding.to_dict())}  rule {finding.rule_id} "
                f"({finding.severity})  match {finding.redacted}  commit {commit}  "
                f"author {printable(finding.author or 'unknown')}"
            )
        if len(findings) > MAX_LISTED:
            lines.append(f"  ... and {len(findings) - MAX_LISTED} more")
    if report_url:
        lines += ["", f"Full report: {report_url}"]
    lines += [
        "",
        "Next steps:",
        "  1. Rotate (revoke and reissue) every credential above: it has been readable by everyone with",
        "     pull access for as long as it has been in history.",
        "  2. Rewriting history is optional once rotated; leakguard will not alert on these commits again.",
        "  3. New pushes to these repositories are scanned as usual from now on.",
    ]
    return subject, "\n".join(lines) + "\n"

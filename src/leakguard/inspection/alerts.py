"""The warning admins get when a pushed commit vanished before leakguard could read it.

Sent straight to the admins' topic by the inspector: there is no incident to emit (nothing was
scanned), yet the push may have made a credential public for the seconds it was on a ref.
"""

from __future__ import annotations

from collections.abc import Callable

from leakguard.events.codecommit import CodeCommitEvent
from leakguard.report.display import printable

SUBJECT_PREFIX = "[WARNING]"


def vanished_unscanned(
    event: CodeCommitEvent, why: str, *, shown: Callable[[str], str] = lambda name: name
) -> tuple[str, str]:
    """Subject and body of the warning; ``shown`` masks a ref name that holds a credential."""
    detail = event.detail
    ref = printable(shown(detail.referenceFullName))
    where = f"{detail.repositoryName} {printable(shown(detail.referenceName))}"
    subject = f"{SUBJECT_PREFIX} pushed commit vanished unscanned in {where}"
    body = "\n".join(
        [
            "leakguard could not scan a pushed commit: it was removed from the repository's refs (force push",
            "or branch deletion) before the inspector ran, the git server would not serve it by id, and the",
            "CodeCommit API could not read it either.",
            "",
            f"Repository:  {detail.repositoryName}",
            f"Reference:   {ref} ({detail.event})",
            f"Commit:      {detail.commitId}",
            f"Pushed by:   {printable(detail.callerUserArn or 'unknown')}",
            f"Cause:       {printable(why)}",
            "",
            "What to do:",
            "  1. Ask the pusher what the commit contained. If it may have held a credential, rotate it:",
            "     it was readable by everyone with pull access while the ref pointed at it.",
            "  2. Try reading it yourself: aws codecommit get-commit "
            f"--repository-name {detail.repositoryName} --commit-id {detail.commitId}",
        ]
    )
    return subject, body + "\n"


def too_large_to_scan(
    event: CodeCommitEvent, scanned: int, *, shown: Callable[[str], str] = lambda name: name
) -> tuple[str, str]:
    """Subject and body of the warning for a push the inspector could not scan within its time."""
    detail = event.detail
    ref = printable(shown(detail.referenceFullName))
    where = f"{detail.repositoryName} {printable(shown(detail.referenceName))}"
    subject = f"{SUBJECT_PREFIX} push too large to scan in time in {where}"
    pushed_range = f"{detail.oldCommitId}..{detail.commitId}" if detail.oldCommitId else f"{detail.commitId}"
    body = "\n".join(
        [
            "leakguard stopped scanning a push before its function's time ran out: the push is too large",
            f"for one invocation. {scanned} commit(s) were scanned; nothing of the push is recorded as",
            "scanned, so its next push scans it again (and may stop again if it is still too large).",
            "Findings in the part that was scanned are not reported: treat the push as unscanned.",
            "",
            f"Repository:  {detail.repositoryName}",
            f"Reference:   {ref} ({detail.event})",
            f"Old commit:  {detail.oldCommitId or '(new ref)'}",
            f"New commit:  {detail.commitId}",
            f"Pushed by:   {printable(detail.callerUserArn or 'unknown')}",
            "",
            "What to do:",
            "  1. Scan the pushed range yourself, from a clone of the repository:",
            f"     leakguard scan --range {pushed_range}",
            "  2. If it holds a credential, rotate it, then remove it from history.",
        ]
    )
    return subject, body + "\n"

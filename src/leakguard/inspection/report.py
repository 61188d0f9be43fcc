"""Builds the security event of one push, and shrinks it to fit EventBridge when it must."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from leakguard.events.codecommit import CodeCommitEvent
from leakguard.events.security import (
    AffectedRef,
    BroughtBack,
    CommitRef,
    Remediations,
    ReportLocation,
    Repository,
    ScanStats,
    SecurityEvent,
    SkippedRef,
    incident_id,
    pushed_reference,
)
from leakguard.inspection.push import PushScan
from leakguard.scan import ScanReport
from leakguard.settings import RemediationSwitches
from leakguard.sources.base import SOURCE_REF_NAME, SOURCE_TAG_MESSAGE


@dataclass(frozen=True)
class PushFacts:
    """What the inspector learnt about a push besides the scan itself."""

    forced: bool
    duration_ms: int
    first_sight: bool = False
    vanished: tuple[str, ...] = ()


def leaking_commits(report: ScanReport, mode: str) -> list[str]:
    """Commits an enforce incident removes (enforce findings only); any commit with a finding otherwise.

    A finding in an annotated tag's message names the tag object, not a commit: removing it means
    deleting the tag (it is in ``references``), never rewinding a branch. A finding in a ref's name
    names the commit the ref points at, which may be clean: its remedy is deleting the ref.
    """
    findings = report.enforced if mode == "enforce" else report.findings
    seen: dict[str, None] = {}
    for finding in findings:
        if finding.commit and finding.source not in (SOURCE_TAG_MESSAGE, SOURCE_REF_NAME):
            seen.setdefault(finding.commit, None)
    return list(seen)


def build_event(
    event: CodeCommitEvent,
    push: PushScan,
    facts: PushFacts,
    *,
    last_clean: str | None,
    switches: RemediationSwitches,
    shown: Callable[[str], str] = lambda name: name,
) -> SecurityEvent:
    """The full security event of a push with findings (before any size reduction).

    ``shown`` masks a ref name holding a credential (:class:`~leakguard.scan.PathMasker`): the event
    names every ref as people may see it, never in clear.
    """
    detail = event.detail
    report = push.report
    assert detail.commitId is not None  # noqa: S101 - referenceDeleted never gets here
    mode: Literal["enforce", "monitor"] = "enforce" if report.enforced else "monitor"
    return SecurityEvent(
        incidentId=incident_id(
            detail.repositoryName,
            [*push.leaking_commits, *push.leaking_tags, *push.leaking_ref_names],
            after=push.brought_back.values(),
        ),
        detectedAt=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        mode=mode,
        account=event.account,
        region=event.region,
        repository=Repository(name=detail.repositoryName, arn=event.repository_arn),
        reference=pushed_reference(event, forced=facts.forced, shown=shown),
        pusher=detail.callerUserArn,
        commits=[CommitRef(id=c, author=a) for c, a in push.authors],
        commitCount=len(push.authors),
        leakingCommits=leaking_commits(report, mode),
        findings=[f.to_dict() for f in report.findings],
        findingCount=len(report.findings),
        findingsTruncated=False,
        lastCleanCommitId=last_clean,
        remediations=Remediations(lock=switches.lock, reset=switches.reset),
        report=None,
        scan=ScanStats(
            commits=len(report.commits),
            files=report.files,
            bytes=report.bytes,
            skippedFiles=len(report.skipped),
            durationMs=facts.duration_ms,
        ),
        references=[
            AffectedRef(fullName=shown(r.full_name), commitId=r.commit_id, objectId=r.object_id)
            for r in push.references
        ],
        vanishedCommits=list(facts.vanished),
        firstSight=facts.first_sight,
        broughtBack=[BroughtBack(commit=c, removedBy=i) for c, i in sorted(push.brought_back.items())],
        skipped=listed_skipped(report) or None,
    )


#: Skipped entries an event lists at most (``scan.skippedFiles`` counts them all).
MAX_LISTED_SKIPPED = 100
#: Reasons that mean "not text" rather than "text we could not read": alone they do not warrant a notice.
PLAIN_BINARY_REASONS = frozenset({"binary file"})


def listed_skipped(report: ScanReport) -> list[SkippedRef]:
    """The first MAX_LISTED_SKIPPED skipped items, for the event and the email."""
    return [
        SkippedRef(path=item.path, reason=item.reason, commit=item.commit)
        for item in report.skipped[:MAX_LISTED_SKIPPED]
    ]


def notice_worthy(report: ScanReport, level: str) -> bool:
    """Whether a clean push's skipped content calls for a notice at setting ``level``.

    ``off``: never. ``unreadable`` (default): text that could not be read in full (oversized, encrypted
    or refused archives, too deep). ``all``: also plain binaries (images, executables).
    """
    if level == "off" or not report.skipped:
        return False
    return level == "all" or any(item.reason not in PLAIN_BINARY_REASONS for item in report.skipped)


def build_notice(
    event: CodeCommitEvent,
    push: PushScan,
    facts: PushFacts,
    *,
    switches: RemediationSwitches,
    shown: Callable[[str], str] = lambda name: name,
) -> SecurityEvent:
    """A low-severity notice: no finding, but content that was not read (monitor mode, no remediation)."""
    detail = event.detail
    assert detail.commitId is not None  # noqa: S101
    return build_event(event, push, facts, last_clean=None, switches=switches, shown=shown).model_copy(
        update={
            "incidentId": incident_id(
                detail.repositoryName, [f"notice:{detail.referenceFullName}", detail.commitId]
            ),
            "kind": "notice",
            "mode": "monitor",
            "remediations": Remediations(lock=False, reset=False),
        }
    )


def detail_size(detail: dict[str, Any]) -> int:
    """Bytes the detail takes in a PutEvents entry."""
    return len(json.dumps(detail, separators=(",", ":")).encode("utf-8"))


def report_key(event: SecurityEvent) -> str:
    """Where the full report of an incident goes in the report bucket."""
    return f"reports/{event.repository.name}/{event.incidentId}.json"


def shrink(event: SecurityEvent, *, bucket: str, limit: int) -> SecurityEvent:
    """A copy that fits ``limit`` bytes: findings, commits and references halved until it fits.

    ``leakingCommits`` is kept whole because reset needs it; the caller has stored the full event at
    ``report`` (which the consumers read when ``findingsTruncated``) before emitting this one.
    """
    lists: dict[str, list[Any]] = {
        "findings": list(event.findings),
        "commits": list(event.commits),
        "references": list(event.references),
    }
    location = ReportLocation(bucket=bucket, key=report_key(event))
    while True:
        smaller = event.model_copy(update={**lists, "findingsTruncated": True, "report": location})
        if detail_size(smaller.model_dump(mode="json")) <= limit or not any(lists.values()):
            return smaller
        longest = max(lists, key=lambda name: len(lists[name]))
        lists[longest] = lists[longest][: len(lists[longest]) // 2]

"""The inspector: one CodeCommit push in, at most one security event out.

Every early exit (deleted ref, unwatched repository, nothing new) returns a result saying why, and the
handler logs it: "ignored" must always be explainable from the logs alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from leakguard.acceptance import bot as acceptance
from leakguard.aws.eventbus import MAX_DETAIL_BYTES, SecurityEventBus
from leakguard.aws.storage import ObjectStore
from leakguard.detect.engine import Detector
from leakguard.events.bypass import BYPASS_NOTICE_DETAIL_TYPE
from leakguard.events.codecommit import CodeCommitEvent
from leakguard.events.security import SecurityEvent
from leakguard.findings import SkippedFile
from leakguard.git import Git
from leakguard.inspection import commits as history
from leakguard.inspection.clone import CloneCache
from leakguard.inspection.report import (
    PushFacts,
    build_event,
    build_notice,
    detail_size,
    leaking_commits,
    notice_worthy,
    shrink,
)
from leakguard.scan import ScanReport, run_scan
from leakguard.settings import InspectorSettings, RemediationSwitches
from leakguard.sources.base import CommitInfo, Fragment
from leakguard.sources.history import commit_fragments

logger = logging.getLogger(__name__)


@dataclass
class InspectionResult:
    """What happened to one push: ``status`` is ``ignored``, ``clean``, ``bypassed`` or ``incident``."""

    status: str
    reason: str = ""
    repository: str | None = None
    reference: str | None = None
    commits: int = 0
    files: int = 0
    bytes: int = 0
    findings: int = 0
    #: Findings accepted in the repository (bypasses); None (left out of the summary) when there were none.
    accepted: int | None = None
    duration_ms: int = 0
    incident_id: str | None = None
    event: dict[str, Any] | None = field(default=None, repr=False)

    def summary(self) -> dict[str, Any]:
        """Log- and return-friendly form (no event body, no secret: findings are counts)."""
        return {k: v for k, v in self.__dict__.items() if k != "event" and v not in (None, "")}


class Inspector:
    """Scans a push with a :class:`Detector` and emits its security event."""

    def __init__(
        self,
        settings: InspectorSettings,
        detector: Detector,
        *,
        clones: CloneCache,
        bus: SecurityEventBus,
        store: ObjectStore,
        max_detail_bytes: int = MAX_DETAIL_BYTES,
    ) -> None:
        self.settings = settings
        self.detector = detector
        self.clones = clones
        self.bus = bus
        self.store = store
        self.max_detail_bytes = max_detail_bytes

    def inspect(self, event: CodeCommitEvent) -> InspectionResult:
        """Scan the commits the push introduced; emit one security event if anything was found."""
        detail = event.detail
        repo, ref = detail.repositoryName, detail.referenceFullName
        if detail.event == "referenceDeleted":
            return InspectionResult(
                "ignored",
                "reference deleted: a deletion introduces no commits",
                repository=repo,
                reference=ref,
            )
        if not self.settings.watches(detail.repositoryName):
            return InspectionResult(
                "ignored", "repository not in WATCHED_REPOSITORIES", repository=repo, reference=ref
            )
        assert detail.commitId is not None  # noqa: S101 - the event model guarantees it
        started = time.monotonic()
        git = self.clones.sync(detail.repositoryName)
        if not history.has_commit(git, detail.commitId):
            return InspectionResult(
                "ignored",
                "new commit no longer in the repository (ref moved on)",
                repository=repo,
                reference=ref,
            )
        old_known = self._old_known(git, detail.repositoryName, detail.oldCommitId)
        forced = bool(detail.oldCommitId) and not (
            old_known and history.is_ancestor(git, detail.oldCommitId or "", detail.commitId)
        )
        revisions = history.introduced_revisions(
            git, full_ref=detail.referenceFullName, new=detail.commitId, old=detail.oldCommitId
        )
        authors: list[tuple[str, str | None]] = []
        report = run_scan(
            self.detector,
            _recording(commit_fragments(git, revisions), authors),
            ignore=acceptance.pushed_ignore_list(git, detail.commitId),
        )
        policy = self.settings.acceptance_policy_for(repo)
        acceptance.settle(git, report, head=detail.commitId, policy=policy)
        elapsed = int((time.monotonic() - started) * 1000)
        result = InspectionResult(
            status="clean",
            reason="no findings" if authors else "no new commits (fast-forward to known history or a rewind)",
            commits=len(report.commits),
            files=report.files,
            bytes=report.bytes,
            findings=len(report.findings),
            accepted=len(report.accepted) or None,
            duration_ms=elapsed,
            repository=repo,
            reference=ref,
        )
        notice = acceptance.bypass_notice(event, report, forced=forced)
        if notice is not None:
            result.status, result.reason = (
                "bypassed",
                "every finding accepted in the repository: audit notice",
            )
            self.bus.put(
                notice.to_detail(), resources=_resources(event), detail_type=BYPASS_NOTICE_DETAIL_TYPE
            )
            return result
        if not report.findings:
            if notice_worthy(report, self.settings.skipped_content_notice):
                unread = build_notice(
                    event,
                    report,
                    PushFacts(forced=forced, commits=authors, duration_ms=elapsed),
                    switches=self.settings.remediations_for(detail.repositoryName),
                )
                result.reason = f"no findings; {len(report.skipped)} item(s) could not be read: notice sent"
                result.incident_id = unread.incidentId
                result.event = self._emit(unread, event)
            return result
        security_event = build_event(
            event,
            report,
            PushFacts(forced=forced, commits=authors, duration_ms=elapsed),
            last_clean=self._last_clean(git, event, report),
            switches=self._switches(detail.repositoryName, old_known),
        )
        security_event = acceptance.annotate_incident(security_event, report, policy)
        result.status, result.reason, result.incident_id = "incident", "findings", security_event.incidentId
        result.event = self._emit(security_event, event)
        return result

    def _old_known(self, git: Git, repository: str, old: str | None) -> bool:
        """Whether the clone has the old commit (a cold clone misses a head force-pushed away)."""
        if old is None or history.has_commit(git, old):
            return True
        return self.clones.fetch_commit(git, repository, old) and history.has_commit(git, old)

    def _switches(self, repository: str, old_known: bool) -> RemediationSwitches:
        """The repository's remediations; no reset when the old head is unknown.

        Without the old head the scan over-approximates (it may include history the push did not
        bring), which is safe for detection but could make reset rewind far too much.
        """
        switches = self.settings.remediations_for(repository)
        if not old_known:
            logger.warning("old commit of a forced update unavailable: scanned more history, reset disabled")
            return switches.model_copy(update={"reset": False})
        return switches

    def _last_clean(self, git: Git, event: CodeCommitEvent, report: ScanReport) -> str | None:
        """Where reset would move the ref; None: delete it (a created ref that only carries the leak)."""
        detail = event.detail
        assert detail.commitId is not None  # noqa: S101
        mode = "enforce" if report.enforced else "monitor"
        leaks = leaking_commits(report, mode)
        clean = history.last_clean_commit(git, detail.commitId, leaks)
        if detail.event == "referenceCreated" and clean is not None:
            introduced = set(report.commits)
            if detail.referenceType == "tag" or clean not in introduced:
                return None
        return clean

    def _emit(self, security_event: SecurityEvent, event: CodeCommitEvent) -> dict[str, Any]:
        """Put the event on the bus; when too large, store the full report in S3 and send a pointer."""
        detail = security_event.to_detail()
        if detail_size(detail) > self.max_detail_bytes:
            small = shrink(security_event, bucket=self.settings.report_bucket, limit=self.max_detail_bytes)
            assert small.report is not None  # noqa: S101 - shrink always sets it
            self.store.put_json(small.report.bucket, small.report.key, detail)
            logger.info("event too large (%d bytes): full report stored in S3", detail_size(detail))
            detail = small.to_detail()
        resources = [event.repository_arn] if event.repository_arn else []
        self.bus.put(detail, resources=resources)
        return detail


def _resources(event: CodeCommitEvent) -> list[str]:
    return [event.repository_arn] if event.repository_arn else []


def _recording(
    items: Iterable[Fragment | SkippedFile | CommitInfo], authors: list[tuple[str, str | None]]
) -> Iterator[Fragment | SkippedFile | CommitInfo]:
    """Pass items through, noting each commit and its author for the event."""
    for item in items:
        if isinstance(item, CommitInfo):
            authors.append((item.commit, item.author))
        yield item

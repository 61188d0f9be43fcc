"""The inspector: one CodeCommit ref event in, at most one security event out.

Every early exit (deleted ref, unwatched repository, nothing new) returns a result saying why, and the
handler logs it: "ignored" must always be explainable from the logs alone.

The steps, each in a module of its own:

1. sync the cached clone (:mod:`~leakguard.inspection.clone`);
2. what the scan record says was scanned: the exclusion set, or a baseline at first sight
   (:mod:`~leakguard.inspection.record`);
3. the pushed commit itself, also when it vanished from the refs before the inspector ran: fetched by
   id over git, else read over the CodeCommit API (:mod:`~leakguard.inspection.vanished`);
4. the scan, extended to every ref that carries what it finds (:mod:`~leakguard.inspection.push`);
5. one security event (:mod:`~leakguard.inspection.report`), then the record learns what was scanned.
   Recording comes last: a scan that failed (or whose event could not be emitted) is scanned again.

The pushed ref's own name is scanned too (a branch named after a key is a leak). Wherever the
inspector shows or stores the name (its results and log lines, the event, the scan record, alerts,
its exceptions) it is masked (:class:`~leakguard.scan.PathMasker`); only git gets it in clear.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from leakguard.acceptance import bot as acceptance
from leakguard.aws.eventbus import MAX_DETAIL_BYTES, SecurityEventBus
from leakguard.aws.notifications import Publisher
from leakguard.aws.storage import ObjectStore
from leakguard.detect.engine import Detector
from leakguard.errors import LeakguardError
from leakguard.events.bypass import BYPASS_NOTICE_DETAIL_TYPE
from leakguard.events.codecommit import CodeCommitEvent
from leakguard.events.security import SecurityEvent, validate_detail
from leakguard.git import Git
from leakguard.inspection import commits as history
from leakguard.inspection import refs as git_refs
from leakguard.inspection.alerts import too_large_to_scan, vanished_unscanned
from leakguard.inspection.clone import CloneCache
from leakguard.inspection.deadline import Deadline, OutOfTime
from leakguard.inspection.prefetch import changed_blobs
from leakguard.inspection.push import PushScan, PushScanner
from leakguard.inspection.record import Exclusions, ScanHistory
from leakguard.inspection.report import (
    PushFacts,
    build_event,
    build_notice,
    detail_size,
    leaking_commits,
    notice_worthy,
    shrink,
)
from leakguard.inspection.vanished import VanishedCommits, VanishedRead, VanishedUnreadable
from leakguard.scan import PathMasker, mask_credentials
from leakguard.settings import InspectorSettings, RemediationSwitches
from leakguard.sources.base import DEFAULT_MAX_FILE_BYTES

logger = logging.getLogger(__name__)

#: A repository created this shortly before the push that first shows it to leakguard is new: nothing
#: in it predates the push, so it is scanned whole (a new repository's first pushes, a migration).
YOUNG_REPOSITORY = timedelta(hours=1)


class InspectionError(LeakguardError):
    """An inspection failed; its message had the credentials in it (a leaking ref name) masked."""


@dataclass
class InspectionResult:
    """What happened to one push: ``status`` is ``ignored``, ``clean``, ``bypassed``, ``incident`` or
    ``warning`` (a pushed commit vanished unscanned)."""

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
    first_sight: bool = False
    vanished: int = 0
    #: Clones the bounded cache removed to make room for this push's, and whether this one alone
    #: exceeds the cache's budget (only said when there were some / when it does).
    clones_evicted: int = 0
    clone_over_budget: bool = False
    event: dict[str, Any] | None = field(default=None, repr=False)

    def summary(self) -> dict[str, Any]:
        """Log- and return-friendly form (no event body, no secret: findings are counts)."""
        optional = ("first_sight", "vanished", "clones_evicted", "clone_over_budget")  # only said when true
        return {
            k: v
            for k, v in self.__dict__.items()
            if k != "event" and v not in (None, "") and not (k in optional and not v)
        }


@dataclass
class _Target:
    """The pushed commit as the inspector could get it."""

    commit: str
    tags: list[str]
    vanished: VanishedRead | None = None
    fetched_by_id: bool = False
    missing: bool = False  # neither in the clone nor served by id over git


class Inspector:
    """Scans a push with the active rules' :class:`Detector` and emits its security event.

    ``detector`` is asked once per push: the deployed rules may change between pushes
    (:class:`~leakguard.rules.active.ActiveRules`).
    """

    def __init__(
        self,
        settings: InspectorSettings,
        detector: Callable[[], Detector],
        *,
        clones: CloneCache,
        bus: SecurityEventBus,
        store: ObjectStore,
        history: ScanHistory,
        vanished: VanishedCommits,
        alerts: Publisher,
        max_detail_bytes: int = MAX_DETAIL_BYTES,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    ) -> None:
        self.settings = settings
        self.detector = detector
        self.clones = clones
        self.bus = bus
        self.store = store
        self.history = history
        self.vanished = vanished
        self.alerts = alerts
        self.max_detail_bytes = max_detail_bytes
        self.max_file_bytes = max_file_bytes

    def inspect(self, event: CodeCommitEvent, *, deadline: Deadline | None = None) -> InspectionResult:
        """Scan the commits the push introduced; emit one security event if anything was found.

        ``deadline``: the invocation's time; a scan that reaches it stops and warns the admins
        (:meth:`_out_of_time`) instead of being killed by Lambda's timeout mid-scan.

        A failure whose message holds the pushed ref's name in clear (git's stderr quotes it), or
        any other credential the rules find in it (another ref's name), is raised again as an
        :class:`InspectionError` with them masked.
        """
        detector = self.detector()
        shown = PathMasker(detector).mask
        real, masked = event.detail.referenceFullName, shown(event.detail.referenceFullName)
        try:
            return self._inspect(event, deadline, detector, shown)
        except Exception as exc:
            text = mask_credentials(detector, str(exc).replace(real, masked))
            if text == str(exc):
                raise
            raise InspectionError(f"{type(exc).__name__}: {text}") from None

    def _inspect(
        self,
        event: CodeCommitEvent,
        deadline: Deadline | None,
        detector: Detector,
        shown: Callable[[str], str],
    ) -> InspectionResult:
        detail = event.detail
        repo, ref = detail.repositoryName, detail.referenceFullName
        if not self.settings.watches(repo):
            return InspectionResult(
                "ignored", "repository not in WATCHED_REPOSITORIES", repository=repo, reference=shown(ref)
            )
        if detail.event == "referenceDeleted":
            return self._deleted(repo, ref, detector, shown)
        assert detail.commitId is not None  # noqa: S101 - the event model guarantees it
        started = time.monotonic()
        git = self.clones.sync(repo, mask=partial(mask_credentials, detector))
        target = self._target(git, event)
        old_known = self._old_known(git, repo, detail.oldCommitId)
        forced = bool(detail.oldCommitId) and not (
            old_known and history.is_ancestor(git, detail.oldCommitId or "", target.commit)
        )
        exclusions = self.history.exclusions(
            git,
            repository=repo,
            ref=ref,
            new=target.commit,
            old=detail.oldCommitId if old_known else None,
            young=lambda: self._young(event),
            shown=shown(ref),
        )
        if target.missing:
            try:
                target.vanished = self._read_vanished(git, event, exclusions)
            except VanishedUnreadable as exc:
                return self._unreadable(event, str(exc), shown)
        git = self._prefetch(git, target, exclusions)
        exclusions.removed_leaks.update(self.history.removed_elsewhere(git, repo, exclusions.open_leaks))
        brought_back = (
            self.history.brought_back(
                git,
                exclusions,
                ref=ref,
                new=target.commit,
                old=detail.oldCommitId if old_known else None,
                shown=shown(ref),
            )
            if target.vanished is None
            else {}
        )
        try:
            push = self._scan(git, event, target, exclusions, deadline, brought_back, detector)
        except OutOfTime as exc:
            return self._out_of_time(event, exc, shown)
        policy = self.settings.acceptance_policy_for(repo)
        acceptance.settle(git, push.report, head=target.commit, policy=policy)
        vanished = self._vanished_commits(git, target)
        result = InspectionResult(
            status="clean",
            reason="no findings" if push.authors or push.report.files else "no new commits (already scanned)",
            commits=len(push.report.commits),
            files=push.report.files,
            bytes=push.report.bytes,
            findings=len(push.report.findings),
            accepted=len(push.report.accepted) or None,
            repository=repo,
            reference=shown(ref),
            first_sight=exclusions.first_sight,
            vanished=len(vanished),
            clones_evicted=len(self.clones.report.evicted),
            clone_over_budget=self.clones.report.over_budget,
        )
        logger.info("push scanned", extra={**exclusions.summary(), "extendedTo": len(push.extended_to)})
        notice = acceptance.bypass_notice(event, push.report, forced=forced, shown=shown)
        if notice is not None:
            result.status, result.reason = (
                "bypassed",
                "every finding accepted in the repository: audit notice",
            )
            self.bus.put(
                notice.to_detail(), resources=_resources(event), detail_type=BYPASS_NOTICE_DETAIL_TYPE
            )
        elif push.report.findings:
            security_event = build_event(
                event,
                push,
                self._facts(started, forced, exclusions, vanished),
                last_clean=self._last_clean(git, event, target, push),
                switches=self._switches(repo, old_known, push, vanished=target.vanished is not None),
                shown=shown,
            )
            security_event = acceptance.annotate_incident(security_event, push.report, policy)
            result.status, result.reason = "incident", "findings"
            if push.brought_back:
                result.reason = "findings: a removed leak was pushed back"
            result.incident_id = security_event.incidentId
            result.event = self._emit(security_event, event)
            leaks = [*push.leaking_commits, *push.leaking_tags]
            self.history.record_leaks(repo, leaks, incident=security_event.incidentId)
        elif notice_worthy(push.report, self.settings.skipped_content_notice):
            unread = build_notice(
                event,
                push,
                self._facts(started, forced, exclusions, vanished),
                switches=self.settings.remediations_for(repo),
                shown=shown,
            )
            result.reason = f"no findings; {len(push.report.skipped)} item(s) could not be read: notice sent"
            result.incident_id = unread.incidentId
            result.event = self._emit(unread, event)
        self.history.record(git, exclusions, [t for t in push.tips if t.commit not in set(vanished)])
        result.duration_ms = int((time.monotonic() - started) * 1000)
        return result

    def _deleted(
        self, repo: str, ref: str, detector: Detector, shown: Callable[[str], str]
    ) -> InspectionResult:
        """A deletion introduces no commits, but may remove the last ref carrying a recorded leak: it
        is then recorded as removed, so a push that brings it back is an incident again."""
        reason = "reference deleted: a deletion introduces no commits"
        open_leaks = self.history.open_leaks(repo)
        removed: dict[str, str] = {}
        if open_leaks:
            git = self.clones.sync(repo, mask=partial(mask_credentials, detector))
            removed = self.history.removed_elsewhere(git, repo, open_leaks)
        if removed:
            reason += f"; {len(removed)} recorded leak(s) no ref carries any more recorded as removed"
        return InspectionResult("ignored", reason, repository=repo, reference=shown(ref))

    @staticmethod
    def _facts(started: float, forced: bool, exclusions: Exclusions, vanished: list[str]) -> PushFacts:
        return PushFacts(
            forced=forced,
            duration_ms=int((time.monotonic() - started) * 1000),
            first_sight=exclusions.first_sight,
            vanished=tuple(vanished),
        )

    def _young(self, event: CodeCommitEvent) -> bool:
        """Whether the repository was created just before the push (GetRepository); False if unknown."""
        try:
            created = self.vanished.api.created_at(event.detail.repositoryName)
        except (ClientError, BotoCoreError) as exc:
            logger.warning(
                "repository creation date unavailable (%s): treated as an existing repository", exc
            )
            return False
        pushed = event.time if event.time.tzinfo else event.time.replace(tzinfo=UTC)
        return created is not None and pushed - created <= YOUNG_REPOSITORY

    # -- the pushed commit -----------------------------------------------------------------------

    def _target(self, git: Git, event: CodeCommitEvent) -> _Target:
        """The pushed commit (peeled) and annotated tags to read; vanished commits read by id."""
        detail = event.detail
        new = detail.commitId or ""
        fetched = False
        if not history.has_commit(git, new):
            fetched = self.clones.fetch_commit(git, detail.repositoryName, new) and history.has_commit(
                git, new
            )
            if not fetched:
                return _Target(commit=new, tags=[], missing=True)
        commit = git_refs.peel(git, new) or new
        tags = []
        if detail.referenceType == "tag":
            if git_refs.present(git, [new]).get(new) == "tag":
                tags.append(new)
            current = git_refs.resolve(git, detail.referenceFullName)
            if current is not None and current.annotated and current.commit_id == commit:
                tags.append(current.object_id)
        return _Target(commit=commit, tags=tags, fetched_by_id=fetched)

    def _read_vanished(self, git: Git, event: CodeCommitEvent, exclusions: Exclusions) -> VanishedRead:
        """A pushed commit the clone cannot get over git, read over the API unless already scanned.

        A recorded tip is not read again: a sibling event of a push whose refs reset already removed
        (or a redelivery after a cold start) finds its commit scanned, not a new leak.
        """
        new = event.detail.commitId or ""
        if new in exclusions.known:
            logger.info("pushed commit vanished from the refs but was scanned before")
            return VanishedRead()
        logger.warning("pushed commit no longer in any ref and not served over git: reading it over the API")
        return self.vanished.read(
            git, event.detail.repositoryName, new, max_file_bytes=self.max_file_bytes, known=exclusions.known
        )

    def _prefetch(self, git: Git, target: _Target, exclusions: Exclusions) -> Git:
        """In a partial clone, the blobs the scan reads, in one batch (the clone may come back full)."""
        heads = target.vanished.boundary if target.vanished is not None else [target.commit]
        repository = exclusions.repository
        blobs = changed_blobs(git, heads, exclusions.tips) + acceptance.ignore_file_blob(git, target.commit)
        synced = self.clones.prefetch(git, repository, blobs)
        if synced is not git and not history.has_commit(synced, target.commit):  # cloned again in full
            self.clones.fetch_commit(synced, repository, target.commit)
        return synced

    def _scan(
        self,
        git: Git,
        event: CodeCommitEvent,
        target: _Target,
        exclusions: Exclusions,
        deadline: Deadline | None,
        brought_back: dict[str, str],
        detector: Detector,
    ) -> PushScan:
        read = target.vanished
        detail = event.detail
        ref = detail.referenceFullName
        scanner = PushScanner(
            detector,
            max_file_bytes=self.max_file_bytes,
            jobs=self.settings.scan_jobs,
            deadline=deadline,
        )
        return scanner.scan(
            git,
            heads=read.boundary if read is not None else [target.commit],
            exclude=exclusions.tips,
            tags=target.tags,
            scanned_tags=lambda objects: self.history.scanned_tags(exclusions.repository, objects),
            prelude=read.items if read is not None else (),
            ref=ref,
            ignore=acceptance.pushed_ignore_list(git, target.commit),
            brought_back=brought_back,
            pushed=git_refs.RefTip(ref, detail.commitId or target.commit, target.commit),
            pusher=detail.callerUserArn,
        )

    @staticmethod
    def _vanished_commits(git: Git, target: _Target) -> list[str]:
        """Scanned commits of this push that no branch or tag carries any more."""
        if target.vanished is not None:
            return list(target.vanished.commits)
        # By reachability, not by how the commit came: a partial clone fetches a commit no ref
        # carries on demand, the moment the inspector asks whether it has it.
        return history.unreachable(git, target.commit)

    def _out_of_time(
        self, event: CodeCommitEvent, stop: OutOfTime, shown: Callable[[str], str]
    ) -> InspectionResult:
        """A push too large to scan in this invocation: warn the admins, record nothing as scanned.

        Nothing of the push goes in the scan record, so the next push of the ref scans it all again;
        the idempotency record keeps this result, so a redelivery does not loop on it.
        """
        detail = event.detail
        logger.error(
            "push too large to scan in time: stopped, admins warned, nothing recorded as scanned",
            extra={"commitsScanned": stop.commits, "commit": detail.commitId},
        )
        self.alerts.publish(*too_large_to_scan(event, stop.commits, shown=shown))
        return InspectionResult(
            "too_large",
            f"push too large to scan in time: stopped after {stop.commits} commit(s), admins warned",
            repository=detail.repositoryName,
            reference=shown(detail.referenceFullName),
            commits=stop.commits,
        )

    def _unreadable(self, event: CodeCommitEvent, why: str, shown: Callable[[str], str]) -> InspectionResult:
        """The commit vanished and cannot be read at all: tell the admins, never stay silent."""
        detail = event.detail
        logger.error("pushed commit vanished unscanned", extra={"cause": why, "commit": detail.commitId})
        subject, body = vanished_unscanned(event, why, shown=shown)
        self.alerts.publish(subject, body)
        return InspectionResult(
            "warning",
            "pushed commit vanished before it could be read: admins warned, credential rotation advised",
            repository=detail.repositoryName,
            reference=shown(detail.referenceFullName),
        )

    # -- the security event ----------------------------------------------------------------------

    def _old_known(self, git: Git, repository: str, old: str | None) -> bool:
        """Whether the clone has the old commit (a cold clone misses a head force-pushed away)."""
        if old is None or history.has_commit(git, old):
            return True
        return self.clones.fetch_commit(git, repository, old) and history.has_commit(git, old)

    def _switches(
        self, repository: str, old_known: bool, push: PushScan, *, vanished: bool
    ) -> RemediationSwitches:
        """The repository's remediations; no reset when the old head is unknown or no ref carries the leak.

        Without the old head the scan may include history the push did not bring, which is safe for
        detection but could make reset rewind far too much. A leak that no ref carries any more
        (force-pushed away before the inspector ran) has nothing to reset: rotation is what is left.
        """
        switches = self.settings.remediations_for(repository)
        if vanished:
            logger.warning("the pushed commit vanished from the refs: nothing to reset")
            return switches.model_copy(update={"reset": False})
        if not old_known:
            logger.warning("old commit of a forced update unavailable: scanned more history, reset disabled")
            return switches.model_copy(update={"reset": False})
        if not push.references:
            logger.warning("no ref carries the leak any more: nothing to reset")
            return switches.model_copy(update={"reset": False})
        return switches

    def _last_clean(self, git: Git, event: CodeCommitEvent, target: _Target, push: PushScan) -> str | None:
        """Where reset would move the ref; None: delete it (a created ref that only carries the leak)."""
        detail = event.detail
        if target.vanished is not None:  # reset is off; name where the ref is now, if anywhere
            current = git_refs.resolve(git, detail.referenceFullName)
            return current.commit_id if current is not None else None
        mode = "enforce" if push.report.enforced else "monitor"
        leaks = leaking_commits(push.report, mode)
        clean = history.last_clean_commit(git, target.commit, leaks)
        if detail.event == "referenceCreated" and clean is not None:
            introduced = set(push.report.commits)
            if detail.referenceType == "tag" or clean not in introduced:
                return None
        return clean

    def _emit(self, security_event: SecurityEvent, event: CodeCommitEvent) -> dict[str, Any]:
        """Put the event on the bus; when too large, store the full report in S3 and send a pointer.

        The schema check runs once, on the detail that goes on the bus (see
        :mod:`leakguard.events.security`): validating the full report too doubled the cost of a large
        push's event, and the consumers validate it anyway when they read it.
        """
        full = security_event.to_unvalidated_detail()
        size = detail_size(full)
        if size <= self.max_detail_bytes:
            validate_detail(full)
            detail = full
        else:
            small = shrink(security_event, bucket=self.settings.report_bucket, limit=self.max_detail_bytes)
            assert small.report is not None  # noqa: S101 - shrink always sets it
            detail = small.to_detail()  # validated before anything is stored or sent
            self.store.put_json(small.report.bucket, small.report.key, full)
            logger.info("event too large (%d bytes): full report stored in S3", size)
        self.bus.put(detail, resources=_resources(event))
        return detail


def _resources(event: CodeCommitEvent) -> list[str]:
    return [event.repository_arn] if event.repository_arn else []

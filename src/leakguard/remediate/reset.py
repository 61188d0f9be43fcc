"""Reset: contain every branch and tag that carries a verified leak, without losing or clobbering work.

One invocation: fetch every branch and tag; verify the incident against the repository
(:mod:`~leakguard.remediate.verify`); plan the containment of every ref that carries a confirmed
leaking commit (:mod:`~leakguard.remediate.plan`); quarantine everything that plan removes in one
verified bundle (:mod:`~leakguard.remediate.quarantine`); only then push each ref with
``--force-with-lease`` on the object the plan saw. A ref that moved meanwhile loses its lease; reset
fetches, plans again (a new bundle for the new plan: nothing stored earlier is overwritten) and
retries, a bounded number of times.

Every outcome reaches the admins in one email, failures included: a failed reset emails and then
raises, so Lambda retries the invocation and finally parks the event. A retry starts from whatever the
repository holds then, so any partial run (some refs moved, an upload lost, a crash) completes.

A ref whose own name holds a credential is not deleted for its name: an incident that is only that
is skipped (its email tells the admins how to delete the ref). Reset deleting the ref would keep the
name in clear in the quarantine manifest and bundle, and restore would bring it back; deleting a
ref loses nothing the admins cannot see for themselves. When such a ref also carries a leaking
commit it is contained like any other; its name is masked in everything reset reports
(:class:`LeakingRefNames`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

from leakguard.aws.notifications import Publisher
from leakguard.aws.scan_record import ScanRecordTable
from leakguard.aws.storage import ObjectStore
from leakguard.detect.engine import Detector
from leakguard.errors import GitError, LeakguardError
from leakguard.events.security import SecurityEvent
from leakguard.git import Git, validate_commit_id, validate_ref_name
from leakguard.inspection import refs as git_refs
from leakguard.inspection.clone import CloneCache, as_is, scrub
from leakguard.refnames import REF_NAMESPACES
from leakguard.remediate.alerts import UnverifiedIncident, publish_alert, refusal
from leakguard.remediate.outcome import RefOutcome, ResetResult, outcome_message
from leakguard.remediate.plan import RefAction, plan_containment
from leakguard.remediate.quarantine import quarantine
from leakguard.remediate.verify import VerifiedIncident, commit_leaks, tag_leaks, verify_incident
from leakguard.scan import PathMasker, mask_credentials

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3

__all__ = ["MAX_ATTEMPTS", "ResetError", "ResetResult", "Resetter"]


class ResetError(LeakguardError):
    """Reset could not finish; raised after the outcome email so the invocation is retried, then parked."""


class Resetter:
    """Verifies an incident and contains every ref of its repository that carries the leak."""

    def __init__(
        self,
        *,
        clones: CloneCache,
        store: ObjectStore,
        publisher: Publisher,
        quarantine_bucket: str,
        detector: Callable[[], Detector],
        scratch: Path,
        enabled: Callable[[str], bool] = lambda _repository: True,
        record: ScanRecordTable | None = None,
    ) -> None:
        self.clones = clones
        self.store = store
        self.publisher = publisher
        self.bucket = quarantine_bucket
        self.detector = detector
        self.scratch = scratch
        self.enabled = enabled
        self.record = record

    def reset(self, incident: SecurityEvent) -> ResetResult:
        """Contain ``incident``; email the outcome; raise :class:`ResetError` if anything failed.

        The event's ref name is only shown (it is masked when it holds a credential) and matched
        against the repository's own refs; it never reaches git.
        """
        ref = incident.reference.fullName
        repository = incident.repository.name
        result = ResetResult(incident.incidentId, repository, ref, "skipped", "")
        if not incident.enforced:
            result.detail = "monitor-mode incident: notify only"
            return result
        if not incident.remediations.reset:
            result.detail = "reset not enabled for this repository"
            return result
        if incident.ref_names_only:
            result.detail = "the leak is only in a ref's name: deleting the ref is left to the admins"
            return result
        hide: Callable[[str], str] = as_is
        try:
            if not self.enabled(repository):
                raise UnverifiedIncident(
                    [f"reset is not enabled for repository {repository} in this deployment's configuration"]
                )
            detector = self.detector()  # the active rules, checked again for this incident
            # Until the refs are read, a message may quote a leaking ref git could not fetch.
            hide = partial(mask_credentials, detector)
            git = self.clones.sync(repository, mask=hide)
            drop_foreign_refs(git)
            names = LeakingRefNames(git, detector)
            hide = names.hiding(hide)
            verified = verify_incident(
                git,
                incident,
                leaks=lambda g, commit: commit_leaks(g, detector, commit),
                tag_leaks=lambda g, tag: tag_leaks(g, detector, tag),
                fetch_missing=lambda commit: self.clones.fetch_commit(git, repository, commit),
            )
            # the event names a created ref masked when its name leaks: the plan wants the real one
            verified = replace(verified, created=tuple(names.unmask(n) for n in verified.created))
            result.unconfirmed = [*verified.unverified, *verified.missing]
            self._contain(git, incident, verified, result)
        except UnverifiedIncident as refused:
            reasons = [hide(reason) for reason in refused.reasons]
            result.status, result.detail = "refused", hide(str(refused))
            logger.error("reset refused an unverified incident", extra={"reasons": reasons})
            subject, body = refusal(
                "reset",
                repository=repository,
                reference=ref,
                incident_id=incident.incidentId,
                reasons=reasons,
            )
            if not publish_alert(self.publisher, subject, body):
                raise ResetError("reset refused an unverified incident and could not alert") from None
            return result
        except Exception as exc:  # every failure is emailed, then raised for the retry
            result.status, result.detail = "failed", hide(_describe(exc))
            _hide_names(result, hide)
            # The traceback repeats the error's own text: left out when that names a leaking ref.
            logger.error("reset failed: %s", result.detail, exc_info=hide(str(exc)) == str(exc))
            publish_alert(self.publisher, *outcome_message(result))
            raise ResetError(f"reset of {ref} in {repository} failed: {result.detail}") from None
        _hide_names(result, hide)
        unrecorded = self._record_removal(incident, result, (*verified.leaks, *verified.tags))
        subject, body = outcome_message(result)
        if unrecorded:
            body += f"\nWARNING: {unrecorded}. The invocation fails so that it is retried.\n"
        publish_alert(self.publisher, subject, body)
        if result.status == "failed":
            raise ResetError(f"reset of {ref} in {repository} failed: {result.detail}")
        if unrecorded:
            raise ResetError(f"reset of {ref} in {repository}: {unrecorded}")
        return result

    def _record_removal(
        self, incident: SecurityEvent, result: ResetResult, leaks: tuple[str, ...]
    ) -> str | None:
        """Tell the scan record that no ref carries ``leaks`` (commits, leaking tag objects) any more,
        so that a push bringing them back is an incident again (:mod:`leakguard.inspection.record`);
        the error, if that failed."""
        if self.record is None or result.status not in ("reset", "deleted", "already-clean") or not leaks:
            return None
        try:
            self.record.mark_removed(incident.repository.name, leaks, incident=incident.incidentId)
        except Exception as exc:  # the refs are contained; only the memory of the removal is missing
            logger.exception("the removal of the leaking commits could not be recorded")
            return (
                f"the removal could not be recorded in the scan record ({_describe(exc)}): until a retry "
                "records it, a push bringing these commits back would not be alerted on"
            )
        return None

    def _contain(
        self, git: Git, incident: SecurityEvent, verified: VerifiedIncident, result: ResetResult
    ) -> None:
        repository = incident.repository.name
        outcomes: dict[str, RefOutcome] = {}
        for attempt in range(1, MAX_ATTEMPTS + 1):
            result.attempts = attempt
            plan = plan_containment(git, verified.leaks, created=verified.created, leaking_tags=verified.tags)
            for name, outcome in outcomes.items():
                if outcome.status == "pending" and name not in {a.ref for a in plan.actions}:
                    outcome.status, outcome.detail = "already-clean", "moved by someone else past the leak"
            if not plan.actions:
                break
            saved = quarantine(
                git,
                self.store,
                bucket=self.bucket,
                repository=repository,
                incident_id=incident.incidentId,
                plan=plan,
                scratch=self.scratch,
            )
            if saved.url not in result.quarantine:
                result.quarantine.append(saved.url)
            result.removedCommits = list(dict.fromkeys([*result.removedCommits, *saved.commits]))
            lost_lease = False
            for action in plan.actions:
                outcomes[action.ref] = self._push(git, repository, action)
                lost_lease |= outcomes[action.ref].status == "pending"
                result.refs = _ordered(outcomes, result.reference)
            if not lost_lease:
                break
            logger.warning(
                "a lease was rejected (attempt %d): refs moved; fetching and planning again", attempt
            )
            self.clones.fetch(git, repository)
        result.refs = _ordered(outcomes, result.reference)
        for outcome in result.refs:
            if outcome.status == "pending":
                outcome.status = "failed"
                outcome.detail = f"kept moving: lease rejected {MAX_ATTEMPTS} times; nothing was clobbered"
        result.settle()

    def _push(self, git: Git, repository: str, action: RefAction) -> RefOutcome:
        before = action.tip.commit
        outcome = RefOutcome(action.ref, "failed", before, action.target)
        source = validate_commit_id(action.target) if action.target else ""
        try:
            git.run(
                [
                    "push",
                    "--quiet",
                    "--no-verify",
                    f"--force-with-lease={validate_ref_name(action.ref)}:{validate_commit_id(action.tip.raw)}",
                    "--",
                    self.clones.remote_for(repository),
                    f"{source}:{action.ref}",
                ]
            )
        except GitError as exc:
            if "stale info" in exc.stderr or "fetch first" in exc.stderr:
                outcome.status, outcome.detail = "pending", "moved since the fetch (lease rejected)"
            else:
                outcome.detail = f"push refused: {scrub(exc.stderr)[:300] or exc}"
            return outcome
        short = (before or action.tip.raw)[:12]
        if action.target is None:
            outcome.status, outcome.detail = "deleted", f"deleted (was {short})"
        else:
            outcome.status, outcome.detail = "reset", f"moved from {short} back to {action.target[:12]}"
        return outcome


class LeakingRefNames:
    """The branches and tags of a clone whose name holds a credential, and their masked forms (as
    the inspector masks them: :class:`~leakguard.scan.PathMasker`).

    :meth:`hide` masks them in any text. Short names are replaced, so a full name (``refs/heads/`` +
    the short one) is masked too, and so is git's own output (``! [rejected] AKIA... -> AKIA...``)
    quoted in an outcome or an error. :meth:`unmask` finds the ref an event names masked.
    """

    def __init__(self, git: Git, detector: Detector) -> None:
        masker = PathMasker(detector)
        self.full: dict[str, str] = {}  # real full name -> masked full name
        pairs: dict[str, str] = {}
        for tip in git_refs.list_refs(git):
            namespace, _, short = tip.full_name.partition("/")[2].partition("/")
            masked = masker.mask(short)
            if masked != short:
                pairs[short] = masked
                self.full[tip.full_name] = f"refs/{namespace}/{masked}"
        self._ordered = sorted(pairs.items(), key=lambda pair: -len(pair[0]))

    def hide(self, text: str) -> str:
        """``text`` with every leaking ref name masked."""
        for name, masked in self._ordered:
            text = text.replace(name, masked)
        return text

    def hiding(self, also: Callable[[str], str]) -> Callable[[str], str]:
        """:meth:`hide`, then ``also`` (the safety net for credentials a message holds otherwise)."""
        return lambda text: also(self.hide(text))

    def unmask(self, shown: str) -> str:
        """The one ref whose masked full name is ``shown``; ``shown`` itself when none or several are."""
        matches = [real for real, masked in self.full.items() if masked == shown]
        return matches[0] if len(matches) == 1 else shown


def _hide_names(result: ResetResult, hide: Callable[[str], str]) -> None:
    """Mask leaking ref names in what reset reports (the email, its log line, its stored result)."""
    result.detail = hide(result.detail)
    for outcome in result.refs:
        outcome.ref, outcome.detail = hide(outcome.ref), hide(outcome.detail)


def _ordered(outcomes: dict[str, RefOutcome], pushed: str) -> list[RefOutcome]:
    """The pushed ref first, then the others by name."""
    return sorted(outcomes.values(), key=lambda o: (o.ref != pushed, o.ref))


def drop_foreign_refs(git: Git) -> None:
    """Delete any ref of the clone outside ``refs/heads`` and ``refs/tags``.

    Reset creates none; an earlier version's temporary ``refs/quarantine/*`` left by an interrupted
    invocation would otherwise look like a ref that keeps the leaking commits.
    """
    for name in git.text(["for-each-ref", "--format=%(refname)"]).split():
        if not name.startswith(REF_NAMESPACES):
            git.run(["update-ref", "-d", validate_ref_name(name)])


def _describe(exc: BaseException) -> str:
    """One line for the email and the log: the error's kind and message, credentials scrubbed."""
    text = exc.stderr if isinstance(exc, GitError) else str(exc)
    kind = type(exc).__name__
    return f"{kind}: {scrub(text)[:400]}" if text else kind

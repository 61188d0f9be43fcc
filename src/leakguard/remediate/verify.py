"""Checks a security event against the repository before reset acts on it.

The bus policy lets only the inspector put leakguard's events, but a remediation that rewrites
history must not rest on that alone: anything the event claims is re-derived from the repository.
The commits named as leaking are re-scanned with the deployed rules (the same loader and engine as
the inspector); only those that really hold an enforce-mode finding count. The event's last clean
commit must be an ancestor of its pushed commit and hold none of them, and the pushed commit must
carry one. Anything else is an unverified incident, refused with an alert, and nothing is changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from leakguard.detect.engine import Detector
from leakguard.events.security import SecurityEvent
from leakguard.git import Git, validate_commit_id
from leakguard.inspection.commits import contaminated, has_commit, is_ancestor
from leakguard.remediate.alerts import UnverifiedIncident
from leakguard.scan import run_scan
from leakguard.sources.base import DEFAULT_MAX_FILE_BYTES
from leakguard.sources.history import commit_fragments
from leakguard.sources.metadata import tag_message_fragments

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerifiedIncident:
    """What the repository confirms of an incident.

    ``leaks`` hold an enforce finding under the deployed rules; ``unverified`` exist but hold none
    (a forged claim, or a rule changed since); ``missing`` are not in the repository any more.
    ``created`` names refs the push created (a hint: see :func:`~leakguard.remediate.plan.plan_containment`).
    ``tags`` are annotated tag objects whose own message holds an enforce finding (the tag is deleted).
    """

    leaks: tuple[str, ...]
    unverified: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    created: tuple[str, ...] = field(default=())
    tags: tuple[str, ...] = ()


def commit_leaks(git: Git, detector: Detector, commit: str) -> bool:
    """True when ``commit`` itself (not its ancestors) adds something an enforce-mode rule finds."""
    parents = git.text(["rev-list", "--parents", "-n1", validate_commit_id(commit), "--"]).split()[1:]
    revisions = [commit, "--not", *parents] if parents else [commit]
    report = run_scan(detector, commit_fragments(git, revisions))
    return any(f.commit == commit for f in report.enforced)


def tag_leaks(git: Git, detector: Detector, tag_object: str) -> bool:
    """True when the annotated tag's own message holds something an enforce-mode rule finds."""
    if git.run(["cat-file", "-t", validate_commit_id(tag_object)], check=False).strip() != b"tag":
        return False
    report = run_scan(detector, tag_message_fragments(git, [tag_object], max_bytes=DEFAULT_MAX_FILE_BYTES))
    return bool(report.enforced)


def verify_incident(
    git: Git,
    incident: SecurityEvent,
    *,
    leaks: Callable[[Git, str], bool],
    tag_leaks: Callable[[Git, str], bool] = lambda _git, _tag: False,
    fetch_missing: Callable[[str], bool] = lambda _commit: False,
) -> VerifiedIncident:
    """Re-derive the incident from the repository; raise :class:`UnverifiedIncident` if it does not hold.

    ``leaks`` decides whether one commit leaks (:func:`commit_leaks` with the deployed rules);
    ``tag_leaks`` whether an annotated tag's message does (:func:`tag_leaks`), for the tags the event
    lists in ``references`` (a leak in a tag message names no commit); ``fetch_missing`` tries to
    bring a commit the clone lacks (by id, when the server allows it).
    """
    verified: list[str] = []
    unverified: list[str] = []
    missing: list[str] = []
    for commit in dict.fromkeys(incident.leakingCommits):
        if not (has_commit(git, commit) or (fetch_missing(commit) and has_commit(git, commit))):
            missing.append(commit)
        elif leaks(git, commit):
            verified.append(commit)
        else:
            unverified.append(commit)
    if unverified:
        logger.warning(
            "%d commit(s) named as leaking hold no enforce finding under the deployed rules",
            len(unverified),
            extra={"commits": unverified},
        )
    tags = tuple(
        dict.fromkeys(
            r.objectId
            for r in incident.references
            if r.fullName.startswith("refs/tags/") and r.objectId != r.commitId and tag_leaks(git, r.objectId)
        )
    )
    if not verified and not tags:
        raise UnverifiedIncident(
            [
                f"none of the {len(incident.leakingCommits)} commit(s) the event names as leaking is "
                "confirmed: "
                f"{len(missing)} not in the repository (removed since the push, or never there), "
                f"{len(unverified)} hold no enforce-mode finding under the deployed rules"
            ]
        )
    if verified:
        _check_pushed_commit(git, incident, verified)
    created = (
        (incident.reference.fullName,)
        if incident.reference.event == "referenceCreated" and incident.lastCleanCommitId is None
        else ()
    )
    return VerifiedIncident(tuple(verified), tuple(unverified), tuple(missing), created, tags)


def _check_pushed_commit(git: Git, incident: SecurityEvent, verified: list[str]) -> None:
    """The pushed commit carries a verified leak; the event's last clean commit is its clean ancestor."""
    new = incident.reference.newCommitId
    if not has_commit(git, new):
        return  # the ref moved on and took the pushed commit with it: the leaks alone decide
    reasons = []
    if not any(is_ancestor(git, leak, new) for leak in verified):
        reasons.append(f"the pushed commit {new[:12]} holds none of the confirmed leaking commits")
    last = incident.lastCleanCommitId
    if last is not None:
        if not has_commit(git, last):
            reasons.append(f"the event's last clean commit {last[:12]} is not in the repository")
        elif not is_ancestor(git, last, new):
            reasons.append(
                f"the event's last clean commit {last[:12]} is not an ancestor of the pushed commit "
                f"{new[:12]}"
            )
        elif contaminated(git, last, verified):
            reasons.append(f"the event's last clean commit {last[:12]} holds a confirmed leaking commit")
    if reasons:
        raise UnverifiedIncident(reasons)

"""Confirms an incident through CodeCommit's API before lock tags anything.

Lock has no clone (it must stay light and fast), but a lock on a forged event would shut developers
out of a repository that leaks nothing. So, like reset, it re-derives the claim from the repository:
each commit the event names as leaking is read by id over the API (``GetCommit``, ``GetDifferences``,
``GetBlob``: the reader the inspector uses for vanished commits) and re-scanned with the deployed
rules. One commit that really adds an enforce-mode finding in the named repository confirms the
incident; none is an :class:`~leakguard.remediate.alerts.UnverifiedIncident`.

A leak only in an annotated tag's message names no commit, and the API cannot read tag objects: lock
refuses such an incident (with the alert saying why) and leaves it to reset, which verifies tags with
git and deletes the tag. A transient API error is raised as it is, so the invocation is retried and,
at the end, parked where an alarm sees it: never mistaken for a forgery.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from botocore.exceptions import ClientError

from leakguard.aws.commits import CodeCommitObjects
from leakguard.detect.engine import Detector
from leakguard.events.security import SecurityEvent
from leakguard.inspection.vanished import VanishedCommits
from leakguard.remediate.alerts import UnverifiedIncident
from leakguard.scan import run_scan

logger = logging.getLogger(__name__)

#: How many of the named commits lock reads before it gives up (a real incident confirms on the first).
MAX_COMMITS_CHECKED = 20
#: Lock runs in a small function: a named file larger than this is not read (the incident is then
#: confirmed by another commit or refused, and reset, which clones, still verifies it).
LOCK_MAX_FILE_BYTES = 8 * 1024 * 1024
#: The API's answers for a commit that is not in the repository (never there, or a forged id).
_MISSING = {"CommitDoesNotExistException", "CommitIdDoesNotExistException", "InvalidCommitIdException"}


class ApiIncidentCheck:
    """``check(incident)`` returns when the repository confirms a leak, raises otherwise."""

    def __init__(
        self,
        api: CodeCommitObjects,
        detector: Callable[[], Detector],
        *,
        max_commits: int = MAX_COMMITS_CHECKED,
        max_file_bytes: int = LOCK_MAX_FILE_BYTES,
    ) -> None:
        self.reader = VanishedCommits(api)
        self.detector = detector
        self.max_commits = max_commits
        self.max_file_bytes = max_file_bytes

    def __call__(self, incident: SecurityEvent) -> None:
        repository = incident.repository.name
        named = list(dict.fromkeys(incident.leakingCommits))
        missing = clean = 0
        detector = self.detector()  # once per incident: the active rules, checked again for it
        for commit in named[: self.max_commits]:
            try:
                items = self.reader.commit_items(repository, commit, max_file_bytes=self.max_file_bytes)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in _MISSING:
                    raise  # throttling, access, an outage: retried, never taken for a forgery
                missing += 1
                continue
            report = run_scan(detector, items)
            if any(f.commit == commit for f in report.enforced):
                logger.info("incident confirmed over the API", extra={"commit": commit[:12]})
                return
            clean += 1
        reasons = [
            f"none of the {len(named)} commit(s) the event names as leaking is confirmed in {repository} "
            f"over the CodeCommit API: {missing} not in the repository, {clean} hold no enforce-mode "
            "finding under the deployed rules"
            + (f" ({len(named) - self.max_commits} more not read)" if len(named) > self.max_commits else "")
        ]
        if not named:
            reasons = ["the event names no leaking commit: a tag-message leak is confirmed by reset only"]
        raise UnverifiedIncident(reasons)

"""The bot's side of in-repository acceptances: the ignore file as pushed, and who added each entry.

The inspector reads ``.leakguardignore`` from the tree of the commit the ref now points at (the file a
developer's ``leakguard scan --range`` of the same commits would use), never from a working tree, and
finds the commit that added each entry that accepted something, for the admins' notice.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from leakguard.errors import GitError
from leakguard.findings import AcceptedFinding
from leakguard.git import Git, validate_commit_id
from leakguard.ignore import IGNORE_FILE_NAME, MAX_IGNORE_FILE_BYTES, IgnoreList
from leakguard.scan import ScanReport

logger = logging.getLogger(__name__)

#: Entries whose origin is looked up in history (one ``git log`` each); the rest say "earlier".
MAX_PROVENANCE_LOOKUPS = 20


def ignore_file_blob(git: Git, commit: str) -> list[str]:
    """The id of ``commit``'s ``.leakguardignore`` blob (read from its tree, not the blob), if any.

    A partial clone fetches it ahead of the scan with the push's other blobs.
    """
    spec = f"{validate_commit_id(commit)}:{IGNORE_FILE_NAME}"
    oid = git.run(["rev-parse", "--verify", "--quiet", spec], check=False).decode("ascii", "replace").strip()
    return [oid] if oid else []


def pushed_ignore_list(git: Git, commit: str) -> IgnoreList | None:
    """``.leakguardignore`` at the root of ``commit``'s tree; None when it has none.

    A file too large, not a regular file or unreadable is logged and treated as absent: a broken
    ignore file accepts nothing, it never stops the scan.
    """
    spec = f"{validate_commit_id(commit)}:{IGNORE_FILE_NAME}"
    try:
        kind = git.run(["cat-file", "-t", spec], check=False).decode("ascii", "replace").strip()
        if kind != "blob":
            return None
        size = int(git.text(["cat-file", "-s", spec]) or 0)
        if size > MAX_IGNORE_FILE_BYTES:
            logger.warning("ignore file in %s is %d bytes, over the limit: not honoured", commit[:12], size)
            return None
        data = git.run(["cat-file", "blob", spec])
    except (GitError, ValueError) as exc:
        logger.warning("cannot read the ignore file of %s: %s", commit[:12], exc)
        return None
    ignore = IgnoreList.parse(data.decode("utf-8", "replace"), source=f"{IGNORE_FILE_NAME}@{commit[:12]}")
    for problem in ignore.problems:
        logger.info("ignore file: %s", problem)
    return ignore


def fill_provenance(git: Git, report: ScanReport, head: str) -> None:
    """Name the commit and author that added each ignore entry accepted before this push.

    Entries added by the push itself were already attributed by the scan; for older ones the newest
    commit whose diff of the ignore file adds the entry is looked up (bounded in number).
    """
    wanted = sorted(
        {a.entry for a in report.accepted if a.via == "ignore-file" and a.accepted_in is None and a.entry}
    )
    found: dict[str, tuple[str, str]] = {}
    for entry in wanted[:MAX_PROVENANCE_LOOKUPS]:
        origin = _origin(git, head, entry)
        if origin is not None:
            found[entry] = origin
    for index, accepted in enumerate(report.accepted):
        origin = found.get(accepted.entry or "") if accepted.accepted_in is None else None
        if origin is not None:
            report.accepted[index] = _attributed(accepted, *origin)


def _origin(git: Git, head: str, entry: str) -> tuple[str, str] | None:
    try:
        text = git.text(
            [
                "log",
                "-1",
                "--format=%H%x00%an <%ae>",
                f"-S{entry}",
                validate_commit_id(head),
                "--",
                IGNORE_FILE_NAME,
            ]
        )
    except GitError as exc:
        logger.info("cannot find who added ignore entry: %s", exc)
        return None
    commit, _, author = text.partition("\x00")
    return (commit, author) if commit else None


def _attributed(accepted: AcceptedFinding, commit: str, author: str) -> AcceptedFinding:
    return replace(accepted, accepted_in=commit, accepted_by=author)

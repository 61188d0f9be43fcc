"""Commits that vanished from the refs before the inspector could fetch them, read by id over the API.

A leak force-pushed away (or a branch deleted) seconds after the push was public for those seconds:
its credential must still be rotated. Git servers need not serve objects no ref advertises, so the
commit is read through CodeCommit's API, which serves commits by id whether or not a ref points at
them: ``GetCommit`` for the message and the parents, ``GetDifferences`` (every page) for the files,
``GetBlob`` for their content. The walk goes back through vanished parents until it meets commits the
clone has (those are scanned with git, against the record, as usual).

Each file goes through :func:`~leakguard.sources.blobs.blob_fragments`, as the git path reads files
it takes whole: decoded, archives opened, and only the lines the previous version lacked count.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from leakguard.aws.commits import CodeCommitObjects
from leakguard.findings import SkippedFile
from leakguard.git import Git, validate_commit_id
from leakguard.inspection import refs as git_refs
from leakguard.sources.base import SOURCE_COMMIT_MESSAGE, SOURCE_PATH, CommitInfo, Fragment
from leakguard.sources.blobs import blob_fragments

logger = logging.getLogger(__name__)

#: How many vanished commits one inspection reads over the API before it gives up (and warns).
DEFAULT_LIMIT = 500


class VanishedUnreadable(Exception):
    """The commit is in no ref, the git server does not serve it and the API cannot read it."""


@dataclass
class VanishedRead:
    """What the API gave: scan items, the vanished commits (oldest first), parents the clone has.

    ``truncated``: the walk stopped early; ``items`` then holds a :class:`SkippedFile` for what it left,
    so the incident email or a skipped-content notice tells the admins.
    """

    items: list[Fragment | SkippedFile | CommitInfo] = field(default_factory=list)
    commits: list[str] = field(default_factory=list)
    boundary: list[str] = field(default_factory=list)
    truncated: bool = False


class VanishedCommits:
    """Reads vanished commits through :class:`CodeCommitObjects`."""

    def __init__(self, api: CodeCommitObjects, *, limit: int = DEFAULT_LIMIT) -> None:
        self.api = api
        self.limit = limit

    def read(
        self, git: Git, repository: str, commit: str, *, max_file_bytes: int, known: Collection[str] = ()
    ) -> VanishedRead:
        """Walk back from ``commit`` through commits the clone lacks; raise when ``commit`` is unreadable.

        The walk stops at ``known`` commits (the scan record's tips: scanned with their history).
        """
        result = VanishedRead()
        metadata: dict[str, dict[str, Any]] = {}
        queue, seen = [validate_commit_id(commit)], set()
        while queue:
            current = queue.pop(0)
            if current in seen or current in known:
                continue
            seen.add(current)
            if current in git_refs.present(git, [current]):
                result.boundary.append(current)
                continue
            if len(metadata) >= self.limit:
                result.truncated = True
                result.items.append(_unread(current, f"the API walk stops after {self.limit} commits"))
                break
            try:
                metadata[current] = self.api.commit(repository, current)
            except (ClientError, BotoCoreError) as exc:  # an API refusal or a transport error
                if current == commit:
                    raise VanishedUnreadable(f"GetCommit {commit[:12]}: {type(exc).__name__}") from None
                logger.warning("vanished parent %s unreadable: %s", current[:12], type(exc).__name__)
                result.truncated = True
                result.items.append(_unread(current, f"GetCommit failed ({type(exc).__name__})"))
                continue
            queue.extend(validate_commit_id(p) for p in metadata[current].get("parents", []))
        for current in reversed(list(metadata)):  # parents were discovered after children
            result.commits.append(current)
            result.items.extend(self._commit_items(repository, current, metadata[current], max_file_bytes))
        return result

    def commit_items(
        self, repository: str, commit: str, *, max_file_bytes: int
    ) -> list[Fragment | SkippedFile | CommitInfo]:
        """What one commit adds, read over the API alone (GetCommit, GetDifferences, GetBlob)."""
        commit = validate_commit_id(commit)
        data = self.api.commit(repository, commit)
        return list(self._commit_items(repository, commit, data, max_file_bytes))

    def _commit_items(
        self, repository: str, commit: str, data: dict[str, Any], max_file_bytes: int
    ) -> Iterator[Fragment | SkippedFile | CommitInfo]:
        author_data = data.get("author") or {}
        author = f"{author_data.get('name', '')} <{author_data.get('email', '')}>" if author_data else None
        yield CommitInfo(commit=commit, author=author)
        parents: list[str | None] = [validate_commit_id(p) for p in data.get("parents", [])]
        per_parent = [
            self._added(repository, parent, commit, author, max_file_bytes) for parent in parents or [None]
        ]
        yield from _common(per_parent)
        message = str(data.get("message") or "")
        if message.strip():
            lines = message.split("\n")
            if lines[-1] == "":
                lines.pop()
            yield Fragment(
                path="",
                lines=list(enumerate(lines, start=1)),
                commit=commit,
                author=author,
                size=len(message.encode("utf-8", "replace")),
                source=SOURCE_COMMIT_MESSAGE,
            )

    def _added(
        self, repository: str, parent: str | None, commit: str, author: str | None, max_file_bytes: int
    ) -> list[Fragment | SkippedFile]:
        """What ``commit`` adds against one parent: content fragments, skipped files, new paths."""
        out: list[Fragment | SkippedFile] = []
        for difference in self.api.differences(repository, before=parent, after=commit):
            after, before = difference.get("afterBlob"), difference.get("beforeBlob")
            if not after:
                continue  # deleted
            path = str(after.get("path", ""))
            if not before or before.get("path") != path:
                out.append(
                    Fragment(path=path, lines=[(0, path)], commit=commit, author=author, source=SOURCE_PATH)
                )
            if str(after.get("mode", "")).startswith("16"):  # a submodule: a commit id, no content
                continue
            content = self.api.blob(repository, after["blobId"])
            if len(content) > max_file_bytes:
                reason = f"file exceeds the size limit of {max_file_bytes} bytes"
                out.append(SkippedFile(path=path, reason=reason, commit=commit))
                continue
            previous = self.api.blob(repository, before["blobId"]) if before else None
            out.extend(blob_fragments(path, content, previous=previous, commit=commit, author=author))
        return out


def _unread(commit: str, why: str) -> SkippedFile:
    """What a truncated walk leaves unscanned, reported like any unread content (never silent)."""
    return SkippedFile(
        path="(vanished history)",
        reason=f"commit {commit[:12]} and its vanished ancestors not read over the API: {why}",
        commit=commit,
    )


def _common(per_parent: list[list[Fragment | SkippedFile]]) -> Iterator[Fragment | SkippedFile]:
    """For a merge, only what it adds against every parent (an "evil merge"); all of it otherwise."""
    if len(per_parent) == 1:
        yield from per_parent[0]
        return
    first, others = per_parent[0], per_parent[1:]
    for item in first:
        if isinstance(item, SkippedFile):
            if all(
                any(isinstance(o, SkippedFile) and o.path == item.path for o in other) for other in others
            ):
                yield item
            continue
        shared = set(item.lines)
        for other in others:
            match = [
                o
                for o in other
                if isinstance(o, Fragment) and o.path == item.path and o.source == item.source
            ]
            shared &= set(match[0].lines) if match else set()
        if shared:
            yield Fragment(
                path=item.path,
                lines=sorted(shared),
                commit=item.commit,
                author=item.author,
                size=item.size,
                source=item.source,
            )

"""Sources that read git: every commit of a revision range, or the staged changes.

Every commit is scanned on its own (not the net diff of the range): a secret added in one commit and
removed in the next is still in history, and still leaked. Besides the added lines, each commit's
message and the paths it adds or renames are scanned too (:mod:`leakguard.sources.metadata`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from leakguard.findings import SkippedFile
from leakguard.git import Git, validate_commit_id, validate_log_argument
from leakguard.sources.base import DEFAULT_MAX_FILE_BYTES, CommitInfo, Fragment
from leakguard.sources.blobs import GitBlobs
from leakguard.sources.metadata import commit_message_fragments, path_fragments
from leakguard.sources.patch import LOG_FORMAT, parse_patch

#: Options shared by every diff leakguard reads: added lines only, renames detected, no helpers, full
#: blob ids (to read what git shows as binary, and the context of added lines, by id).
DIFF_OPTIONS = (
    "-p",
    "-U0",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "-M",
    "--submodule=short",
    "--full-index",
)


def count_commits(git: Git, revisions: Sequence[str]) -> int:
    """How many commits ``revisions`` selects (for a progress bar)."""
    args = [validate_log_argument(r) for r in revisions]
    return int(git.text(["rev-list", "--count", *args, "--"]) or 0)


def commit_fragments(
    git: Git,
    revisions: Sequence[str],
    *,
    exclude: Sequence[str] = (),
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    metadata: bool = True,
) -> Iterator[Fragment | SkippedFile | CommitInfo]:
    """The added lines of every commit ``revisions`` selects (``git log`` syntax: ``A..B``, ``--not``,
    and the commit-selecting options :func:`~leakguard.git.validate_log_argument` allows).

    ``exclude``: commit ids whose history is left out (given on stdin, however many; ids the clone
    does not have are ignored). ``metadata``: also the commits' messages and added or renamed paths.
    """
    args = [validate_log_argument(r) for r in revisions]
    stdin = "".join(f"^{validate_commit_id(c)}\n" for c in exclude).encode() if exclude else None
    selection = [*(["--stdin", "--ignore-missing"] if stdin else []), *args, "--"]
    command = ["log", "--reverse", "--topo-order", LOG_FORMAT, *DIFF_OPTIONS, "--diff-merges=dense-combined"]
    authors: dict[str, str | None] = {}
    with git.stream([*command, *selection], input=stdin) as lines:
        for item in parse_patch(lines, max_file_bytes=max_file_bytes, blobs=GitBlobs(git)):
            if isinstance(item, CommitInfo):
                authors[item.commit] = item.author
            yield item
    if metadata and authors:
        yield from path_fragments(git, selection, authors, stdin=stdin)
        yield from commit_message_fragments(git, authors, max_bytes=max_file_bytes)


def staged_fragments(
    git: Git, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> Iterator[Fragment | SkippedFile | CommitInfo]:
    """The lines the index adds against HEAD: what the next commit would add (pre-commit hook)."""
    with git.stream(["diff", "--cached", *DIFF_OPTIONS, "--"]) as lines:
        yield from parse_patch(lines, max_file_bytes=max_file_bytes, blobs=GitBlobs(git))

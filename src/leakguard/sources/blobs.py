"""Whole files turned into fragments: decoded by encoding, opened when they are archives, and cut into
bounded windows when they are large.

Plain files, and files git shows only as "Binary files differ" (UTF-16 text, a ``.env`` with a NUL,
archives), come through here. When the previous version of a file is known, only the lines it did not
already have count as added, so an old secret in an edited UTF-16 file or a re-built archive does not
alert again.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from itertools import accumulate, repeat
from operator import add, itemgetter

from leakguard.findings import SkippedFile
from leakguard.git import Git, GitError
from leakguard.sources.archives import DEFAULT_LIMITS, ArchiveLimits, Member, archive_kind, iter_members
from leakguard.sources.base import FileLines, Fragment, given, split_lines
from leakguard.sources.content import decode_text, detect_encoding

#: A fragment holds at most about this much text; larger files are read as several windows.
WINDOW_BYTES = 4 * 1024 * 1024
_OBJECT_ID = re.compile(r"^[0-9a-f]{4,64}$")
#: A window is cut at a top-level line (no indentation) when one is this close to the end.
_CUT_SEARCH_LINES = 2000


def blob_fragments(
    path: str,
    data: bytes,
    *,
    previous: bytes | None = None,
    commit: str | None = None,
    author: str | None = None,
    limits: ArchiveLimits = DEFAULT_LIMITS,
) -> Iterator[Fragment | SkippedFile]:
    """Fragments of a whole file ``data`` (its lines not in ``previous``), or why it was skipped."""
    if archive_kind(data) is None:
        yield from _text_fragments(path, data, previous, commit, author)
        return
    old_members: dict[str, bytes] = {}
    if previous is not None and archive_kind(previous) is not None:
        old_members = {
            m.path: m.data for m in iter_members(path, previous, limits=limits) if isinstance(m, Member)
        }
    for member in iter_members(path, data, limits=limits):
        if isinstance(member, SkippedFile):
            yield SkippedFile(path=member.path, reason=member.reason, commit=commit)
        elif old_members.get(member.path) != member.data:
            yield from _text_fragments(member.path, member.data, old_members.get(member.path), commit, author)


def _text_fragments(
    path: str, data: bytes, previous: bytes | None, commit: str | None, author: str | None
) -> Iterator[Fragment | SkippedFile]:
    # The common case, plain UTF-8 read whole: its own bytes kept for the engine (FileLines.of_plain_utf8).
    plain = None
    if previous is None and detect_encoding(data) == ("utf-8", 0):
        plain = FileLines.of_plain_utf8(data)
        if plain is not None and plain.characters < WINDOW_BYTES:
            yield Fragment(
                path=path, lines=plain, commit=commit, author=author, size=len(data), context=plain.context()
            )
            return
    text = plain.text if plain is not None else decode_text(data)
    if text is None:
        yield SkippedFile(path=path, reason="binary file", commit=commit)
        return
    if previous is None and len(text) < WINDOW_BYTES:  # one fragment, no per-line work
        whole = FileLines(text)
        yield Fragment(
            path=path, lines=whole, commit=commit, author=author, size=len(data), context=whole.context()
        )
        return
    lines = split_lines(text)
    numbered = list(enumerate(lines, start=1))
    if previous is not None:
        old_text = decode_text(previous)
        if old_text is not None:
            old_lines = set(split_lines(old_text))
            numbered = [(number, line) for number, line in numbered if line not in old_lines]
    if len(text) < WINDOW_BYTES:
        yield Fragment(
            path=path, lines=numbered, commit=commit, author=author, size=len(data), context=given(lines)
        )
        return
    yield from windows(path, numbered, commit=commit, author=author, context=given(lines))


def windows(
    path: str,
    numbered: Sequence[tuple[int, str]],
    *,
    commit: str | None = None,
    author: str | None = None,
    context: Callable[[], Sequence[str] | None] | None = None,
    window_bytes: int = WINDOW_BYTES,
) -> Iterator[Fragment]:
    """``numbered`` lines as fragments of at most about ``window_bytes`` each.

    Windows are cut between top-level lines where possible (a block of YAML, HCL or a PEM key is not
    split), so what spans lines stays in one window. A window ends after the first line that brings it
    to ``window_bytes`` (newlines counted; never after the last line), then ``cut_point`` moves the cut
    back: ``sizes`` (running totals, built at C speed) and a bisection find that line without a Python
    step per line.
    """
    sizes = list(accumulate(map(add, map(len, map(itemgetter(1), numbered)), repeat(1))))
    last = len(numbered) - 1
    start, before, index = 0, 0, 0  # the window's first line, the size of the lines before it
    while True:
        index = bisect_left(sizes, before + window_bytes, lo=index)
        if index >= last:
            break
        cut = cut_point(numbered, start, index + 1)
        yield _fragment(path, numbered[start:cut], sizes[cut - 1] - before, commit, author, context)
        start, before, index = cut, sizes[cut - 1], index + 1
    if start < len(numbered):
        yield _fragment(path, numbered[start:], sizes[-1] - before, commit, author, context)


def cut_point(numbered: Sequence[tuple[int, str]], start: int, end: int) -> int:
    """Where to end a window over ``numbered[start:end]``: before the last top-level line that is not
    inside a PEM block, searched among the last lines only; ``end`` when there is none."""
    lowest = max(start + 1, end - _CUT_SEARCH_LINES)
    for index in range(end - 1, lowest - 1, -1):
        text = numbered[index][1]
        if text[:1] not in ("", " ", "\t", "-") and not _inside_pem(numbered, lowest, index):
            return index
    return end


def _inside_pem(numbered: Sequence[tuple[int, str]], lowest: int, index: int) -> bool:
    for position in range(index - 1, lowest - 1, -1):
        text = numbered[position][1]
        if "-----END" in text:
            return False
        if "-----BEGIN" in text:
            return True
    return False


def _fragment(
    path: str,
    lines: Sequence[tuple[int, str]],
    size: int,
    commit: str | None,
    author: str | None,
    context: Callable[[], Sequence[str] | None] | None,
) -> Fragment:
    return Fragment(path=path, lines=list(lines), commit=commit, author=author, size=size, context=context)


class GitBlobs:
    """Reads blobs of a repository by id, refusing any larger than ``max_bytes``."""

    def __init__(self, git: Git, *, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.git = git
        self.max_bytes = max_bytes

    def size(self, oid: str) -> int | None:
        """The blob's size in bytes; None when it does not exist."""
        if not _OBJECT_ID.match(oid):
            return None
        try:
            return int(self.git.text(["cat-file", "-s", oid]))
        except (GitError, ValueError):
            return None

    def read(self, oid: str) -> bytes | None:
        """The blob's content; None when it does not exist or exceeds ``max_bytes``."""
        size = self.size(oid)
        if size is None or size > self.max_bytes:
            return None
        try:
            return self.git.run(["cat-file", "blob", oid])
        except GitError:
            return None

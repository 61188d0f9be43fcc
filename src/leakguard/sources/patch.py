"""Parse ``git log -p`` / ``git diff`` output (``-U0``) into the added lines of each file.

Only added lines matter: a secret that was already in a file must not re-alert on every edit of it,
and a pure rename adds nothing. Merge commits come as dense combined diffs (``--cc``), where a line is
new only if it is added against every parent: that is an "evil merge" and is scanned; lines a merge
merely brings over from a branch were scanned in the branch's own commits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from leakguard.findings import SkippedFile
from leakguard.sources.base import CommitInfo, Fragment, decode
from leakguard.sources.blobs import WINDOW_BYTES, blob_fragments, cut_point, split_lines
from leakguard.sources.content import decode_text

#: Marks the start of each commit in the ``--format`` leakguard passes to ``git log``.
COMMIT_MARKER = b"\x00\x00commit\x00"
LOG_FORMAT = "--format=%x00%x00commit%x00%H%x00%an <%ae>%x00"

_HUNK = re.compile(rb"^(@@+) [^@]*?\+(\d+)(?:,(\d+))? @@")
_BINARY = re.compile(rb"^Binary files (.*) and (.*) differ$")
_OCTAL = re.compile(rb"\\([0-7]{3}|.)")
_ESCAPES = {
    b"t": b"\t",
    b"n": b"\n",
    b'"': b'"',
    b"\\": b"\\",
    b"a": b"\a",
    b"b": b"\b",
    b"f": b"\f",
    b"r": b"\r",
    b"v": b"\v",
}


def unquote_path(raw: bytes) -> str:
    """Undo git's C-style quoting of unusual file names (``"dir/\\303\\251.txt"``)."""
    if raw.startswith(b'"') and raw.endswith(b'"') and len(raw) >= 2:

        def replace(match: re.Match[bytes]) -> bytes:
            token = match.group(1)
            return bytes([int(token, 8)]) if len(token) == 3 else _ESCAPES.get(token, token)

        raw = _OCTAL.sub(replace, raw[1:-1])
    return raw.decode("utf-8", "replace")


def _strip_prefix(raw: bytes) -> str | None:
    """``b/dir/file`` → ``dir/file``; ``/dev/null`` → None."""
    # git appends a tab to names containing a space, for patch(1)'s sake.
    path = unquote_path(raw.rstrip(b"\n").rstrip(b"\t"))
    if path == "/dev/null":
        return None
    return path[2:] if path[:2] in ("a/", "b/") else path


@dataclass
class _FileState:
    path: str | None = None
    parents: int = 1
    next_line: int = 0
    lines: list[tuple[int, str]] = field(default_factory=list)
    size: int = 0
    window: int = 0
    binary: bool = False
    too_large: bool = False
    old_blob: str | None = None
    new_blob: str | None = None


class BlobSource(Protocol):
    """What the parser needs to read a file git does not diff as text (see :class:`GitBlobs`)."""

    def read(self, oid: str) -> bytes | None: ...


def parse_patch(
    stream: Iterable[bytes],
    *,
    max_file_bytes: int,
    commit: str | None = None,
    author: str | None = None,
    blobs: BlobSource | None = None,
    window_bytes: int = WINDOW_BYTES,
) -> Iterator[Fragment | SkippedFile | CommitInfo]:
    """Yield :class:`Fragment` s per file with added lines, a :class:`SkippedFile` per skipped file,
    and a :class:`CommitInfo` at the start of every commit.

    ``stream`` is the raw output, line by line. When it holds several commits (``git log`` with
    :data:`LOG_FORMAT`), each commit's id and author come from its marker line. With ``blobs`` (run
    with ``--full-index``), files git calls binary are read whole and decoded (UTF-16 text, archives),
    and every fragment can fetch its file's other lines as context. A file's added text larger than
    ``window_bytes`` comes as several fragments; past ``max_file_bytes`` the rest is reported skipped.
    """
    state: _FileState | None = None

    def fragment(lines: list[tuple[int, str]], size: int) -> Fragment:
        assert state is not None and state.path is not None  # noqa: S101
        return Fragment(
            path=state.path,
            lines=lines,
            commit=commit,
            author=author,
            size=size,
            context=_context(blobs, state.new_blob),
        )

    def finish() -> Iterator[Fragment | SkippedFile]:
        if state is None or state.path is None:
            return
        if state.binary:
            yield from _binary(state, blobs, commit, author)
            return
        if state.lines:
            yield fragment(state.lines, state.window)
        if state.too_large:
            yield SkippedFile(
                path=state.path,
                reason=f"added text past the first {max_file_bytes} bytes was not read",
                commit=commit,
            )

    def cut_window() -> Fragment:
        """The lines so far as a fragment, up to a cut point; the rest starts the next window."""
        assert state is not None  # noqa: S101
        cut = cut_point(state.lines, 0, len(state.lines))
        done, state.lines = state.lines[:cut], state.lines[cut:]
        kept = sum(len(text) + 1 for _, text in state.lines)
        made = fragment(done, state.window - kept)
        state.window = kept
        return made

    for raw in stream:
        # Inside a hunk first: nearly every line is one, and none can start like a header below.
        if state is not None and state.next_line:
            first = raw[:1]
            if first == b"+" and state.parents == 1:  # an added line of a plain diff: inlined
                line_number = state.next_line
                state.next_line += 1
                if state.too_large:
                    continue
                text = raw[1:-1] if raw[-1:] == b"\n" else raw[1:]
                state.size += len(text) + 1
                if state.size > max_file_bytes:
                    state.too_large = True
                    continue
                state.window += len(text) + 1
                state.lines.append((line_number, text.decode("utf-8", errors="replace")))
                if state.window >= window_bytes and state.path is not None:
                    yield cut_window()
                continue
            if first in (b"+", b"-", b" "):
                _take_line(state, raw, max_file_bytes)
                if state.window >= window_bytes and state.path is not None:
                    yield cut_window()
                continue
        if raw.startswith(COMMIT_MARKER):
            yield from finish()
            state = None
            fields = raw[len(COMMIT_MARKER) :].rstrip(b"\n").split(b"\x00")
            commit = fields[0].decode("ascii", "replace")
            author = decode(fields[1]) if len(fields) > 1 else None
            yield CommitInfo(commit=commit, author=author)
            continue
        if raw.startswith((b"diff --git ", b"diff --cc ", b"diff --combined ")):
            yield from finish()
            state = _FileState(parents=2 if not raw.startswith(b"diff --git ") else 1)
            if raw.startswith(b"diff --cc ") or raw.startswith(b"diff --combined "):
                state.path = unquote_path(raw.split(b" ", 2)[2].rstrip(b"\n"))
            continue
        if state is None:
            continue
        if raw[:1] == b"@" and raw.startswith(b"@@"):
            hunk = _HUNK.match(raw)
            if hunk:
                state.parents = len(hunk.group(1)) - 1
                state.next_line = int(hunk.group(2))
            continue
        if raw.startswith(b"+++ "):
            state.path = _strip_prefix(raw[4:]) or state.path
        elif raw.startswith(b"--- ") and state.path is None:
            state.path = _strip_prefix(raw[4:])
        elif raw.startswith(b"index "):
            state.old_blob, state.new_blob = _blob_ids(raw)
        elif raw.startswith(b"Binary files "):
            binary = _BINARY.match(raw.rstrip(b"\n"))
            if binary:
                state.path = _strip_prefix(binary.group(2)) or _strip_prefix(binary.group(1))
                state.binary = True
    yield from finish()


def _blob_ids(raw: bytes) -> tuple[str | None, str | None]:
    """``index OLD..NEW [mode]`` (``OLD1,OLD2..NEW`` for merges): the first old and the new blob id."""
    ids = raw[6:].split(b" ", 1)[0].rstrip(b"\n")
    old, _, new = ids.partition(b"..")
    first_old = old.split(b",", 1)[0]
    return _real(first_old), _real(new)


def _real(oid: bytes) -> str | None:
    text = oid.decode("ascii", "replace")
    return None if not text or set(text) == {"0"} else text


def _binary(
    state: _FileState, blobs: BlobSource | None, commit: str | None, author: str | None
) -> Iterator[Fragment | SkippedFile]:
    """A file git does not diff as text: read whole, decoded, with only its new lines as added."""
    assert state.path is not None  # noqa: S101
    if blobs is None or state.new_blob is None:
        yield SkippedFile(path=state.path, reason="binary file", commit=commit)
        return
    data = blobs.read(state.new_blob)
    if data is None:
        yield SkippedFile(path=state.path, reason="binary file too large to read", commit=commit)
        return
    previous = blobs.read(state.old_blob) if state.old_blob else None
    yield from blob_fragments(state.path, data, previous=previous, commit=commit, author=author)


def _context(blobs: BlobSource | None, oid: str | None) -> Callable[[], Sequence[str] | None] | None:
    """A reader of the new file's lines, run (once) only if the engine asks."""
    if blobs is None or oid is None:
        return None
    return BlobLines(blobs, oid)


class BlobLines:
    """The lines of blob ``oid``, read on the first call and kept (a picklable ``context``)."""

    def __init__(self, blobs: BlobSource, oid: str) -> None:
        self.blobs = blobs
        self.oid = oid
        self._lines: list[Sequence[str] | None] = []

    def __call__(self) -> Sequence[str] | None:
        if not self._lines:
            data = self.blobs.read(self.oid)
            text = decode_text(data) if data is not None else None
            self._lines.append(split_lines(text) if text is not None else None)
        return self._lines[0]


def _take_line(state: _FileState, raw: bytes, max_file_bytes: int) -> None:
    prefix, text = raw[: state.parents], raw[state.parents :]
    if b"-" in prefix:
        return  # removed against some parent: not in the new file
    line_number = state.next_line
    state.next_line += 1
    if prefix != b"+" * state.parents or state.too_large:
        return  # context, or present in some parent: not introduced here
    if text.endswith(b"\n"):
        text = text[:-1]
    state.size += len(text) + 1
    if state.size > max_file_bytes:
        state.too_large = True
        return
    state.window += len(text) + 1
    state.lines.append((line_number, decode(text)))

"""Parse ``git log -p`` / ``git diff`` output (``-U0``) into the added lines of each file.

Only added lines matter: a secret that was already in a file must not re-alert on every edit of it,
and a pure rename adds nothing. Merge commits come as dense combined diffs (``--cc``), where a line is
new only if it is added against every parent: that is an "evil merge" and is scanned; lines a merge
merely brings over from a branch were scanned in the branch's own commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from leakguard.findings import SkippedFile
from leakguard.sources.base import CommitInfo, Fragment, decode

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
    binary: bool = False
    too_large: bool = False


def parse_patch(
    stream: Iterable[bytes], *, max_file_bytes: int, commit: str | None = None, author: str | None = None
) -> Iterator[Fragment | SkippedFile | CommitInfo]:
    """Yield a :class:`Fragment` per file with added lines, a :class:`SkippedFile` per skipped file,
    and a :class:`CommitInfo` at the start of every commit.

    ``stream`` is the raw output, line by line. When it holds several commits (``git log`` with
    :data:`LOG_FORMAT`), each commit's id and author come from its marker line.
    """
    state: _FileState | None = None

    def finish() -> Iterator[Fragment | SkippedFile]:
        if state is None or state.path is None:
            return
        if state.binary:
            yield SkippedFile(path=state.path, reason="binary file", commit=commit)
        elif state.too_large:
            yield SkippedFile(
                path=state.path,
                reason=f"added text exceeds the size limit of {max_file_bytes} bytes",
                commit=commit,
            )
        elif state.lines:
            yield Fragment(path=state.path, lines=state.lines, commit=commit, author=author, size=state.size)

    for raw in stream:
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
        if state.next_line and raw[:1] in (b"+", b"-", b" "):
            _take_line(state, raw, max_file_bytes)
            continue
        if raw.startswith(b"+++ "):
            state.path = _strip_prefix(raw[4:]) or state.path
        elif raw.startswith(b"--- ") and state.path is None:
            state.path = _strip_prefix(raw[4:])
        elif raw.startswith(b"Binary files "):
            binary = _BINARY.match(raw.rstrip(b"\n"))
            if binary:
                state.path = _strip_prefix(binary.group(2)) or _strip_prefix(binary.group(1))
                state.binary = True
    yield from finish()


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
        state.too_large, state.lines = True, []
        return
    state.lines.append((line_number, decode(text)))

"""What a push carries besides file content: added and renamed paths, commit and tag messages, ref names.

Each becomes a :class:`Fragment` of its own ``source`` and goes through the same rules as content.
Objects are read with ``git cat-file --batch`` (length-prefixed, so no message can forge the end of
another) and paths with ``-z`` (NUL-separated, no quoting to undo), whatever bytes they hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

from leakguard.findings import SkippedFile
from leakguard.git import Git, validate_commit_id
from leakguard.sources.base import (
    SOURCE_COMMIT_MESSAGE,
    SOURCE_PATH,
    SOURCE_REF_NAME,
    SOURCE_TAG_MESSAGE,
    Fragment,
    decode,
)

#: Statuses of ``--name-status`` whose (new) path is new to the tree: added, renamed, copied.
_NEW_PATH_STATUSES = ("A", "R", "C")
_SIGNATURE = re.compile(rb"\n-----BEGIN (PGP|SSH) SIGNATURE-----\n.*\Z", re.DOTALL)


def path_fragments(
    git: Git, log_args: Sequence[str], authors: Mapping[str, str | None], *, stdin: bytes | None
) -> Iterator[Fragment]:
    """A one-line fragment (line 0) per path a commit of the range added, renamed or copied.

    ``log_args`` select the same commits as the content pass; merges bring no path of their own
    (what they merge was added, and scanned, on its branch).
    """
    command = ["log", "-z", "--format=%x00commit %H", "--name-status", "-M", "-C", "--no-color", *log_args]
    output = git.run(command, input=stdin)
    commit: str | None = None
    tokens = iter(output.split(b"\x00"))
    for token in tokens:
        if token.startswith(b"commit "):
            commit = token[len(b"commit ") :].decode("ascii", "replace").strip()
            continue
        status = token.strip(b"\n")
        if not status or commit is None:
            continue
        letter = status[:1].decode("ascii", "replace")
        paths = [next(tokens, b"")] + ([next(tokens, b"")] if letter in ("R", "C") else [])
        if letter in _NEW_PATH_STATUSES and paths[-1]:
            path = decode(paths[-1])
            yield Fragment(
                path=path,
                lines=[(0, path)],
                commit=commit,
                author=authors.get(commit),
                size=len(paths[-1]),
                source=SOURCE_PATH,
            )


def ref_name_fragment(full_name: str, commit: str, *, author: str | None = None) -> Fragment:
    """A one-line fragment (line 0) of a pushed ref's full name, located at the commit it points at.

    The name itself is the leak (a branch named after a key): it is scanned like a path, with the full
    name (``refs/heads/...``) as its path, so the finding's fingerprint names the ref and its column
    counts from ``refs/``. ``author``: who chose the name (the pusher), when known.
    """
    return Fragment(
        path=full_name, lines=[(0, full_name)], commit=commit, author=author, source=SOURCE_REF_NAME
    )


def commit_message_fragments(
    git: Git, authors: Mapping[str, str | None], *, max_bytes: int
) -> Iterator[Fragment | SkippedFile]:
    """The message of each commit of ``authors`` (every line, numbered from 1)."""
    for object_id, object_type, raw in read_objects(git, authors):
        if object_type != "commit":
            continue
        message = _message(raw)
        if len(message) > max_bytes:
            yield SkippedFile(
                path="",
                reason=f"commit message exceeds the size limit of {max_bytes} bytes",
                commit=object_id,
            )
            continue
        if message.strip():
            yield _message_fragment(message, "", object_id, authors.get(object_id), SOURCE_COMMIT_MESSAGE)


def tag_message_fragments(
    git: Git, tag_objects: Iterable[str], *, max_bytes: int
) -> Iterator[Fragment | SkippedFile]:
    """The message of each annotated tag (and of the tags it points at, for a tag of a tag)."""
    pending = list(dict.fromkeys(tag_objects))
    seen: set[str] = set()
    while pending:
        batch, pending = [t for t in pending if t not in seen], []
        seen.update(batch)
        for object_id, object_type, raw in read_objects(git, batch):
            if object_type != "tag":
                continue
            headers = _headers(raw)
            name = decode(headers.get(b"tag", b""))
            tagger = decode(headers[b"tagger"].rsplit(b" ", 2)[0]) if b"tagger" in headers else None
            if headers.get(b"type") == b"tag" and b"object" in headers:
                pending.append(headers[b"object"].decode("ascii", "replace"))
            message = _SIGNATURE.sub(b"\n", _message(raw))
            if len(message) > max_bytes:
                yield SkippedFile(
                    path=name,
                    reason=f"tag message exceeds the size limit of {max_bytes} bytes",
                    commit=object_id,
                )
            elif message.strip():
                yield _message_fragment(message, name, object_id, tagger, SOURCE_TAG_MESSAGE)


def read_objects(git: Git, object_ids: Iterable[str]) -> Iterator[tuple[str, str, bytes]]:
    """``(id, type, raw content)`` of each object, from one ``git cat-file --batch``; missing ones skipped."""
    wanted = [validate_commit_id(o) for o in dict.fromkeys(object_ids)]
    if not wanted:
        return
    with git.stream(["cat-file", "--batch"], input="\n".join(wanted).encode() + b"\n") as lines:
        for header in lines:
            fields = header.rstrip(b"\n").split(b" ")
            if len(fields) != 3:
                continue  # "<id> missing"
            size = int(fields[2])
            chunks: list[bytes] = []
            length = 0
            while length < size + 1:  # the content, then the newline cat-file adds
                chunk = next(lines, b"")
                if not chunk:
                    break
                chunks.append(chunk)
                length += len(chunk)
            yield fields[0].decode("ascii"), fields[1].decode("ascii"), b"".join(chunks)[:size]


def _headers(raw: bytes) -> dict[bytes, bytes]:
    head = raw.split(b"\n\n", 1)[0]
    headers: dict[bytes, bytes] = {}
    for line in head.split(b"\n"):
        if line and not line.startswith(b" "):  # continuation lines belong to multi-line headers
            key, _, value = line.partition(b" ")
            headers.setdefault(key, value)
    return headers


def _message(raw: bytes) -> bytes:
    return raw.split(b"\n\n", 1)[1] if b"\n\n" in raw else b""


def _message_fragment(message: bytes, path: str, object_id: str, author: str | None, source: str) -> Fragment:
    text = decode(message)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return Fragment(
        path=path,
        lines=list(enumerate(lines, start=1)),
        commit=object_id,
        author=author,
        size=len(message),
        source=source,
    )

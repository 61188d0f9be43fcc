"""Plain files and directories: every line of every file is "added"."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from leakguard.findings import SkippedFile
from leakguard.sources.base import DEFAULT_MAX_FILE_BYTES, Fragment, decode, is_binary

_SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "__pycache__"})


def file_fragments(
    paths: Sequence[str | Path], *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> Iterator[Fragment | SkippedFile]:
    """A fragment per readable text file under ``paths``; a :class:`SkippedFile` for every other one."""
    for root in paths:
        root_path = Path(root)
        if root_path.is_dir():
            for directory, subdirs, names in os.walk(root_path):
                subdirs[:] = sorted(d for d in subdirs if d not in _SKIP_DIRS)
                for name in sorted(names):
                    yield _read(Path(directory, name), max_file_bytes)
        else:
            yield _read(root_path, max_file_bytes)


def _read(path: Path, max_file_bytes: int) -> Fragment | SkippedFile:
    shown = path.as_posix()
    try:
        if path.is_symlink():
            return SkippedFile(path=shown, reason="symbolic link")
        size = path.stat().st_size
        if size > max_file_bytes:
            return SkippedFile(path=shown, reason=f"file exceeds the size limit of {max_file_bytes} bytes")
        data = path.read_bytes()
    except OSError as exc:
        return SkippedFile(path=shown, reason=f"unreadable: {exc.strerror or exc}")
    if is_binary(data):
        return SkippedFile(path=shown, reason="binary file")
    lines = decode(data).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return Fragment(path=shown, lines=list(enumerate(lines, start=1)), size=len(data))

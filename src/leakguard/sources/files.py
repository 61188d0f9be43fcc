"""Plain files and directories: every line of every file is "added"."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from leakguard.findings import SkippedFile
from leakguard.sources.base import DEFAULT_MAX_FILE_BYTES, Fragment
from leakguard.sources.blobs import blob_fragments

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
                    yield from _read(Path(directory, name), max_file_bytes)
        else:
            yield from _read(root_path, max_file_bytes)


def _read(path: Path, max_file_bytes: int) -> Iterator[Fragment | SkippedFile]:
    """A file's fragments (decoded, archive members, windows of a large file), or why not."""
    shown = path.as_posix()
    try:
        if path.is_symlink():
            yield SkippedFile(path=shown, reason="symbolic link")
            return
        with path.open("rb") as handle:
            data = handle.read(max_file_bytes + 1)
    except OSError as exc:
        yield SkippedFile(path=shown, reason=f"unreadable: {exc.strerror or exc}")
        return
    if len(data) > max_file_bytes:
        data = data[:max_file_bytes]
        yield SkippedFile(path=shown, reason=f"only the first {max_file_bytes} bytes were read")
    yield from blob_fragments(shown, data)

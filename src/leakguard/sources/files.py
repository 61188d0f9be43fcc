"""Plain files and directories: every line of every file is "added"."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from leakguard.findings import SkippedFile
from leakguard.sources.base import DEFAULT_MAX_FILE_BYTES, Fragment
from leakguard.sources.blobs import blob_fragments

#: Version-control metadata: never read as files (history is what ``--range`` scans).
_VCS_DIRS = frozenset({".git", ".hg", ".svn"})
#: Dependency, virtual-environment and cache directories: not scanned by default, but reported as
#: skipped (with the way to scan them), never silently dropped.
DEPENDENCY_DIRS = frozenset(
    {
        "node_modules",
        "bower_components",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".terraform",
        ".gradle",
    }
)


@dataclass(frozen=True, slots=True)
class FileToRead:
    """A file of a walk, not read yet: :meth:`read` gives its fragments, or why it was skipped.

    A scan on several cores hands these to its workers, which read, decompress and decode the files
    themselves (see :func:`leakguard.scan.scanned_items`): the walking process then neither reads
    every byte nor sends the text through a pipe. ``size`` (bytes on disk, 0 if unknown) only
    balances the workers' batches.
    """

    path: str
    location: str
    max_file_bytes: int
    size: int = 0

    def read(self) -> Iterator[Fragment | SkippedFile]:
        """What :func:`file_fragments` yields for this file when it reads it itself."""
        return _read(self.location, self.path, self.max_file_bytes)


def file_fragments(
    paths: Sequence[str | Path],
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    relative_to: Path | None = None,
    exclude: Callable[[str], bool] | None = None,
    dependency_dirs: bool = False,
    deferred: bool = False,
) -> Iterator[Fragment | SkippedFile | FileToRead]:
    """A fragment per readable text file under ``paths``; a :class:`SkippedFile` for every other one.

    Paths are shown relative to ``relative_to`` (the repository root, so fingerprints and reports do
    not depend on the working directory or on how the path was typed), ``/``-separated. ``exclude``
    drops the (shown) paths it answers True for. Dependency directories are reported as skipped
    unless ``dependency_dirs`` asks to scan them. ``deferred``: a :class:`FileToRead` in place of
    each file's fragments, in the same order (whoever consumes the items reads them).
    """

    def read(location: str | Path, shown: str) -> Iterator[Fragment | SkippedFile | FileToRead]:
        if deferred:
            yield FileToRead(shown, str(location), max_file_bytes, _size(location))
        else:
            yield from _read(location, shown, max_file_bytes)

    for root in paths:
        root_path = Path(root)
        if root_path.is_dir():
            below: dict[str, _Directory | None] = {}  # subdirectories the walk is about to enter
            unlisted: list[OSError] = []  # directories os.walk could not list (it drops them silently)
            for directory, subdirs, names in _walk(str(root_path), unlisted.append):
                yield from _unlisted(unlisted, relative_to)
                place = below.pop(directory, None) or _Directory(directory, relative_to)
                kept = []
                for name in sorted(subdirs):
                    if name in _VCS_DIRS:
                        continue
                    shown = place.shown(name)
                    if exclude is not None and exclude(shown):
                        continue
                    if name in DEPENDENCY_DIRS and not dependency_dirs:
                        yield SkippedFile(
                            path=shown + "/",
                            reason="dependency or cache directory, not scanned (--scan-dependency-dirs "
                            "scans it)",
                        )
                        continue
                    kept.append(name)
                    below[os.path.join(directory, name)] = place.below(name)
                subdirs[:] = kept
                for name in sorted(names):
                    shown = place.shown(name)
                    if exclude is not None and exclude(shown):
                        continue
                    yield from read(os.path.join(directory, name), shown)
            yield from _unlisted(unlisted, relative_to)
        else:
            shown = _shown(root_path, relative_to)
            if exclude is None or not exclude(shown):
                yield from read(root_path, shown)


def _walk(top: str, onerror: Callable[[OSError], object]) -> Iterator[tuple[str, list[str], list[str]]]:
    """``os.walk(top, onerror=onerror)`` (top-down, the caller may prune ``subdirs`` in place, same
    order), without recursion: Python 3.11's ``os.walk`` recurses once per level, so a tree deeper
    than about 990 directories raised ``RecursionError`` and ended the scan. A link to a directory
    is listed among the names (then reported as a symbolic link), never entered."""
    pending = [top]
    while pending:
        directory = pending.pop()
        try:
            with os.scandir(directory) as scanned:
                entries = list(scanned)
        except OSError as error:
            onerror(error)
            continue
        subdirs: list[str] = []
        names: list[str] = []
        for entry in entries:
            try:
                is_directory = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_directory = False
            (subdirs if is_directory else names).append(entry.name)
        yield directory, subdirs, names
        pending.extend(os.path.join(directory, name) for name in reversed(subdirs))


def _unlisted(errors: list[OSError], relative_to: Path | None) -> Iterator[SkippedFile]:
    """A skipped entry for each directory a walk could not list (then forgets them): a scan that
    could not read part of the tree must say so, not report it clean."""
    while errors:
        error = errors.pop(0)
        where = Path(error.filename) if error.filename else None
        shown = (_shown(where, relative_to) + "/") if where is not None else "?"
        yield SkippedFile(path=shown, reason=f"unreadable directory: {error.strerror or error}")


class _Directory:
    """One directory of a walk, and how the paths of its entries are shown, worked out once for all of
    them rather than with ``Path`` objects per entry (a walk of thousands of files felt that).

    Equal to ``_shown(Path(directory, name), relative_to)``: ``Path`` joins a normalised directory and
    a plain name as ``directory/name`` (``name`` alone under ``.``, no extra ``/`` after a root), and
    ``(real / name).relative_to(base)`` is ``real.relative_to(base) / name`` whenever the directory lies
    under ``base``; a directory outside it (a scan from above the repository) asks ``_shown`` per entry.

    A subdirectory the walk enters is no symbolic link (``os.walk`` does not follow them), so its real
    path is its parent's real path and its name, and it is shown as its parent's prefix and its name:
    ``below`` makes it so without a ``realpath`` (an ``lstat`` per path component) per directory.
    """

    __slots__ = ("_directory", "_prefix", "_relative_to")

    def __init__(self, directory: str, relative_to: Path | None, prefix: str | None = None) -> None:
        self._directory, self._relative_to = directory, relative_to
        if prefix is None:
            given = Path(directory).as_posix()
            prefix = "" if given == "." else given if given.endswith("/") else given + "/"
            if relative_to is not None:
                try:
                    relative = _real_directory(given).relative_to(relative_to).as_posix()
                    prefix = "" if relative == "." else relative + "/"
                except ValueError:
                    prefix = None
        self._prefix = prefix

    def below(self, name: str) -> _Directory | None:
        """The subdirectory ``name`` as the walk will enter it, when its prefix follows from this one."""
        if self._prefix is None:
            return None
        return _Directory(os.path.join(self._directory, name), self._relative_to, self._prefix + name + "/")

    def shown(self, name: str) -> str:
        """How the entry ``name`` of this directory is shown."""
        if self._prefix is not None:
            return self._prefix + name
        return _shown(Path(self._directory, name), self._relative_to)


def _shown(path: Path, relative_to: Path | None) -> str:
    """``path`` as reports show it: relative to ``relative_to`` when it lies under it."""
    if relative_to is not None:
        try:
            # The directory's real path (git reports the root resolved), the name as it is.
            real = _real_directory(str(path.parent)) / path.name
            return real.relative_to(relative_to).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def _real_directory(directory: str) -> Path:
    """``realpath`` of a directory, once per directory of a walk rather than once per file. A relative
    path is made absolute first: cached as it was given, ``.`` kept the real path of the working
    directory it was first asked in (one process scanning from two working directories, as the tests
    do, showed paths relative to the wrong one and fingerprinted them differently)."""
    return _real_absolute_directory(os.path.join(os.getcwd(), directory))


@lru_cache(maxsize=4096)
def _real_absolute_directory(directory: str) -> Path:
    return Path(os.path.realpath(directory))


def _read(path: str | Path, shown: str, max_file_bytes: int) -> Iterator[Fragment | SkippedFile]:
    """A file's fragments (decoded, archive members, windows of a large file), or why not; every path
    in them is ``shown`` (plus ``!member`` for what an archive holds)."""
    try:
        if _is_symlink(path):
            yield SkippedFile(path=shown, reason="symbolic link")
            return
        handle = _open_regular(path)
        if handle is None:
            yield SkippedFile(path=shown, reason="not a regular file (a pipe, socket or device)")
            return
        with handle:
            data = _read_at_most(handle, max_file_bytes + 1)
    except OSError as exc:
        yield SkippedFile(path=shown, reason=f"unreadable: {exc.strerror or exc}")
        return
    if len(data) > max_file_bytes:
        data = data[:max_file_bytes]
        yield SkippedFile(path=shown, reason=f"only the first {max_file_bytes} bytes were read")
    yield from blob_fragments(shown, data)


#: How a file to scan is opened: never blocking (a named pipe with no writer would hang the scan
#: forever), never through a link swapped in after the ``lstat``.
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _open_regular(path: str | Path) -> BinaryIO | None:
    """``path`` opened for reading, or None when it is not a regular file (a FIFO, a socket, a device
    such as ``/dev/zero`` that never ends): checked on the opened descriptor, so no file swapped in
    after a ``stat`` can get past it."""
    descriptor = os.open(path, _OPEN_FLAGS)
    try:
        regular = stat.S_ISREG(os.fstat(descriptor).st_mode)
    except OSError:
        os.close(descriptor)
        raise
    if not regular:
        os.close(descriptor)
        return None
    return os.fdopen(descriptor, "rb", buffering=0)


def _size(path: str | Path) -> int:
    """Bytes on disk of ``path`` (not following a link), 0 when it cannot be asked."""
    try:
        return os.lstat(path).st_size
    except (OSError, ValueError):
        return 0


#: ``lstat`` errors that mean "no such file" to ``Path.is_symlink`` (which raises on the others).
_MISSING = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})


def _is_symlink(path: str | Path) -> bool:
    """``Path(path).is_symlink()`` without making a ``Path``."""
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError as exc:
        if exc.errno not in _MISSING:
            raise
        return False
    except ValueError:  # a path the OS cannot take (a NUL in it)
        return False


def _read_at_most(handle: BinaryIO, limit: int) -> bytes:
    """The first ``limit`` bytes of an unbuffered file (all of it when shorter), as a buffered
    ``read(limit)`` returns them, but in one ``read`` call sized by ``fstat`` when the file does not
    change: a buffered ``read(limit)`` sets up a ``limit``-sized buffer (257 MB) for every file.

    Reads go on until ``limit`` bytes or the end of the file, so a short read or a file that grew
    since ``fstat`` still gives exactly what one big read would have.
    """
    if limit < 1:
        return b""
    try:
        size = os.fstat(handle.fileno()).st_size
    except OSError:
        size = 0
    data = handle.read(min(limit, size + 1))
    if len(data) >= limit or not data:
        return data
    parts = [data]
    total = len(data)
    while total < limit:
        part = handle.read(min(limit - total, _READ_CHUNK))
        if not part:
            break
        parts.append(part)
        total += len(part)
    return parts[0] if len(parts) == 1 else b"".join(parts)


#: Size of the further reads of a file longer than ``fstat`` said (or a pipe, which says 0).
_READ_CHUNK = 1 << 20

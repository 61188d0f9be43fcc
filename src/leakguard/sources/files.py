"""Plain files and directories: every line of every file is "added"."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

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


def file_fragments(
    paths: Sequence[str | Path],
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    relative_to: Path | None = None,
    exclude: Callable[[str], bool] | None = None,
    dependency_dirs: bool = False,
) -> Iterator[Fragment | SkippedFile]:
    """A fragment per readable text file under ``paths``; a :class:`SkippedFile` for every other one.

    Paths are shown relative to ``relative_to`` (the repository root, so fingerprints and reports do
    not depend on the working directory or on how the path was typed), ``/``-separated. ``exclude``
    drops the (shown) paths it answers True for. Dependency directories are reported as skipped
    unless ``dependency_dirs`` asks to scan them.
    """
    for root in paths:
        root_path = Path(root)
        if root_path.is_dir():
            for directory, subdirs, names in os.walk(root_path):
                kept = []
                for name in sorted(subdirs):
                    if name in _VCS_DIRS:
                        continue
                    shown = _shown(Path(directory, name), relative_to)
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
                subdirs[:] = kept
                for name in sorted(names):
                    file_path = Path(directory, name)
                    if exclude is not None and exclude(_shown(file_path, relative_to)):
                        continue
                    for item in _read(file_path, max_file_bytes):
                        yield _relative(item, file_path, relative_to)
        elif exclude is None or not exclude(_shown(root_path, relative_to)):
            for item in _read(root_path, max_file_bytes):
                yield _relative(item, root_path, relative_to)


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


@lru_cache(maxsize=4096)
def _real_directory(directory: str) -> Path:
    """``realpath`` of a directory, once per directory of a walk rather than once per file."""
    return Path(os.path.realpath(directory))


def _relative(item: Fragment | SkippedFile, path: Path, relative_to: Path | None) -> Fragment | SkippedFile:
    """``item`` with its path (or the prefix naming ``path``, for members of it) shown relatively."""
    given, shown = path.as_posix(), _shown(path, relative_to)
    if shown == given or not item.path.startswith(given):
        return item
    return replace(item, path=shown + item.path[len(given) :])


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

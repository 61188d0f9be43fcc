"""What every source (commit history, staged changes, plain files) hands to the engine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

#: Files larger than this (bytes of added text) are skipped and reported as skipped.
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Fragment:
    """The added lines of one file, in one commit when the source is history.

    ``lines`` holds ``(line number in the new file, text without the newline)``; for a plain file that
    is every line. The engine does not know or care where the lines came from.
    """

    path: str
    lines: Sequence[tuple[int, str]]
    commit: str | None = None
    author: str | None = None
    size: int = field(default=0, compare=False)


@dataclass(frozen=True)
class CommitInfo:
    """Marks the start of a commit in a history source, so commits that add nothing still count."""

    commit: str
    author: str | None = None


def decode(data: bytes) -> str:
    """Decode file content as UTF-8, replacing invalid bytes instead of failing."""
    return data.decode("utf-8", errors="replace")


def is_binary(data: bytes) -> bool:
    """git's own test: a NUL byte in the first 8000 bytes means binary."""
    return b"\x00" in data[:8000]

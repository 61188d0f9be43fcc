"""What every source (commit history, staged changes, plain files) hands to the engine."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

#: Bytes of one file read at most (in windows); the rest is reported as skipped.
DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024

#: Where a fragment's text comes from. A credential hides in file content, but also in the name of a
#: file a commit adds or renames, in a commit message, and in an annotated tag's message.
SOURCE_FILE = "file"
SOURCE_PATH = "path"
SOURCE_COMMIT_MESSAGE = "commit-message"
SOURCE_TAG_MESSAGE = "tag-message"
SOURCES = (SOURCE_FILE, SOURCE_PATH, SOURCE_COMMIT_MESSAGE, SOURCE_TAG_MESSAGE)


@dataclass(frozen=True)
class Fragment:
    """The added lines of one file, in one commit when the source is history.

    ``lines`` holds ``(line number in the new file, text without the newline)``; for a plain file that
    is every line. The engine does not know or care where the lines came from; ``source`` says it
    for the people reading a finding: ``file`` content; the ``path`` itself (one line, number 0);
    a ``commit-message`` (``path`` empty); a ``tag-message`` (``path`` is the tag's name and
    ``commit`` the tag object).

    ``context``, when the source can tell, returns every line of the new file (index 0 is line 1): the
    engine asks for it only when an added line needs its neighbours (a value whose name is on an
    unchanged line, a private key's new body between unchanged markers). Findings are still reported
    on added lines only.
    """

    path: str
    lines: Sequence[tuple[int, str]]
    commit: str | None = None
    author: str | None = None
    size: int = field(default=0, compare=False)
    context: Callable[[], Sequence[str] | None] | None = field(default=None, compare=False, repr=False)
    source: str = SOURCE_FILE


@dataclass(frozen=True)
class CommitInfo:
    """Marks the start of a commit in a history source, so commits that add nothing still count."""

    commit: str
    author: str | None = None


def decode(data: bytes) -> str:
    """Decode file content as UTF-8, replacing invalid bytes instead of failing."""
    return data.decode("utf-8", errors="replace")

"""What every source (commit history, staged changes, plain files) hands to the engine."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import count
from typing import Any, overload

#: Bytes of one file read at most (in windows); the rest is reported as skipped.
DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024

#: Where a fragment's text comes from. A credential hides in file content, but also in the name of a
#: file a commit adds or renames, in a commit message, in an annotated tag's message, and in the name
#: of a pushed branch or tag itself (``refs/heads/AKIA...``: anyone who can list the refs sees it).
SOURCE_FILE = "file"
SOURCE_PATH = "path"
SOURCE_COMMIT_MESSAGE = "commit-message"
SOURCE_TAG_MESSAGE = "tag-message"
SOURCE_REF_NAME = "ref-name"
SOURCES = (SOURCE_FILE, SOURCE_PATH, SOURCE_COMMIT_MESSAGE, SOURCE_TAG_MESSAGE, SOURCE_REF_NAME)


class FileLines(Sequence[tuple[int, str]]):
    """Every line of a whole file's text, numbered from 1, split into lines only when one is asked for.

    Most files hold nothing: the engine scans :attr:`joined` (the lines joined by ``\\n``, built
    without splitting) in one C-level pass and never touches a line, so a clean file costs no Python
    work per line. Equal to the list of ``(number, text)`` pairs it stands for.

    :meth:`of_plain_utf8` makes one straight from a file's bytes when they are plain UTF-8: its
    ``joined`` is decoded without the last newline (no copy of the text to drop it) and :attr:`blob`
    keeps the bytes, which are then what the engine would have encoded.
    """

    __slots__ = ("_blob", "_count", "_joined", "_lines", "_newline", "_text")

    def __init__(self, text: str) -> None:
        self._text: str | None = text
        self._joined: str | None = None
        self._newline = False  # only read when _text is None
        self._blob: bytes | None = None
        self._lines: list[str] | None = None
        self._count: int | None = None

    @classmethod
    def of_plain_utf8(cls, data: bytes) -> FileLines | None:
        """The lines of ``data`` with ``blob`` kept, when ``data`` has no BOM, NUL or CR and is valid
        UTF-8 (then ``decode_text`` would give ``data.decode()``); None for anything else.

        Without a CR, ``joined`` is the text without its last newline, and ``split_lines`` is
        ``joined.split("\\n")`` (no lines at all for an empty file); UTF-8 maps the newline to the one
        byte 0x0A, which no other character's encoding holds, so the bytes without their last byte are
        ``joined.encode()``.
        """
        if b"\x00" in data or b"\r" in data or data.startswith(codecs.BOM_UTF8):
            return None
        newline = data.endswith(b"\n")
        try:
            joined = str(memoryview(data)[:-1] if newline else data, "utf-8")
        except UnicodeDecodeError:
            return None
        lines = cls._of_joined(joined, newline)
        lines._blob = data[:-1] if newline else data
        return lines

    @classmethod
    def _of_joined(cls, joined: str, newline: bool) -> FileLines:
        """The lines of ``joined + "\\n"`` (``joined`` alone if not ``newline``); ``joined`` holds no CR."""
        lines = cls.__new__(cls)
        lines._text, lines._joined, lines._newline, lines._blob = None, joined, newline, None
        lines._lines = lines._count = None
        return lines

    @property
    def text(self) -> str:
        """The file's text (built again, with its last newline, for lines made from bytes)."""
        if self._text is not None:
            return self._text
        joined = self._joined or ""
        return joined + "\n" if self._newline else joined

    @property
    def texts(self) -> list[str]:
        """The lines without their terminators (split once, on first use)."""
        if self._lines is None:
            if self._text is not None:
                self._lines = split_lines(self._text)
            else:
                joined = self._joined or ""
                self._lines = joined.split("\n") if joined or self._newline else []
        return self._lines

    @property
    def joined(self) -> str:
        """``"\\n".join(self.texts)``, computed from the text without splitting it."""
        if self._joined is not None:
            return self._joined
        text = self.text
        text = text[:-1] if text.endswith("\n") else text
        if "\r" in text:
            text = text.replace("\r\n", "\n")
            if text.endswith("\r"):
                text = text[:-1]
        return text

    @property
    def blob(self) -> bytes | None:
        """``joined`` encoded as UTF-8 when the file's own bytes were kept (see ``of_plain_utf8``)."""
        return self._blob

    @property
    def characters(self) -> int:
        """Length of the file's text (``len(self.text)``, without building it)."""
        if self._text is not None:
            return len(self._text)
        return len(self._joined or "") + self._newline

    def context(self) -> Callable[[], Sequence[str]]:
        """A fragment's ``context`` reader of these lines (picklable, so a fragment can go to a worker)."""
        return partial(getattr, self, "texts")

    def __reduce__(self) -> tuple[Any, ...]:
        # To a worker: the text only (the bytes would double what goes down the pipe; it encodes).
        if self._text is not None:
            return FileLines, (self._text,)
        return FileLines._of_joined, (self._joined or "", self._newline)

    def __len__(self) -> int:
        if self._count is None:
            if self._text is not None:
                text = self._text
                self._count = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
            else:
                joined = self._joined or ""
                self._count = joined.count("\n") + 1 if joined or self._newline else 0
        return self._count

    @overload
    def __getitem__(self, index: int) -> tuple[int, str]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[int, str]]: ...

    def __getitem__(self, index: int | slice) -> tuple[int, str] | list[tuple[int, str]]:
        if isinstance(index, slice):
            return list(self)[index]
        texts = self.texts
        position = index + len(texts) if index < 0 else index
        return position + 1, texts[index]

    def __iter__(self) -> Iterator[tuple[int, str]]:
        return zip(count(1), self.texts, strict=False)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FileLines):
            return self.texts == other.texts
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__: Any = None

    def __repr__(self) -> str:
        return f"FileLines({len(self)} lines)"


def given(lines: Sequence[str]) -> Callable[[], Sequence[str]]:
    """A ``context`` reader returning lines already read (picklable, unlike a lambda)."""
    return partial(_identity, lines)


def _identity(lines: Sequence[str]) -> Sequence[str]:
    return lines


def split_lines(text: str) -> list[str]:
    """Lines without their terminators (``\\n`` or ``\\r\\n``), no empty last line for a final newline."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if "\r" not in text:
        return lines
    return [line[:-1] if line.endswith("\r") else line for line in lines]


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

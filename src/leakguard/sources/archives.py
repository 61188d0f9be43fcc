"""Members of zip, gzip/bzip2/xz and tar containers, read within limits so a crafted archive cannot
exhaust memory or time.

A key inside ``deploy.zip`` or ``backup.tar.gz`` is as leaked as one in plain text. Every limit that
stops reading (size, depth, member count, compression ratio, encryption) produces a
:class:`~leakguard.findings.SkippedFile` saying why, so an archive that could not be read in full is
reported, never silently trusted: a zip bomb is refused with its ratio.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from leakguard.findings import SkippedFile

#: Separates an archive's path from a member's path in reported paths: ``bundle.zip!config/.env``.
MEMBER_SEPARATOR = "!"


@dataclass(frozen=True)
class ArchiveLimits:
    """How far leakguard reads into containers."""

    max_depth: int = 3
    max_members: int = 1000
    max_member_bytes: int = 16 * 1024 * 1024
    max_total_bytes: int = 64 * 1024 * 1024
    max_ratio: int = 200


DEFAULT_LIMITS = ArchiveLimits()


@dataclass(frozen=True)
class Member:
    """One readable file inside a container (``depth`` 1 for a member of a top-level archive)."""

    path: str
    data: bytes
    depth: int


def archive_kind(data: bytes) -> str | None:
    """``zip``, ``tar``, ``gzip``, ``bzip2`` or ``xz`` by magic bytes; None for anything else."""
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if data.startswith(b"\x1f\x8b"):
        return "gzip"
    if data.startswith(b"BZh") and data[3:4].isdigit():
        return "bzip2"
    if data.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if len(data) > 262 and data[257:262] == b"ustar":
        return "tar"
    return None


class _Budget:
    """The bytes and members one top-level archive may still expand to."""

    def __init__(self, limits: ArchiveLimits) -> None:
        self.bytes = limits.max_total_bytes
        self.members = limits.max_members


def iter_members(
    path: str, data: bytes, *, limits: ArchiveLimits = DEFAULT_LIMITS
) -> Iterator[Member | SkippedFile]:
    """Every file member of the archive ``data`` (recursively), or why it was not read."""
    yield from _members(path, data, 1, limits, _Budget(limits))


def _members(
    path: str, data: bytes, depth: int, limits: ArchiveLimits, budget: _Budget
) -> Iterator[Member | SkippedFile]:
    kind = archive_kind(data)
    if depth > limits.max_depth:
        yield SkippedFile(path=path, reason=f"archive nested deeper than {limits.max_depth} levels")
        return
    try:
        if kind == "zip":
            entries = _zip_entries(path, data, limits, budget)
        elif kind == "tar":
            entries = _tar_entries(path, data, limits, budget)
        elif kind in ("gzip", "bzip2", "xz"):
            entries = _stream_entry(path, data, kind, limits, budget)
        else:
            return
        for entry in entries:
            if isinstance(entry, SkippedFile):
                yield entry
            elif archive_kind(entry.data) is not None:
                yield from _members(entry.path, entry.data, depth + 1, limits, budget)
            else:
                yield Member(path=entry.path, data=entry.data, depth=depth)
    except _ARCHIVE_ERRORS as exc:
        yield SkippedFile(path=path, reason=f"unreadable {kind} archive: {_why(exc)}")


#: What reading a damaged or unusual archive raises: a corrupt stream (``zlib.error``, CRC errors as
#: ``BadZipFile``), a compression method Python lacks (AES-encrypted or Deflate64 zip members:
#: ``NotImplementedError``), encryption the flag bits did not announce (``RuntimeError``).
_MEMBER_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    zipfile.BadZipFile,
    lzma.LZMAError,
    zlib.error,
    ValueError,
    NotImplementedError,
    RuntimeError,
)
#: And what a damaged archive as a whole raises besides.
_ARCHIVE_ERRORS: tuple[type[BaseException], ...] = (*_MEMBER_ERRORS, tarfile.TarError)


def _why(exc: BaseException) -> str:
    """A one-line reason for a skipped archive or member (never empty)."""
    return str(exc) or type(exc).__name__


def _zip_entries(
    path: str, data: bytes, limits: ArchiveLimits, budget: _Budget
) -> Iterator[Member | SkippedFile]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        declared = sum(info.file_size for info in infos)
        if data and declared > limits.max_ratio * len(data) and declared > limits.max_member_bytes:
            yield SkippedFile(
                path=path,
                reason=f"archive refused: expands {declared // max(len(data), 1)}:1 "
                f"(limit {limits.max_ratio}:1), a possible zip bomb",
            )
            return
        for info in infos:
            name = f"{path}{MEMBER_SEPARATOR}{info.filename}"
            if info.flag_bits & 0x1:
                yield SkippedFile(path=name, reason="encrypted archive member")
                continue
            refusal = _refuse(info.file_size, info.compress_size, limits, budget)
            if refusal:
                yield SkippedFile(path=name, reason=refusal)
                continue
            try:
                with archive.open(info) as member:
                    content = _bounded_read(member, limits.max_member_bytes)
            except _MEMBER_ERRORS as exc:  # this member only: the others are still read
                yield SkippedFile(path=name, reason=f"unreadable archive member: {_why(exc)}")
                continue
            if content is None:
                yield SkippedFile(path=name, reason=_too_large(limits))
                continue
            budget.bytes -= len(content)
            budget.members -= 1
            yield Member(path=name, data=content, depth=0)


def _tar_entries(
    path: str, data: bytes, limits: ArchiveLimits, budget: _Budget
) -> Iterator[Member | SkippedFile]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
        for info in archive:
            if not info.isfile():
                continue
            name = f"{path}{MEMBER_SEPARATOR}{info.name}"
            refusal = _refuse(info.size, info.size, limits, budget)
            if refusal:
                yield SkippedFile(path=name, reason=refusal)
                continue
            handle = archive.extractfile(info)
            if handle is None:
                continue
            content = _bounded_read(handle, limits.max_member_bytes)
            if content is None:
                yield SkippedFile(path=name, reason=_too_large(limits))
                continue
            budget.bytes -= len(content)
            budget.members -= 1
            yield Member(path=name, data=content, depth=0)


def _open_stream(kind: str, data: bytes) -> gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile:
    if kind == "gzip":
        return gzip.GzipFile(fileobj=io.BytesIO(data))
    if kind == "bzip2":
        return bz2.BZ2File(io.BytesIO(data))
    return lzma.LZMAFile(io.BytesIO(data))


def _stream_entry(
    path: str, data: bytes, kind: str, limits: ArchiveLimits, budget: _Budget
) -> Iterator[Member | SkippedFile]:
    """A compressed stream's one member: ``app.json.gz`` → ``app.json.gz!app.json``."""
    inner = path.rsplit("/", 1)[-1]
    for suffix in (".gz", ".tgz", ".bz2", ".xz"):
        if inner.endswith(suffix):
            inner = inner[: -len(suffix)] + (".tar" if suffix == ".tgz" else "")
            break
    name = f"{path}{MEMBER_SEPARATOR}{inner}"
    ceiling = min(limits.max_member_bytes, limits.max_ratio * len(data), budget.bytes)
    damage: str | None = None
    try:
        content = _read_stream(kind, data, ceiling)
    except (OSError, EOFError, zlib.error) as exc:
        if kind != "gzip":
            raise
        # Trailing bytes or a cut-off stream must not hide what precedes them: read up to the damage.
        damage = _why(exc)
        content = _gunzip_up_to_damage(data, ceiling)
    if content is None:
        reason = (
            f"archive refused: expands more than {limits.max_ratio}:1, a possible decompression bomb"
            if ceiling == limits.max_ratio * len(data)
            else _too_large(limits)
        )
        yield SkippedFile(path=name, reason=reason)
        return
    budget.bytes -= len(content)
    budget.members -= 1
    if content:
        yield Member(path=name, data=content, depth=0)
    if damage is not None:
        yield SkippedFile(path=name, reason=f"damaged gzip stream ({damage}): only what precedes it was read")


def _gunzip_up_to_damage(data: bytes, limit: int) -> bytes | None:
    """What a damaged gzip stream holds before its damage (trailing bytes that are not a member, a
    cut-off member, a corrupt block), member after member; None past ``limit`` bytes. The input is
    fed in small pieces, so what a member inflated before a corrupt block is kept, and no piece can
    inflate to more than about ``_SALVAGE_PIECE`` times 1,032 bytes at once."""
    parts: list[bytes] = []
    total, rest = 0, data
    while rest[:2] == b"\x1f\x8b":
        inflater = zlib.decompressobj(wbits=31)
        position = 0
        try:
            while position < len(rest) and not inflater.eof:
                part = inflater.decompress(rest[position : position + _SALVAGE_PIECE])
                position += _SALVAGE_PIECE
                parts.append(part)
                total += len(part)
                if total > limit:
                    return None
        except zlib.error:
            break
        if not inflater.eof:
            break
        rest = inflater.unused_data + rest[position:]
    return b"".join(parts)


#: Compressed bytes fed to zlib at a time when reading up to a damage.
_SALVAGE_PIECE = 16 * 1024


def _read_stream(kind: str, data: bytes, limit: int) -> bytes | None:
    """At most ``limit`` bytes of a compressed stream; None when there are more."""
    if kind == "gzip":
        whole = _gunzip_whole(data, limit)
        if whole is not None:
            return whole[0]
    with _open_stream(kind, data) as stream:
        return _bounded_read(stream, limit)


def _gunzip_whole(data: bytes, limit: int) -> tuple[bytes | None] | None:
    """``(_bounded_read(GzipFile(data), limit),)`` in one zlib call, for the simple case: a stream of
    one member with nothing after it, which zlib inflates whole within ``limit + 1`` bytes. Anything
    else (an error, more members, trailing bytes, more output than that) answers None and is read by
    ``GzipFile`` as before, so its content, its refusal and its error message stay the same.

    Same bytes: GzipFile inflates the same raw deflate data with zlib, and checks the trailer's CRC-32
    and length as zlib's gzip mode does; zlib also refuses a header GzipFile would accept (a wrong
    header CRC, reserved flags), and those go to GzipFile. ``GzipFile``'s Python read loop costs about
    twice the inflation itself on the 1,388 ``.json.gz`` of the real-code corpus.
    """
    if limit < 0:
        return None  # zlib refuses a negative max_length (and reads 0 as "no limit")
    inflater = zlib.decompressobj(wbits=31)
    try:
        content = inflater.decompress(data, limit + 1)
    except zlib.error:
        return None
    if not inflater.eof or inflater.unused_data:
        return None
    return (None if len(content) > limit else content,)


def _refuse(size: int, compressed: int, limits: ArchiveLimits, budget: _Budget) -> str | None:
    if budget.members <= 0:
        return f"archive has more than {limits.max_members} members: the rest is not read"
    if size > limits.max_member_bytes:
        return _too_large(limits)
    if compressed and size > limits.max_ratio * compressed and size > 1024 * 1024:
        return f"archive member refused: expands {size // compressed}:1, a possible zip bomb"
    if size > budget.bytes:
        return f"archive expands past {limits.max_total_bytes} bytes in total: the rest is not read"
    return None


def _too_large(limits: ArchiveLimits) -> str:
    return f"archive member exceeds the size limit of {limits.max_member_bytes} bytes"


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def _bounded_read(handle: _Readable, limit: int) -> bytes | None:
    """At most ``limit`` bytes; None when there are more (sizes in headers can lie)."""
    content = handle.read(limit + 1)
    return None if len(content) > limit else bytes(content)

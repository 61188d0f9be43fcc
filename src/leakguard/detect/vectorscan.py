"""Which of many patterns can match somewhere in a blob, in one Vectorscan (Hyperscan) pass.

RE2 walks a blob once per set, at 400-550 MB/s here, and the rule prefilter needs two sets. Vectorscan
scans its literal factors with SIMD and checks the rest only around them: over the real-code corpus
(286 MB of text) the same question costs it 0.39 s against RE2's 1.65 s. Its database takes about
0.35 s to compile, so :class:`LazyGate` only builds it once a scan has read enough text to pay it back;
a short scan (a pre-commit hook, a one-commit push) never compiles it. A compiled database is kept in
the user's cache directory (``$LEAKGUARD_CACHE_DIR``, else ``$XDG_CACHE_HOME/leakguard`` or
``~/.cache/leakguard``; only a directory of this user's that nobody else can write, and a file of
the same kind in it, checked again on the opened descriptors when read), keyed by the
patterns, the wheel's version and the machine: the next scan loads it in a millisecond, from its first
blob. Where no such directory can be made (a Lambda function's read-only home), nothing is cached.

Every pattern is compiled in *prefilter* mode, where Vectorscan may match more than the pattern but
never less, and reports once per blob (``SINGLEMATCH``): the answer is a superset, for a caller that
decides exactly afterwards. ``UTF8`` keeps RE2's reading of a blob (the engine's blobs are valid
UTF-8). Where the two engines read a pattern differently, Vectorscan must not be the narrower:

* ``\\s`` also takes ``\\v`` (wider: fine); ``\\w``, ``\\d``, ``\\b`` are ASCII in both.
* Case-insensitive RE2 folds every class and literal by Unicode's orbits, and two characters fold into
  ASCII letters: ``ſ`` (U+017F, an ``s``) and ``K`` (U+212A, a ``k``). Vectorscan folds literals but not
  ``\\w`` or ``[a-z]``, and asking it to (``UCP``) makes its database take 25 times longer to compile.
  So a blob holding either character is left to RE2 (:meth:`PatternGate.matching` answers None).
* A non-ASCII character written in a pattern (``contraseña``, ``[iİı]``) becomes "any non-ASCII
  character" (:func:`ascii_superset`), whatever its folding; patterns naming them by escape
  (``\\x{...}``, ``\\p{...}``) or by a range are refused, and a refused pattern is always possible.

A gate may also hold *located* patterns, compiled exactly and reported at every match end rather
than once: the lines where another pass's pattern matches come out of the same pass over the blob
(the derived stage's trigger, see :mod:`leakguard.detect.derived`, and the detect-secrets plugins'
line filter). They must not name a non-ASCII character at all, and may fold case only as ASCII does
(the two engines agree there); the blobs holding ``ſ`` or ``K`` go to RE2 for them too.

Without the ``hyperscan`` wheel (another platform), or for patterns it refuses, callers keep RE2.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import platform
import re
import stat
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from leakguard.detect.pattern_text import ascii_superset

#: The wheel's module, imported on first need (20 ms a scan that never needs it does not pay); None
#: where it is not installed.
hyperscan: Any = ...

logger = logging.getLogger(__name__)

#: Text a :class:`LazyGate` lets RE2 answer before it compiles its database: past this, a scan is
#: likely to go on long enough to repay the compilation (break-even is ~80 MB of remaining text).
COMPILE_AFTER_BYTES = 8 << 20
#: Text after which a cached database is looked for: a scan shorter than this (a pre-commit hook, a
#: one-commit push) neither imports the wheel nor reads the cache. Importing the wheel and loading a
#: cached database cost 17 ms; RE2's sets building their automata's states over the first megabyte
#: of the real-code corpus cost 60-220 ms (0.24 s of a 7.3 s scan at one job with 1 MB here).
LOAD_AFTER_BYTES = 64 << 10
#: Compiled databases a cache directory keeps (the most recently used): a few rule sets used in turn
#: (one per repository with rules of its own) stay cached; older ones are deleted.
KEPT_DATABASES = 4
#: The two characters case-insensitive RE2 folds into ASCII letters (``ſ``, ``K``): a pattern of
#: every database, so the same pass says when a blob must go to RE2 (a separate substring test of
#: the blob cost as much as the whole Vectorscan pass).
_FOLDS_INTO_ASCII = "\u017f|\u212a".encode()
#: Its id (far above any caller's position).
_FOLD_ID = 1 << 30
#: The id of the first located pattern (the others follow it).
_LOCATED_ID = 1 << 29
#: What makes a pattern name a non-ASCII character (or RE2's any-byte ``\C``): left to RE2.
_NOT_ASCII = re.compile(r"[^\x00-\x7f]|\\(?:x\{|x[89a-fA-F]|[pPC0-7])")


class GateError(Exception):
    """Vectorscan could not answer for a blob (scratch space, an internal error): ask RE2 instead."""


def available() -> bool:
    """Whether the Vectorscan wheel is importable here (imports it)."""
    global hyperscan
    if hyperscan is ...:
        wheel: Any
        try:
            import hyperscan as wheel
        except ImportError:  # pragma: no cover - the wheel is a dependency wherever it is published
            wheel = None
        hyperscan = wheel
    return hyperscan is not None


class PatternGate:
    """A compiled Vectorscan database of patterns; :meth:`matching` says which can match a blob,
    :meth:`locating` also where its located patterns do."""

    def __init__(self, database: Any, ids: Sequence[int], located: int = 0) -> None:
        self._database = database
        self.ids = tuple(ids)
        #: How many located patterns the database holds (0: none, or Vectorscan refused one).
        self.located = located

    @classmethod
    def build(
        cls, patterns: Sequence[str], located: Sequence[str] = ()
    ) -> tuple[PatternGate | None, list[int]]:
        """A gate over ``patterns`` (RE2 syntax, multi-line anchors) and the positions of those
        Vectorscan refuses (the caller must treat them as always possible). ``(None, every
        position)`` when the wheel is missing or nothing compiles. ``located`` patterns are all in
        it or none (:attr:`located` says which)."""
        every = list(range(len(patterns)))
        if not available() or not patterns:
            return None, every
        where = _located_expressions(located)
        rewritten = [ascii_superset(pattern) or "" for pattern in patterns]
        expressions = {
            position: text.encode("utf-8")
            for position, text in enumerate(rewritten)
            if text and not _NOT_ASCII.search(text)
        }
        refused = sorted(set(every) - set(expressions))
        try:
            return cls(_compile(expressions, where), list(expressions), len(where)), refused
        except hyperscan.error:
            pass
        accepted: dict[int, bytes] = {}
        for position, expression in expressions.items():  # find the ones it refuses, compile the rest
            try:
                _compile({position: expression})
                accepted[position] = expression
            except hyperscan.error as exc:
                logger.info("Vectorscan refuses pattern %d (%s); RE2 alone answers for it", position, exc)
                refused.append(position)
        if not accepted:
            return None, every
        return cls(_compile(accepted, where), list(accepted), len(where)), sorted(refused)

    def matching(self, blob: bytes) -> set[int] | None:
        """Positions of the patterns that can match somewhere in ``blob`` (a superset); None when
        only RE2 can tell (the blob holds a character RE2 folds into an ASCII letter)."""
        scanned = self.locating(blob)
        return None if scanned is None else scanned[0]

    def locating(self, blob: bytes) -> tuple[set[int], list[tuple[int, int]]] | None:
        """:meth:`matching`'s answer, and every ``(end, k)``: located pattern ``k`` matches up to
        ``end``, in order of ``end`` (none when the gate holds no located pattern); None when only
        RE2 can tell."""
        hits: set[int] = set()
        ends: list[tuple[int, int]] = []
        first, fold = _LOCATED_ID, _FOLD_ID

        def on_match(pattern_id: int, start: int, end: int, flags: int, context: Any) -> None:
            if first <= pattern_id < fold:
                ends.append((end, pattern_id - first))
            else:
                hits.add(pattern_id)

        try:
            self._database.scan(blob, match_event_handler=on_match)
        except hyperscan.error as exc:
            raise GateError(str(exc)) from exc
        if fold in hits:
            return None
        ends.sort()  # Vectorscan reports by end already: a sorted list costs one comparison per item
        return hits, ends


class LazyGate:
    """A :class:`PatternGate` compiled on first need: once :meth:`ready` has been told of
    :data:`COMPILE_AFTER_BYTES` of text. Until then, and for good if it cannot be built, the caller
    answers with RE2."""

    def __init__(self, patterns: Sequence[str], located: Sequence[str] = ()) -> None:
        self._patterns = tuple(patterns)
        self._located = tuple(located)
        self._seen = 0
        self._looked = False
        self._tried = not patterns
        self.gate: PatternGate | None = None
        self.refused: frozenset[int] = frozenset()

    def ready(self, size: int) -> PatternGate | None:
        """The gate to ask about a blob of ``size`` bytes, or None (ask RE2)."""
        if self.gate is not None or self._tried:
            return self.gate
        self._seen += size
        if self._seen < min(LOAD_AFTER_BYTES, COMPILE_AFTER_BYTES):
            return None
        if not available():
            self._tried = True
            return None
        if not self._looked:
            self._looked = True
            cached = load_cached(self._patterns, self._located)
            if cached is not None:
                self._tried = True
                self.gate, self.refused = cached[0], frozenset(cached[1])
                return self.gate
        if self._seen < COMPILE_AFTER_BYTES:
            return None
        self._tried = True
        gate, refused = PatternGate.build(self._patterns, self._located)
        self.gate, self.refused = gate, frozenset(refused)
        if gate is not None:
            save_cached(self._patterns, gate, refused, self._located)
        return gate


def cache_directory() -> Path | None:
    """Where compiled databases are kept: a directory of this user's, writable by nobody else
    (another user's file could hide patterns from the gate); None when there is none."""
    chosen = os.environ.get("LEAKGUARD_CACHE_DIR")
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "leakguard"
        directory = Path(chosen) if chosen else base
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = directory.lstat()
    except (OSError, RuntimeError):  # RuntimeError: no home directory at all
        return None
    return directory if _private(status, stat.S_ISDIR) else None


def _cache_file(directory: Path, patterns: Sequence[str], located: Sequence[str] = ()) -> Path:
    flags = [_flags(), _located_flags()]
    material = json.dumps(
        [hyperscan.__version__, platform.machine(), flags, list(patterns), list(located)], ensure_ascii=True
    )
    return directory / f"vectorscan-{hashlib.sha256(material.encode()).hexdigest()[:32]}.db"


def load_cached(patterns: Sequence[str], located: Sequence[str] = ()) -> tuple[PatternGate, list[int]] | None:
    """The gate and refused positions compiled for ``patterns`` (and ``located``) earlier, if cached
    and loadable."""
    directory = cache_directory() if available() and patterns else None
    if directory is None:
        return None
    try:
        header, _, serialized = _read_private(_cache_file(directory, patterns, located)).partition(b"\n")
        meta = json.loads(header)
        database = hyperscan.loadb(serialized, hyperscan.HS_MODE_BLOCK)
        database.scratch = hyperscan.Scratch(database)
        _mark_used(_cache_file(directory, patterns, located))
        return PatternGate(database, meta["ids"], int(meta.get("located", 0))), list(meta["refused"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, hyperscan.error) as exc:
        logger.info("Cached Vectorscan database not usable (%s); compiling it again", exc)
        return None


def _read_private(path: Path) -> bytes:
    """The bytes of ``path``, a regular file of this user's that nobody else can write, in a directory
    of the same kind, both checked on the opened descriptors: a directory swapped for another after
    :func:`cache_directory` checked it (a parent others can write), or a symbolic link, is refused
    (``PermissionError``), so no one else's file can stand for the database."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    directory = os.open(path.parent, flags | getattr(os, "O_DIRECTORY", 0))
    try:
        if not _private(os.fstat(directory), stat.S_ISDIR):
            raise PermissionError("the cache directory is not this user's alone")
        handle = os.open(path.name, flags, dir_fd=directory)
    finally:
        os.close(directory)
    with os.fdopen(handle, "rb") as cached:
        if not _private(os.fstat(cached.fileno()), stat.S_ISREG):
            raise PermissionError("the cached database is not this user's alone")
        return cached.read()


def _private(status: os.stat_result, kind: Callable[[int], bool]) -> bool:
    """Whether ``status`` is of ``kind`` (``stat.S_ISDIR``...), this user's, and nobody else can write it."""
    return kind(status.st_mode) and status.st_uid == os.geteuid() and not status.st_mode & 0o022


def save_cached(
    patterns: Sequence[str], gate: PatternGate, refused: Sequence[int], located: Sequence[str] = ()
) -> None:
    """Keep ``gate``'s database for the next scan (atomically; a failure only costs a compile)."""
    directory = cache_directory()
    if directory is None:
        return
    header = json.dumps({"ids": list(gate.ids), "refused": list(refused), "located": gate.located}).encode()
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".vectorscan-")
        with os.fdopen(handle, "wb") as output:
            output.write(header + b"\n" + hyperscan.dumpb(gate._database))
        os.replace(temporary, _cache_file(directory, patterns, located))
    except (OSError, hyperscan.error) as exc:
        logger.info("Could not cache the Vectorscan database (%s)", exc)
        if "temporary" in locals():
            Path(temporary).unlink(missing_ok=True)
        return
    _evict(directory)


def _mark_used(path: Path) -> None:
    """Date ``path`` now, so that eviction keeps the databases scans load, not only the ones just built."""
    with contextlib.suppress(OSError):  # only the eviction order suffers
        os.utime(path, follow_symlinks=False)


def _evict(directory: Path) -> None:
    """Delete all but the :data:`KEPT_DATABASES` most recently used databases in ``directory``: each
    rules file, rules change and leakguard upgrade compiles another (2 MB), and none is ever read again
    once its rules are gone."""
    try:
        dated = [(path.lstat().st_mtime, path) for path in directory.glob("vectorscan-*.db")]
        for _, path in sorted(dated, reverse=True)[KEPT_DATABASES:]:
            path.unlink(missing_ok=True)
    except OSError as exc:
        logger.info("Could not evict old Vectorscan databases (%s)", exc)


def _flags() -> int:
    return (
        hyperscan.HS_FLAG_PREFILTER
        | hyperscan.HS_FLAG_SINGLEMATCH
        | hyperscan.HS_FLAG_ALLOWEMPTY
        | hyperscan.HS_FLAG_MULTILINE
        | hyperscan.HS_FLAG_UTF8
    )


def _located_flags() -> int:
    """Located patterns: exact (not prefilter), every match reported."""
    return hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_UTF8


def _located_expressions(located: Sequence[str]) -> list[bytes]:
    """``located`` as Vectorscan takes them, or none at all when it refuses one (the caller's own
    RE2 pass then answers for them all)."""
    expressions = [pattern.encode("utf-8") for pattern in located]
    if not expressions:
        return []
    if any(_NOT_ASCII.search(pattern) for pattern in located):
        logger.info("A located pattern names a non-ASCII character; RE2 answers for them")
        return []
    try:
        _compile({}, expressions)
    except hyperscan.error as exc:
        logger.info("Vectorscan refuses a located pattern (%s); RE2 answers for them", exc)
        return []
    return expressions


def _compile(expressions: dict[int, bytes], located: Sequence[bytes] = ()) -> Any:
    """A block-mode database of ``expressions`` (by id) and ``located`` (from ``_LOCATED_ID`` on),
    with the fold-character pattern besides."""
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=[*expressions.values(), *located, _FOLDS_INTO_ASCII],
        ids=[*expressions, *range(_LOCATED_ID, _LOCATED_ID + len(located)), _FOLD_ID],
        elements=len(expressions) + len(located) + 1,
        flags=[_flags()] * len(expressions)
        + [_located_flags()] * len(located)
        + [hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_UTF8],
    )
    return database

"""Which lines of a blob an RE2 pattern matches: the loop every prefilter of the engine runs.

The engine joins a fragment's lines into one UTF-8 blob and asks RE2 for the lines where a cheap
pattern matches; only those lines get Python work. The loop calls RE2 once per matching line and
counts newlines in C, then jumps to the next line: a line full of hits costs one call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import re2

_UNANCHORED = re2._re2.RE2.Anchor.UNANCHORED


def matching_lines(
    regex: Any, blob: bytes, start: int = 0, end: int | None = None, line: int = 0
) -> list[int]:
    """0-based indices of the lines of ``blob`` (split at ``\\n``) where ``regex`` matches, in order.

    ``regex`` is a compiled bytes pattern (``re2.compile``). A match is attributed to the line it
    starts on, and the search goes on from the next line, even when a match ran past its own line:
    every line where a match starts is found. RE2 is called directly (``_regexp.Match``): the
    module's ``finditer`` builds a match object per hit, which costs more than the search itself on a
    blob with many candidate lines.

    ``start`` and ``end`` (the start of a line and the end of one) bound the search to those lines of
    the blob; ``line`` is the index of the line at ``start``, so the indices are the blob's.
    """
    search = regex._regexp.Match
    found: list[int] = []
    end = len(blob) if end is None else end
    position = counted = start
    while position <= end:
        hit = search(_UNANCHORED, blob, position, end)[0][0]
        if hit < 0:
            break
        line += blob.count(b"\n", counted, hit)
        counted = hit
        found.append(line)
        following = blob.find(b"\n", hit, end)  # the next search starts on the next line
        if following < 0:
            break
        position = following + 1
    return found


def found(regex: Any, data: bytes) -> bool:
    """Whether ``regex`` (a compiled bytes pattern) matches anywhere in ``data``, asked of RE2 directly:
    the module's ``search`` builds a match object, which costs more than the search on a short line."""
    return bool(regex._regexp.Match(_UNANCHORED, data, 0, len(data))[0][0] >= 0)


def located_lines(
    blob: bytes, located: Sequence[tuple[int, int]], alone: int | None = None
) -> tuple[list[int], list[bool], list[int]]:
    """Where located patterns matched (``(end, k)``: pattern ``k`` matches up to ``end``, in order of
    ``end``, as the Vectorscan gate reports them): the lines (0-based, in order, once each), for each
    whether only pattern ``alone`` matched on it, and an offset in it (of a match's last character).
    For patterns that match within one line, the line of a match's last character is its line."""
    lines: list[int] = []
    only: list[bool] = []
    anchors: list[int] = []
    line = counted = 0
    last = -1
    for end, part in located:
        final = max(end - 1, 0)
        line += blob.count(b"\n", counted, final)
        counted = final
        if line != last:
            lines.append(line)
            only.append(part == alone)
            anchors.append(final)
            last = line
        elif part != alone:
            only[-1] = False
    return lines, only, anchors

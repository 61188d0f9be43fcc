"""Continued lines: a command split over lines that end in a backslash, read as the one line it is.

Shell scripts, Dockerfile ``RUN`` steps, CI ``script:`` blocks and READMEs break long commands::

    curl -X POST \\
      -u deploy:Lx2Zr7Wm4Hn8pQ8v \\
      https://nexus.internal/upload

The rules that know a tool's credential option (``curl -u``, ``docker login -p``, ``mysql -p``,
``sshpass -p``, ``az login -p``...) read one line, and the option's line alone lacks the tool's name.
Each line after a continuation becomes a derived line: the lines continued into it joined by a space
(their backslashes dropped), then the line itself. Only a hit whose secret lies in that last part is
kept, moved back to its own line; a hit inside the joined part belongs to an earlier line's derived
line, and a hit the line holds alone is the plain scan's (the two merge by location).

The lines must follow each other in the new file: in a diff, an unchanged line between two added ones
breaks the run (and an unchanged line continued into an added one is not read: only the added lines
are). Finding them is one RE2 literal search of the blob; a blob without a backslash-newline costs
nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import re2

from leakguard.detect.derived import DerivedLine
from leakguard.detect.lines import found
from leakguard.rules.model import re2_options

#: Lines of a command read before a continued line: the command's first two (the tool and its
#: subcommand: ``docker \\`` ``login \\``) and the six just before it (a bound on the text a run of
#: thousands of continued lines derives: at most eight lines more per line, not all of them).
HEAD_LINES = 2
NEAR_LINES = 6
#: Characters of joined text before a line, at most (longer: minified or generated text).
MAX_JOINED = 4096
#: Characters of a line read with its joined part for a keyword across the seam (``az \\`` ``login``).
_SEAM = 64
_CONTINUATION = b"\\\n"
#: The same, asked of RE2 first: its literal search is 6 times as fast as ``bytes.find`` (0.02 s
#: against 0.13 s over the 127 MB of JSON in the real-code corpus, none of which holds one).
_CONTINUATION_RE = re2.compile(re2.escape(_CONTINUATION), re2_options())


def continued_lines(blob: bytes, numbers: Sequence[int], words: Any | None = None) -> list[DerivedLine]:
    """A derived line for every line of ``blob`` (lines joined by ``\\n``, UTF-8) that a line ending
    in ``\\`` continues into; ``numbers`` are the lines' numbers in the new file. The lines are read
    from the blob itself, so a whole file is not split into lines for this.

    ``words`` (a compiled bytes RE2 pattern of every rule keyword, :class:`NameWords`'s), when given,
    keeps only the derived lines whose joined part, or its seam with the line, holds one: a rule
    fires only on a line holding its keyword, so without one before the line the derived line finds
    nothing the line alone does not (a Makefile's thousand-line ``SRCS = a.c \\`` list derives nothing).
    """
    derived: list[DerivedLine] = []
    for first, ends in _runs(_continuation_ends(blob), numbers):
        parts: list[str] = []  # each continued line, stripped, without its backslash
        for index, end in enumerate(ends):
            start = blob.rfind(b"\n", 0, end) + 1
            parts.append(blob[start:end].strip().decode("utf-8", "replace"))
            after = blob.find(b"\n", end + 2)
            text = blob[end + 2 : after if after >= 0 else len(blob)].decode("utf-8", "replace")
            near = max(HEAD_LINES, index + 1 - NEAR_LINES)
            joined = " ".join(parts[: min(HEAD_LINES, near)] + parts[near:]) + " "
            if len(joined) > MAX_JOINED:
                continue
            if words is None or found(words, (joined + text[:_SEAM]).encode("utf-8", "replace")):
                derived.append(DerivedLine(first + index + 1, 0, joined + text, len(joined), exact=True))
    return derived


def _runs(ends: dict[int, int], numbers: Sequence[int]) -> list[tuple[int, list[int]]]:
    """The runs of continued lines: (index of the run's first line, the offset of each line's final
    backslash), each line followed by the next in the new file (in a diff, by an added line)."""
    runs: list[tuple[int, list[int]]] = []
    previous = -2
    for line, end in ends.items():
        if line + 1 >= len(numbers) or numbers[line + 1] != numbers[line] + 1:
            previous = -2  # what follows it is not in the fragment: the run ends unread
            continue
        if line == previous + 1 and runs:
            runs[-1][1].append(end)
        else:
            runs.append((line, [end]))
        previous = line
    return runs


def _continuation_ends(blob: bytes) -> dict[int, int]:
    """Line index -> offset of its final backslash, for the lines of ``blob`` ending in one (in order;
    the last line never counts: nothing follows it)."""
    ends: dict[int, int] = {}
    if not found(_CONTINUATION_RE, blob):
        return ends
    position = blob.find(_CONTINUATION)
    line = counted = 0
    while position >= 0:
        line += blob.count(b"\n", counted, position)
        counted = position
        ends[line] = position
        position = blob.find(_CONTINUATION, position + 2)
    return ends

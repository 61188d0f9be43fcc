"""Rewrites of RE2 pattern text into wider patterns, for prefilters that may over-match only.

A prefilter (an RE2 set, a Vectorscan database) answers "can this pattern match here?"; the exact
pattern decides afterwards. Both rewrites keep every match of the pattern: :func:`relax` makes counted
repetitions unbounded (cheap for an automaton), :func:`ascii_superset` makes non-ASCII characters
"any non-ASCII character" (so engines that fold them differently cannot disagree).
"""

from __future__ import annotations

import re

_COUNTED = re.compile(r"\{(\d+)(?:,(\d*))?\}")
#: Characters with a meaning of their own in a pattern: never a repeated literal.
_SPECIAL = frozenset("()[]{}|*+?.^$")
#: The escapes that stand for a class of characters.
_CLASS_ESCAPES = frozenset(("\\w", "\\W", "\\d", "\\D", "\\s", "\\S"))
#: The longest literal run :func:`relax` writes out for ``X{m}``; beyond it, ``+``.
_MAX_LITERAL_RUN = 64
#: The longest lower bound :func:`relax` keeps for a class repeated without an upper bound
#: (``[A-Za-z]{20,}`` is written as 20 classes, the last with ``+``); a longer one as 32 and ``+``.
_MAX_CLASS_RUN = 32
#: What a non-ASCII character of a pattern becomes in :func:`ascii_superset`.
_ANY_NON_ASCII = r"[^\x00-\x7f]"


def relax(pattern: str) -> str:
    """``pattern`` with every counted repetition ``X{m,n}`` / ``X{m}`` / ``X{m,}`` made ``X*`` (m = 0)
    or ``X+``: a superset of what it matches, far cheaper for an automaton to track.

    A repeated single literal character keeps its count as a literal run (``A{22}`` stays 22 ``A``s,
    ``x{2,3}`` becomes ``xx+``): it costs an automaton nothing, and relaxed to ``A+`` it would let the
    prefilter match almost every text (a rule for the X bearer token, ``A{22}...``, once made the
    Vectorscan gate 0.5 s slower on the real-code corpus and filter nothing for that rule).

    A character class repeated without an upper bound (``[A-Za-z]{20,}``, ``\\w{8,}``) keeps its lower
    bound the same way, up to 32 (m ``X`` and ``+``): an automaton tracks it in m states, and the
    bound is often what makes a rule rare. Relaxed to ``[A-Za-z]+``, the generic rules' letters-only
    values made every ``"input_token": "NextToken"`` of botocore's paginators a possible match: their
    rules ran on 527 files of the real-code corpus instead of 85, and a scan took 0.5 s longer. A
    bounded class (``X{m,n}``) still becomes ``X+``: keeping its lower bound too made the RE2 sets
    0.5 s slower over the corpus (9.4 s against 8.9 s without Vectorscan).
    """
    out: list[str] = []
    literal: str | None = None  # the last atom, if it is one literal character (or escaped symbol)
    character_class: str | None = None  # the last atom, if it is a class ([...], \w, \d, \S ...)
    index, size = 0, len(pattern)
    while index < size:
        char = pattern[index]
        if char == "\\":
            end = _escape_end(pattern, index)
            atom = pattern[index:end]
            out.append(atom)
            literal = atom if len(atom) == 2 and not atom[1].isalnum() else None  # \. \- \{ ...
            character_class = atom if atom in _CLASS_ESCAPES else None
            index = end
            continue
        if char == "[":  # braces in a class are characters
            end = _class_end(pattern, index) or size
            out.append(pattern[index:end])
            literal = None
            character_class = pattern[index:end]
            index = end
            continue
        counted = _COUNTED.match(pattern, index) if char == "{" else None
        if counted:
            least, most = int(counted.group(1)), counted.group(2)
            exact = most is None  # X{m}; X{m,} and X{m,n} have a group, empty or not
            if literal is not None and least >= 2:
                run = min(least, _MAX_LITERAL_RUN)
                out.append(literal * (run - 1))
                if not exact or run < least or (most and int(most) > least):
                    out.append("+")
            elif character_class is not None and least >= 2 and most == "":
                out.append(character_class * (min(least, _MAX_CLASS_RUN) - 1) + "+")
            else:
                out.append("*" if least == 0 else "+")
            literal = None
            character_class = None
            index = counted.end()
            continue
        out.append(char)
        literal = char if char not in _SPECIAL else None
        character_class = None
        index += 1
    return "".join(out)


def ascii_superset(pattern: str) -> str | None:
    """``pattern`` with every non-ASCII character it holds literally made "any non-ASCII character":
    it matches all that ``pattern`` matches, whatever either engine folds that character with. Inside
    a class the character leaves it (``[iİı]`` becomes ``(?:[i]|[^\\x00-\\x7f])``, a negated class just
    loses it). None when a range has a non-ASCII end (``[a-é]``)."""
    if pattern.isascii():
        return pattern
    out: list[str] = []
    index, size = 0, len(pattern)
    while index < size:
        char = pattern[index]
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
        elif char == "[":
            end = _class_end(pattern, index)
            if end is None:
                return None
            written = _ascii_class(pattern[index:end])
            if written is None:
                return None
            out.append(written)
            index = end
        else:
            out.append(char if char.isascii() else _ANY_NON_ASCII)
            index += 1
    return "".join(out)


def _escape_end(pattern: str, start: int) -> int:
    """The index just past the escape at ``start``: ``\\x41``, ``\\x{263a}``, ``\\pL`` and
    ``\\p{Greek}`` are one atom each, whose braces and digits are no repetition nor literal."""
    letter = pattern[start + 1 : start + 2]
    index = start + 2
    if letter in ("x", "p", "P") and pattern.startswith("{", index):
        close = pattern.find("}", index)
        return close + 1 if close >= 0 else len(pattern)
    if letter == "x":
        while index < min(start + 4, len(pattern)) and pattern[index] in "0123456789abcdefABCDEF":
            index += 1
    elif letter in ("p", "P") and index < len(pattern):
        index += 1
    return index


def _class_end(pattern: str, start: int) -> int | None:
    """The index just past the class opening at ``start`` (``[...]``), or None if it never closes."""
    index = start + 1
    if pattern.startswith("^", index):
        index += 1
    if pattern.startswith("]", index):  # "[]...]": a literal ]
        index += 1
    while index < len(pattern):
        if pattern[index] == "\\":
            index += 2
        elif pattern.startswith("[:", index) and ":]" in pattern[index:]:
            index = pattern.index(":]", index) + 2
        elif pattern[index] == "]":
            return index + 1
        else:
            index += 1
    return None


def _ascii_class(body: str) -> str | None:
    """A class ``[...]`` without its non-ASCII members, widened to take any non-ASCII character."""
    if body.isascii():
        return body
    for position, char in enumerate(body):
        if not char.isascii() and "-" in (body[position - 1], body[position + 1]):
            return None  # a range with a non-ASCII end
    negated = body.startswith("[^")
    kept = "".join(char for char in body if char.isascii())
    if kept in ("[]", "[^]"):
        return _ANY_NON_ASCII if not negated else None
    return kept if negated else f"(?:{kept}|{_ANY_NON_ASCII})"

"""Which rules can match anywhere in a fragment: one C-level pass over its joined lines.

Almost every file holds no credential, so the engine first asks RE2 sets of all the rules at once over
the whole blob, and runs a rule line by line only where the set says it can match. A set only needs to
over-match, never under-match, so each rule enters it *relaxed*: counted repetitions ``{m,n}`` become
``*`` or ``+``, which keeps RE2's automaton small (the exact bounds of 160 rules make it thrash its
state cache and crawl at a few MB/s). The exact rule still decides every finding afterwards.

Rules whose meaning on one line differs from their meaning on a blob of lines (``\\A``, ``\\z``, flags
turned off inside the pattern) are never filtered out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import re2

from leakguard.rules.model import Rule, re2_options

#: Memory for each set's automaton: RE2 sets cannot fall back to another engine, so give them room.
SET_MAX_MEM = 256 << 20
_SENTINEL = b"\x00leakguard prefilter check\x00"
_COUNTED = re.compile(r"\{(\d+)(?:,(\d*))?\}")
#: Patterns whose line semantics a multi-line blob does not keep.
_NOT_FOR_BLOBS = re.compile(r"\\[Az]|\(\?[a-zA-Z]*-")


def relax(pattern: str) -> str:
    """``pattern`` with every counted repetition ``X{m,n}`` / ``X{m}`` / ``X{m,}`` made ``X*`` (m = 0)
    or ``X+``: a superset of what it matches, far cheaper for an automaton to track."""
    out: list[str] = []
    index, size, in_class = 0, len(pattern), False
    while index < size:
        char = pattern[index]
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class:
            if pattern.startswith("[:", index) and ":]" in pattern[index:]:  # [[:alpha:]]
                end = pattern.index(":]", index) + 2
                out.append(pattern[index:end])
                index = end
                continue
            in_class = char != "]"
            out.append(char)
            index += 1
            continue
        if char == "[":
            in_class = True
            out.append(char)
            index += 1
            for opening in ("^", "]"):  # "[]...]" and "[^]...]" hold a literal ]
                if index < size and pattern[index] == opening:
                    out.append(opening)
                    index += 1
            continue
        counted = _COUNTED.match(pattern, index) if char == "{" else None
        if counted:
            out.append("*" if int(counted.group(1)) == 0 else "+")
            index = counted.end()
            continue
        out.append(char)
        index += 1
    return "".join(out)


class RulePrefilter:
    """Answers, per blob, which of ``rules`` can match somewhere in it (None: cannot tell, run all).

    Case-insensitive rules (words like ``token``, ``password``) and the rest (provider prefixes) go into
    two sets: one automaton for both is slower than the two passes together.
    """

    def __init__(self, rules: Sequence[Rule]) -> None:
        always = [r.id for r in rules if _NOT_FOR_BLOBS.search(r.pattern)]
        filtered = [r for r in rules if r.id not in always]
        self._sets: list[tuple[Any, list[str]]] = []
        self.enabled = True
        for group in (
            [r for r in filtered if r.pattern.startswith("(?i)")],
            [r for r in filtered if not r.pattern.startswith("(?i)")],
        ):
            if not group:
                continue
            built = _build_set(group)
            if built is None:
                self.enabled = False
                break
            rule_set, ids, refused = built
            self._sets.append((rule_set, ids))
            always.extend(refused)
        self.always = frozenset(always)

    def possible(self, blob: bytes) -> set[str] | None:
        """The ids of the rules that can match in ``blob``; None when the sets could not be built."""
        if not self.enabled:
            return None
        found = set(self.always)
        for rule_set, ids in self._sets:
            for position in rule_set.Match(blob) or ():
                if position < len(ids):
                    found.add(ids[position])
        return found


def _build_set(rules: Sequence[Rule]) -> tuple[Any, list[str], list[str]] | None:
    """An RE2 set of the relaxed ``rules`` (line anchors per line), the ids in it by position, the ids
    RE2 refused in relaxed form (never filtered out); None when the set does not work at all.

    A set whose automaton cannot start answers nothing at all; a sentinel pattern turns that into None
    (filter nothing) instead of a silent "no rule matches".
    """
    options = re2_options()
    options.max_mem = SET_MAX_MEM
    rule_set = re2.Set.SearchSet(options)
    ids: list[str] = []
    refused: list[str] = []
    for rule in rules:
        try:
            rule_set.Add(b"(?m)" + relax(rule.pattern).encode("utf-8"))
        except re2.error:
            refused.append(rule.id)
            continue
        ids.append(rule.id)
    try:
        rule_set.Add(re2.escape(_SENTINEL))
        rule_set.Compile()
    except re2.error:
        return None
    if len(ids) not in (rule_set.Match(_SENTINEL) or ()):
        return None
    return rule_set, ids, refused

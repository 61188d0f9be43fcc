"""Which rules can match anywhere in a fragment: one C-level pass over its joined lines.

Almost every file holds no credential, so the engine first asks RE2 sets of all the rules at once over
the whole blob, and runs a rule line by line only where the set says it can match. A set only needs to
over-match, never under-match, so each rule enters it *relaxed*: counted repetitions ``{m,n}`` become
``*`` or ``+``, which keeps RE2's automaton small (the exact bounds of 160 rules make it thrash its
state cache and crawl at a few MB/s). The exact rule still decides every finding afterwards.

Rules whose meaning on one line differs from their meaning on a blob of lines (``\\A``, ``\\z``, flags
turned off inside the pattern) are never filtered out.

The same pass also answers, exactly, which *keywordless* rules match the blob (``exact``): they enter the
case-sensitive set unrelaxed and without ``(?m)``, so the engine needs no separate RE2 pass for them
(one whole-blob DFA pass fewer per file, ~0.4 s of ~8 s on the real-code corpus). An RE2 set reports
every one of its patterns that matches somewhere in the text, each parsed on its own with its own
flags: a pattern's answer does not depend on the other patterns sharing its set, so the keywordless
answer is the one their own set gave. If the combined set cannot be built, they are left to the
caller (``None``), as before.

Once a scan has read enough text, the same question goes to a Vectorscan database of the same relaxed
patterns instead (:mod:`leakguard.detect.vectorscan`): one pass for both sets, about four times faster.
It may over-match too, never under-match; for the keywordless rules it only says "maybe", and RE2 then
answers exactly with a set of those rules alone, on the few blobs where Vectorscan said maybe. The
gate also says where its *located* patterns match (the derived stage's trigger, the detect-secrets
plugins' line filter): every match end, so those passes need no walk of their own.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

import re2

from leakguard.detect.pattern_text import relax
from leakguard.detect.vectorscan import GateError, LazyGate, PatternGate
from leakguard.rules.model import Rule, re2_options

logger = logging.getLogger(__name__)

#: Memory for each set's automaton: RE2 sets cannot fall back to another engine, so give them room.
SET_MAX_MEM = 256 << 20
_SENTINEL = b"\x00leakguard prefilter check\x00"
#: Patterns whose line semantics a multi-line blob does not keep.
_NOT_FOR_BLOBS = re.compile(r"\\[Az]|\(\?[a-zA-Z]*-")


def filterable(pattern: str) -> bool:
    """Whether the prefilter can tell where ``pattern`` cannot match: not when it turns a flag off
    (``(?-i:...)``) or anchors to the whole text (``\\A``, ``\\z``), whose meaning on a blob of lines
    is not their meaning on one line. Such a rule runs on every line holding one of its keywords."""
    return not _NOT_FOR_BLOBS.search(pattern)


class Answer(NamedTuple):
    """What :meth:`RulePrefilter.matches` says of a blob."""

    #: The ids of the rules that can match in it (None: the sets could not be built, run them all).
    possible: set[str] | None
    #: The positions in ``exact`` of the exact rules that do match, in order (None: not answered
    #: here, see :attr:`RulePrefilter.exact`).
    exact: list[int] | None
    #: Every ``(end, k)`` where located pattern ``k`` matches, in order (None: not answered here, the
    #: caller's own pass finds them; only the Vectorscan gate answers for them).
    located: list[tuple[int, int]] | None = None


class RulePrefilter:
    """Answers, per blob, which of ``rules`` can match somewhere in it (None: cannot tell, run all).

    Case-insensitive rules (words like ``token``, ``password``) and the rest (provider prefixes) go into
    two sets: one automaton for both is slower than the two passes together. Measured again on the
    real-code corpus (286 MB preloaded): a process's first pass, which builds the DFA's states and is
    the one a scan pays, costs 0.86 + 0.60 s with two sets and 1.97 s with one (with the keywordless
    rules in both cases); only a second pass over the same text is faster with one set (0.83 s
    against 0.75 + 0.54 s), so merging them looks like a gain only when measured warm.
    """

    def __init__(
        self,
        rules: Sequence[Rule],
        exact: Sequence[Rule] = (),
        located: Sequence[str] = (),
    ) -> None:
        always = [r.id for r in rules if not filterable(r.pattern)]
        filtered = [r for r in rules if r.id not in always]
        #: Per set: the set, the relaxed rules' ids by position, the position of its first exact rule.
        self._sets: list[tuple[Any, list[str], int | None]] = []
        self.enabled = True
        #: Whether :meth:`matches` answers for the ``exact`` rules (else the caller asks on its own).
        self.exact = False
        groups = (
            [r for r in filtered if r.pattern.startswith("(?i)")],
            [r for r in filtered if not r.pattern.startswith("(?i)")],
        )
        for last, group in enumerate(groups):
            with_exact = exact if last else ()
            built = _build_set(group, with_exact) if with_exact else None
            self.exact = self.exact or built is not None
            if built is None and group:
                built = _build_set(group)
                if built is None:
                    self.enabled = self.exact = False
                    break
            if built is None:
                continue
            rule_set, ids, refused, first_exact = built
            self._sets.append((rule_set, ids, first_exact))
            always.extend(refused)
        self.always = frozenset(always)
        #: The rules the sets filter, in the fast gate's order (the exact rules follow them).
        self._gated = [rule_id for _, ids, _ in self._sets for rule_id in ids]
        self._exact_set = _exact_set(exact) if self.exact else None
        if self.exact and self._exact_set is None:
            self.exact = False
        by_id = {rule.id: rule for rule in rules}
        patterns = [relax(by_id[rule_id].pattern) for rule_id in self._gated]
        if self.exact:
            patterns += [relax(rule.pattern) for rule in exact]
        self._fast = LazyGate(patterns, located)

    def possible(self, blob: bytes) -> set[str] | None:
        """The ids of the rules that can match in ``blob``; None when the sets could not be built."""
        return self.matches(blob)[0]

    def matches(self, blob: bytes) -> Answer:
        """What can match in ``blob``: see :class:`Answer`."""
        if not self.enabled:
            return Answer(None, None)
        gate = self._fast.ready(len(blob))
        if gate is not None:
            try:
                answer = self._fast_matches(gate, blob)
            except GateError as exc:
                logger.warning("Vectorscan could not scan a blob (%s); RE2 answers for it", exc)
            else:
                if answer is not None:
                    return answer
        found = set(self.always)
        exact: list[int] | None = [] if self.exact else None
        for rule_set, ids, first_exact in self._sets:
            for position in rule_set.Match(blob) or ():
                if position < len(ids):
                    found.add(ids[position])
                elif exact is not None and first_exact is not None and position >= first_exact:
                    exact.append(position - first_exact)
        return Answer(found, sorted(exact) if exact is not None else None)

    def _fast_matches(self, gate: PatternGate, blob: bytes) -> Answer | None:
        """:meth:`matches` answered by the Vectorscan gate (refused patterns count as hits); None
        when the gate leaves ``blob`` to RE2."""
        gated = len(self._gated)
        scanned = gate.locating(blob)
        if scanned is None:
            return None
        answer, ends = scanned
        located = ends if gate.located else None  # None: the caller's own pass finds them
        hits = answer | self._fast.refused
        found = set(self.always)
        found.update(self._gated[position] for position in hits if position < gated)
        if self._exact_set is None:  # not answered here (see exact)
            return Answer(found, None, located)
        if not any(position >= gated for position in hits):
            return Answer(found, [], located)
        return Answer(found, sorted(self._exact_set.Match(blob) or ()), located)


def _exact_set(rules: Sequence[Rule]) -> Any | None:
    """An RE2 set of ``rules`` as they are (no ``(?m)``), answering exactly which match a blob;
    None if there are none or RE2 refuses one."""
    if not rules:
        return None
    options = re2_options()
    options.max_mem = SET_MAX_MEM
    exact_set = re2.Set.SearchSet(options)
    try:
        for rule in rules:
            exact_set.Add(rule.pattern.encode("utf-8"))
        exact_set.Compile()
    except re2.error:
        return None
    return exact_set


def _build_set(
    rules: Sequence[Rule], exact: Sequence[Rule] = ()
) -> tuple[Any, list[str], list[str], int | None] | None:
    """An RE2 set of the relaxed ``rules`` (line anchors per line), the ids in it by position, the ids
    RE2 refused in relaxed form (never filtered out), and the position of the first of the ``exact``
    rules, added after them as they are (None if there are none); None when the set does not work at
    all, or RE2 refuses an exact rule (it must answer for every one).

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
    # The sentinel sits at len(ids) (checked below), the exact rules right after it.
    first_exact = len(ids) + 1 if exact else None
    try:
        rule_set.Add(re2.escape(_SENTINEL))
        for rule in exact:
            rule_set.Add(rule.pattern.encode("utf-8"))
        rule_set.Compile()
    except re2.error:
        return None
    if len(ids) not in (rule_set.Match(_SENTINEL) or ()):
        return None
    return rule_set, ids, refused, first_exact

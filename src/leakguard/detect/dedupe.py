"""De-duplication of a fragment's candidates: one per overlapping location, in O(n log n) per line.

A crafted line full of matches must cost what its size does, never the square of it: overlaps are
resolved rank by rank against a sorted list of disjoint spans, each candidate checked against its two
neighbours found by bisection.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict

from leakguard.detect.candidate import Candidate


def deduplicate(candidates: list[Candidate], rule_order: dict[str, int]) -> list[Candidate]:
    """Keep one candidate per overlapping location: the most specific detector, then the first rule.

    Then one finding per rule, line and secret: a value repeated along a line is one leak, not
    thousands. Time is O(n log n) in the candidates of a line (times the few detectors that hit it), so
    a crafted line full of matches costs what its size does, never the square of it.
    """
    by_line: dict[int, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_line[candidate.line_index].append(candidate)
    kept: list[Candidate] = []
    for line_candidates in by_line.values():
        seen: set[tuple[str, str]] = set()
        for candidate in _non_overlapping(line_candidates, rule_order):
            key = (candidate.rule_id, candidate.secret)
            if key not in seen:
                seen.add(key)
                kept.append(candidate)
    return sorted(kept, key=lambda c: (c.line_index, c.column, c.rule_id))


def _non_overlapping(candidates: list[Candidate], rule_order: dict[str, int]) -> list[Candidate]:
    """The candidates of one line that no better-ranked candidate overlaps.

    Candidates are taken rank by rank; the accepted spans stay a sorted list of disjoint intervals, so
    each candidate is checked against its two neighbours found by bisection.
    """
    ranks: dict[tuple[int, bool, int, str], list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        rank = (
            candidate.priority,
            candidate.detector != "rule",  # what the line itself shows beats what was derived from it
            rule_order.get(candidate.rule_id, len(rule_order)),
            candidate.rule_id,
        )
        ranks[rank].append(candidate)
    spans: list[tuple[int, int]] = []  # accepted (start, end), sorted, disjoint
    accepted: list[Candidate] = []
    for rank in sorted(ranks):
        starts = [start for start, _ in spans]
        added: list[tuple[int, int]] = []
        group_end = -1
        for candidate in sorted(ranks[rank], key=lambda c: (c.column, c.end)):
            start, end = candidate.column, candidate.end
            if start < group_end:
                continue  # overlaps a candidate of the same rank accepted just before
            position = bisect_right(starts, start)
            if position and spans[position - 1][1] > start:
                continue
            if position < len(spans) and spans[position][0] < end:
                continue
            added.append((start, end))
            accepted.append(candidate)
            group_end = end
        if added:
            spans = sorted(spans + added)  # two sorted runs: a linear merge
    return accepted

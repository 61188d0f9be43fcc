"""The detection engine: finds credentials in the lines of a :class:`~leakguard.sources.base.Fragment`.

Throughput comes from doing almost nothing on clean lines. A fragment's lines are joined into one
UTF-8 blob and a single RE2 pass over it finds every rule keyword; only lines holding a keyword run the
regexes of the rules owning that keyword. RE2 keeps every regex linear in its input, so neither a
badly written rule nor a crafted line can stall a scan and let a leak through.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import re2

from leakguard.detect.candidate import PRIORITY_GENERIC_RULE, PRIORITY_PROVIDER_RULE, Candidate
from leakguard.detect.entropy import shannon_entropy
from leakguard.detect.filters import has_inline_allow, is_placeholder
from leakguard.detect.plugins import SecretPlugins
from leakguard.findings import Finding
from leakguard.rules.model import Rule, RuleSet, re2_options
from leakguard.sources.base import Fragment

logger = logging.getLogger(__name__)

#: Lines longer than this run rule regexes on windows around their keywords instead of whole.
LONG_LINE = 4096
#: Half-width of such a window: far more than any credential and its assignment context.
KEYWORD_WINDOW = 512


class Detector:
    """Runs a :class:`RuleSet` (and, optionally, the detect-secrets plugins) over fragments."""

    def __init__(self, ruleset: RuleSet, *, plugins: bool = True) -> None:
        self.ruleset = ruleset
        self._keyword_rules: dict[str, list[Rule]] = defaultdict(list)
        self._always: list[Rule] = []
        for rule in ruleset.rules:
            if not rule.keywords:
                self._always.append(rule)  # legacy rules carry no keywords
            for keyword in rule.keywords:
                self._keyword_rules[keyword].append(rule)
        self._rule_order = {rule.id: position for position, rule in enumerate(ruleset.rules)}
        self._rules_by_id = {rule.id: rule for rule in ruleset.rules}
        alternation = b"|".join(
            re2.escape(k.encode()) for k in sorted(self._keyword_rules, key=len, reverse=True)
        )
        self._keywords = list(self._keyword_rules)
        self._keyword_set = _keyword_set(self._keywords)
        self._keyword_line_re = (
            re2.compile(b"(?i)(?:" + alternation + b")[^\n]*", re2_options()) if alternation else None
        )
        self._plugins = (
            SecretPlugins(high_entropy=ruleset.high_entropy, keyword=ruleset.keyword) if plugins else None
        )

    def scan(self, fragment: Fragment) -> list[Finding]:
        """Every finding in ``fragment``, de-duplicated by location, in line order."""
        if self.ruleset.allowlist.allows_path(fragment.path) or not fragment.lines:
            return []
        texts = [text for _, text in fragment.lines]
        blob_text = "\n".join(texts)
        try:
            blob = blob_text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates (from surrogateescape decoding): RE2 wants UTF-8
            texts = [text.encode("utf-8", "replace").decode("utf-8") for text in texts]
            blob_text = "\n".join(texts)
            blob = blob_text.encode("utf-8")
        candidates = list(self._rule_candidates(fragment.path, texts, blob, blob_text))
        if self._plugins is not None:
            candidates.extend(self._plugins.scan(fragment.path, texts, blob))
        kept = self._filter(candidates, fragment.path, texts)
        return [self._to_finding(c, fragment) for c in _deduplicate(kept, self._rule_order)]

    def scan_text(self, text: str, *, path: str = "<text>", commit: str | None = None) -> list[Finding]:
        """Scan ``text`` as if every line of it had been added to ``path``."""
        lines = [(number, line) for number, line in enumerate(text.split("\n"), start=1)]
        return self.scan(Fragment(path=path, lines=lines, commit=commit))

    # -- rules ---------------------------------------------------------------------------------------

    def _rule_candidates(
        self, path: str, texts: Sequence[str], blob: bytes, blob_text: str
    ) -> Iterator[Candidate]:
        triggered = self._lines_with_keywords(blob)
        multiline_done: set[str] = set()
        for index in triggered:
            line = texts[index]
            for rule, spans in self._rules_for_line(line):
                if rule.multiline:
                    if rule.id not in multiline_done:
                        multiline_done.add(rule.id)
                        yield from _multiline_matches(rule, blob_text)
                    continue
                for start, end in spans:
                    yield from _line_matches(rule, index, line, start, end)
        for rule in self._always:
            for index, line in enumerate(texts):
                yield from _line_matches(rule, index, line, 0, len(line))

    def _lines_with_keywords(self, blob: bytes) -> list[int]:
        """Indices of the lines holding any keyword: one C-speed pass over the blob.

        The pattern swallows the rest of the line after a keyword, so a line full of keywords (minified
        code) costs one match, not one per keyword.
        """
        if self._keyword_line_re is None:
            return []
        found: list[int] = []
        line_index, scanned_to = 0, 0
        for match in self._keyword_line_re.finditer(blob):
            start = match.start()
            line_index += blob.count(b"\n", scanned_to, start)
            scanned_to = start
            found.append(line_index)
        return found

    def _rules_for_line(self, line: str) -> Iterator[tuple[Rule, list[tuple[int, int]]]]:
        """The rules a line's keywords trigger, with the spans of the line each should run on."""
        keywords = [self._keywords[i] for i in self._keyword_set.Match(line)] if self._keywords else []
        rules: dict[str, tuple[Rule, list[str]]] = {}
        for keyword in keywords:
            for rule in self._keyword_rules[keyword]:
                rules.setdefault(rule.id, (rule, []))[1].append(keyword)
        for rule, rule_keywords in rules.values():
            if len(line) <= LONG_LINE:
                yield rule, [(0, len(line))]
            else:
                yield rule, _keyword_windows(line.lower(), rule_keywords)

    # -- filtering -----------------------------------------------------------------------------------

    def _filter(self, candidates: Iterable[Candidate], path: str, texts: Sequence[str]) -> list[Candidate]:
        kept = []
        for candidate in candidates:
            rule = self._rules_by_id.get(candidate.rule_id)
            if has_inline_allow(texts[candidate.line_index]):
                continue
            if rule is not None and not _rule_accepts(rule, candidate.secret, path):
                continue
            if is_placeholder(candidate.secret) or self.ruleset.allowlist.allows_secret(candidate.secret):
                continue
            kept.append(candidate)
        return kept

    @staticmethod
    def _to_finding(candidate: Candidate, fragment: Fragment) -> Finding:
        return Finding.create(
            secret=candidate.secret,
            rule_id=candidate.rule_id,
            description=candidate.description,
            severity=candidate.severity,
            mode=candidate.mode,
            path=fragment.path,
            line=fragment.lines[candidate.line_index][0],
            column=candidate.column + 1,
            commit=fragment.commit,
            author=fragment.author,
            detector=candidate.detector,
        )


def _keyword_set(keywords: Sequence[str]) -> Any:
    """An RE2 set answering, in one call, which of ``keywords`` a line holds (overlaps included)."""
    keyword_set = re2.Set.SearchSet(re2_options())
    for keyword in keywords:
        keyword_set.Add(b"(?i)" + re2.escape(keyword.encode()))
    keyword_set.Compile()
    return keyword_set


def _rule_accepts(rule: Rule, secret: str, path: str) -> bool:
    if rule.entropy is not None and shannon_entropy(secret) < rule.entropy:
        return False
    return not (rule.allowlist.allows_secret(secret) or rule.allowlist.allows_path(path))


def _priority(rule: Rule) -> int:
    return (
        PRIORITY_GENERIC_RULE
        if rule.id.startswith("generic") or "generic" in rule.tags
        else PRIORITY_PROVIDER_RULE
    )


def _candidate(rule: Rule, index: int, column: int, secret: str) -> Candidate:
    return Candidate(
        rule_id=rule.id,
        description=rule.description,
        severity=rule.severity,
        mode=rule.mode,
        detector="rule",
        priority=_priority(rule),
        line_index=index,
        column=column,
        secret=secret,
    )


def _line_matches(rule: Rule, index: int, line: str, start: int, end: int) -> Iterator[Candidate]:
    segment = line if (start, end) == (0, len(line)) else line[start:end]
    for match in rule.regex.finditer(segment):
        secret = match.group(rule.secret_group)
        if secret:
            yield _candidate(rule, index, start + match.start(rule.secret_group), secret)


def _multiline_matches(rule: Rule, blob_text: str) -> Iterator[Candidate]:
    for match in rule.regex.finditer(blob_text):
        secret = match.group(rule.secret_group)
        if not secret:
            continue
        start = match.start(rule.secret_group)
        index = blob_text.count("\n", 0, start)
        column = start - (blob_text.rfind("\n", 0, start) + 1)
        yield _candidate(rule, index, column, secret)


def _keyword_windows(lowered: str, keywords: Sequence[str]) -> list[tuple[int, int]]:
    """Merged windows of ±KEYWORD_WINDOW characters around every occurrence of ``keywords``.

    Jumps to the last occurrence inside the current window instead of visiting each one, so a line
    dense with keywords costs a few steps per window, not one per occurrence.
    """
    windows: list[tuple[int, int]] = []
    for keyword in keywords:
        position = lowered.find(keyword)
        while position != -1:
            start, end = max(0, position - KEYWORD_WINDOW), position + KEYWORD_WINDOW
            last = lowered.rfind(keyword, position + 1, end)
            while last != -1:
                position, end = last, last + KEYWORD_WINDOW
                last = lowered.rfind(keyword, position + 1, end)
            windows.append((start, min(end, len(lowered))))
            position = lowered.find(keyword, position + 1)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _deduplicate(candidates: list[Candidate], rule_order: dict[str, int]) -> list[Candidate]:
    """Keep one candidate per overlapping location: the most specific detector, then the first rule."""
    ranked = sorted(candidates, key=lambda c: (c.priority, rule_order.get(c.rule_id, len(rule_order))))
    kept_by_line: dict[int, list[Candidate]] = defaultdict(list)
    for candidate in ranked:
        same_line = kept_by_line[candidate.line_index]
        if not any(k.column < candidate.end and candidate.column < k.end for k in same_line):
            same_line.append(candidate)
    kept = [candidate for line in kept_by_line.values() for candidate in line]
    return sorted(kept, key=lambda c: (c.line_index, c.column, c.rule_id))

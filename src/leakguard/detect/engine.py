"""The detection engine: finds credentials in the lines of a :class:`~leakguard.sources.base.Fragment`.

Throughput comes from doing almost nothing on clean lines. A fragment's lines are joined into one
UTF-8 blob and a single RE2 pass over it finds every rule keyword; only lines holding a keyword run the
regexes of the rules owning that keyword. RE2 keeps every regex linear in its input, so neither a
badly written rule nor a crafted line can stall a scan and let a leak through.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, overload

import re2

from leakguard.detect.candidate import (
    PRIORITY_GENERIC_RULE,
    PRIORITY_PROVIDER_RULE,
    Candidate,
    region_end,
)
from leakguard.detect.continued import continued_lines
from leakguard.detect.dedupe import deduplicate
from leakguard.detect.derived import TRIGGER_PARTS, DerivedLine, NameWords, derived_lines, glue_stems
from leakguard.detect.entropy import shannon_entropy
from leakguard.detect.filters import has_inline_allow, inline_allow_reason, is_placeholder
from leakguard.detect.keys import KEY_MATERIAL, PEM_LINE, pem_blocks
from leakguard.detect.lines import located_lines, matching_lines
from leakguard.detect.plugins import SecretPlugins
from leakguard.detect.prefilter import Answer, RulePrefilter
from leakguard.findings import AcceptedFinding, Finding
from leakguard.rules.model import Rule, RuleSet, re2_options
from leakguard.sources.base import FileLines, Fragment

logger = logging.getLogger(__name__)

#: Lines longer than this run rule regexes on windows around their keywords instead of whole.
LONG_LINE = 4096
#: Half-width of such a window: far more than any credential and its assignment context.
KEYWORD_WINDOW = 512
#: Keyword routes kept for combinations of rules the prefilter lets through (a handful in practice).
_MAX_ROUTES = 256


class Detector:
    """Runs a :class:`RuleSet` (and, optionally, the detect-secrets plugins) over fragments."""

    def __init__(self, ruleset: RuleSet, *, plugins: bool = True) -> None:
        self.ruleset = ruleset
        self._keyword_rules: dict[str, list[Rule]] = defaultdict(list)
        self._always: list[Rule] = []
        self._keywordless: list[Rule] = []
        #: Rules for files named for what they hold: run on every line of those files alone.
        self._path_rules = [rule for rule in ruleset.rules if rule.paths]
        general = [rule for rule in ruleset.rules if not rule.paths]
        for rule in general:
            if rule.keywordless:
                self._keywordless.append(rule)
                continue
            if not rule.keywords:
                self._always.append(rule)  # legacy rules carry no keywords
            for keyword in rule.keywords:
                self._keyword_rules[keyword].append(rule)
        self._keywordless_set = _rule_set(self._keywordless)
        self._multiline = [rule.id for rule in general if rule.multiline]
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
        self._all_routes = _Routes(
            self._keyword_line_re, self._keyword_set, self._keywords, self._keyword_rules
        )
        self._routes: dict[frozenset[str], _Routes | None] = {}
        self._plugins = (
            SecretPlugins(high_entropy=ruleset.high_entropy, keyword=ruleset.keyword) if plugins else None
        )
        plugin_filter = self._plugins.located_filter() if self._plugins is not None else None
        # The keywordless rules ride along, exactly, in the prefilter's case-sensitive set (one pass),
        # and its Vectorscan gate says where the derived stage's trigger and the plugins' line filter
        # match (their own RE2 walks, otherwise). Measured on the real-code corpus, the plugins' filter
        # located costs the gate 0.38 s and saves its 0.6 s walk; asked only whether it matches a blob
        # at all, it cost the gate 0.6 s and spared the walk over 55 % of the text.
        self._prefilter = RulePrefilter(
            [rule for rule in general if not rule.keywordless],
            exact=self._keywordless,
            located=[*TRIGGER_PARTS, *([plugin_filter] if plugin_filter is not None else [])],
        )
        # Words a derived ``NAME = "VALUE"`` line needs for any rule to fire on it: the keywords, and
        # the stems of those that could straddle the ``NAME = "`` glue (``auth "``, ``"pass``).
        stems = glue_stems(self._keyword_rules)
        self._name_words: NameWords | None = None
        if stems is not None and self._keyword_rules and not self._always:  # legacy rules: no keywords
            spanning = {k for r in general if r.multiline for k in r.keywords}
            self._name_words = NameWords(
                words=_words_re(set(self._keyword_rules) | stems),
                spanning=_words_re(spanning) if spanning else None,
            )

    def scan(self, fragment: Fragment) -> list[Finding]:
        """Every finding in ``fragment``, de-duplicated by location, in line order."""
        return self.scan_with_acceptances(fragment)[0]

    def scan_with_acceptances(self, fragment: Fragment) -> tuple[list[Finding], list[AcceptedFinding]]:
        """The findings of ``fragment``, and apart from them those a ``leakguard:allow`` comment
        accepts: an inline acceptance is a developer's bypass, which the caller must audit, not lose."""
        if self.ruleset.allowlist.allows_path(fragment.path) or not fragment.lines:
            return [], []
        texts: Sequence[str]
        numbers: Sequence[int]
        own_bytes: bytes | None = None
        if isinstance(fragment.lines, FileLines):  # a whole file: lines split only if a prefilter hits
            texts, numbers = _LazyTexts(fragment.lines), range(1, len(fragment.lines) + 1)
            blob_text = fragment.lines.joined
            own_bytes = fragment.lines.blob  # the file's own UTF-8 bytes, when they are blob_text's encoding
        else:
            texts = [text for _, text in fragment.lines]
            numbers = [number for number, _ in fragment.lines]
            blob_text = "\n".join(texts)
        try:
            blob = own_bytes if own_bytes is not None else blob_text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates (from surrogateescape decoding): RE2 wants UTF-8
            texts = [text.encode("utf-8", "replace").decode("utf-8") for text in texts]
            blob_text = "\n".join(texts)
            blob = blob_text.encode("utf-8")
        answer = self._prefilter.matches(blob)
        gate = self._gate(blob, answer)
        keywordless = gate[1]
        candidates = list(self._rule_candidates(fragment.path, texts, blob, blob_text, gate))
        for rule in self._path_rules:
            if rule.applies_to(fragment.path):
                candidates.extend(_path_rule_matches(rule, texts, blob_text))
        words = self._name_words_for(keywordless)
        name_words = (lambda: words) if isinstance(numbers, range) else None
        trigger, plugin_lines = _split_located(blob, answer.located)
        derived = derived_lines(texts, blob, numbers, fragment.context, name_words, trigger)
        derived += continued_lines(blob, numbers, words.words if words is not None else None)
        if derived:
            candidates.extend(self._derived_candidates(fragment.path, derived))
        if self._multiline and not any(c.rule_id in self._multiline for c in candidates):
            candidates.extend(self._keys_in_context(fragment, blob, numbers))
        if self._plugins is not None and plugin_lines != []:
            candidates.extend(self._plugins.scan(fragment.path, texts, blob, plugin_lines))
        kept, allowed = self._filter(candidates, fragment.path, texts)
        findings = [self._to_finding(c, fragment) for c in deduplicate(kept, self._rule_order)]
        accepted = [
            AcceptedFinding(
                self._to_finding(c, fragment),
                via="inline",
                reason=inline_allow_reason(texts[c.line_index], c.secret),
            )
            for c in deduplicate(allowed, self._rule_order)
        ]
        return findings, accepted

    def scan_text(self, text: str, *, path: str = "<text>", commit: str | None = None) -> list[Finding]:
        """Scan ``text`` as if every line of it had been added to ``path``."""
        lines = [(number, line) for number, line in enumerate(text.split("\n"), start=1)]
        return self.scan(Fragment(path=path, lines=lines, commit=commit))

    # -- rules ---------------------------------------------------------------------------------------

    def _rule_candidates(
        self,
        path: str,
        texts: Sequence[str],
        blob: bytes,
        blob_text: str,
        gate: tuple[set[str] | None, Sequence[int]] | None = None,
    ) -> Iterator[Candidate]:
        """Rule hits in ``blob``; ``gate`` its :meth:`_gate`, if known."""
        possible, keywordless = gate if gate is not None else self._gate(blob)
        routes = self._routes_for(possible)
        multiline_done: set[str] = set()
        for index in self._lines_with_keywords(blob, routes):
            line = texts[index]
            for rule, spans in self._rules_for_line(line, routes):
                if rule.multiline:
                    if rule.id not in multiline_done:
                        multiline_done.add(rule.id)
                        yield from _multiline_matches(rule, blob_text)
                    continue
                for start, end in spans:
                    yield from _line_matches(rule, index, line, start, end)
        for rule in self._always:
            if possible is not None and rule.id not in possible:
                continue
            for index, line in enumerate(texts):
                yield from _line_matches(rule, index, line, 0, len(line))
        for position in keywordless:
            yield from _multiline_matches(self._keywordless[position], blob_text)

    def _name_words_for(self, keywordless: Sequence[int]) -> NameWords | None:
        """What a derived line of a blob needs for a rule to fire on it; None when every line may
        count: a rule needs no word, or a rule without keywords (``keywordless``, the positions of
        those matching the blob) matches it (see derived)."""
        return None if keywordless else self._name_words

    def _gate(self, blob: bytes, answer: Answer | None = None) -> tuple[set[str] | None, Sequence[int]]:
        """The rules that can match in ``blob`` (None: run them all) and the positions of the
        keywordless rules that do: the prefilter (its ``answer``, if asked already) answers both in
        one pass when its sets could be built with the keywordless rules in them, else those get
        their own set as before."""
        possible, keywordless = (answer if answer is not None else self._prefilter.matches(blob))[:2]
        return possible, keywordless if keywordless is not None else self._keywordless_matches(blob)

    def _keywordless_matches(self, blob: bytes) -> Sequence[int]:
        """Positions of the keywordless rules that match somewhere in ``blob``: one RE2 set pass."""
        if self._keywordless_set is None:
            return ()
        return self._keywordless_set.Match(blob) or ()

    def _routes_for(self, possible: set[str] | None) -> _Routes | None:
        """The keywords to look for when only the ``possible`` rules can match (None: no rule can)."""
        if possible is None:
            return self._all_routes
        key = frozenset(possible)
        routes = self._routes.get(key)
        if routes is None and key not in self._routes:
            keyword_rules: dict[str, list[Rule]] = {}
            for keyword, rules in self._keyword_rules.items():
                kept = [rule for rule in rules if rule.id in key]
                if kept:
                    keyword_rules[keyword] = kept
            routes = _Routes.build(keyword_rules) if keyword_rules else None
            if len(self._routes) >= _MAX_ROUTES:
                self._routes.clear()
            self._routes[key] = routes
        return routes

    def _lines_with_keywords(self, blob: bytes, routes: _Routes | None) -> list[int]:
        """Indices of the lines holding any keyword of ``routes``: one C-speed pass over the blob.

        The pattern swallows the rest of the line after a keyword, so a line full of keywords (minified
        code) costs one match, not one per keyword.
        """
        if routes is None or routes.line_re is None:
            return []
        return matching_lines(routes.line_re, blob)

    def _rules_for_line(
        self, line: str, routes: _Routes | None = None
    ) -> Iterator[tuple[Rule, list[tuple[int, int]]]]:
        """The rules a line's keywords trigger, with the spans of the line each should run on."""
        routes = routes or self._all_routes
        keywords = [routes.keywords[i] for i in routes.keyword_set.Match(line)] if routes.keywords else []
        rules: dict[str, tuple[Rule, list[str]]] = {}
        for keyword in keywords:
            for rule in routes.keyword_rules[keyword]:
                rules.setdefault(rule.id, (rule, []))[1].append(keyword)
        for rule, rule_keywords in rules.values():
            if len(line) <= LONG_LINE:
                yield rule, [(0, len(line))]
            else:
                yield rule, _keyword_windows(line.lower(), rule_keywords)

    # -- context: derived lines and private keys between unchanged markers -------------------------

    def _derived_candidates(self, path: str, derived: Sequence[DerivedLine]) -> Iterator[Candidate]:
        """Rule hits in derived lines, moved back to the added line (and column) of their value."""
        texts = [line.text for line in derived]
        blob_text = "\n".join(texts)
        blob = blob_text.encode("utf-8", "replace")
        for candidate in self._rule_candidates(path, texts, blob, blob_text):
            if candidate.line_index >= len(derived):
                continue
            line = derived[candidate.line_index]
            if line.exact:
                if candidate.column < line.value_start:
                    continue  # a hit in the name part is the real line's own business
                column = line.column + candidate.column - line.value_start
            else:
                column = line.column
            detector = "rule:context" if line.exact else "rule:decoded"
            yield replace(candidate, line_index=line.line_index, column=column, detector=detector)

    def _keys_in_context(
        self, fragment: Fragment, blob: bytes, numbers: Sequence[int]
    ) -> Iterator[Candidate]:
        """A private key whose new body was added between unchanged BEGIN/END lines (rotated in place,
        pasted into a skeleton): the block is read from the file's context and reported on its first
        added line. Blocks without an added line are old and stay quiet.

        Only a block (``pem_blocks``: a line with ``-----BEGIN ``, a later one with ``-----END ``) of
        the context is ever reported, and a whole file (:class:`FileLines`, every line of the file) is
        its own context: one without ``-----BEGIN `` in its blob is done with a C-speed substring test
        instead of an RE2 pass (ASCII, so the blob's UTF-8 and any replaced surrogates do not matter).
        """
        if fragment.context is None:
            return
        if isinstance(fragment.lines, FileLines) and b"-----BEGIN " not in blob:
            return
        if not KEY_MATERIAL.search(blob):
            return
        texts = [text for _, text in fragment.lines]
        whole = {index for first, last in pem_blocks(texts) for index in range(first - 1, last)}
        if not any(
            index not in whole and ("PRIVATE KEY" in text or PEM_LINE.match(text))
            for index, text in enumerate(texts)
        ):
            return  # every key-like line sits in a block the added lines hold whole: already scanned
        lines = fragment.context()
        if not lines:
            return
        added = {number: index for index, number in enumerate(numbers)}
        for first, last in pem_blocks(lines):
            inside = [added[n] for n in range(first, last + 1) if n in added]
            if not inside:
                continue
            block = "\n".join(lines[first - 1 : last])
            for rule_id in self._multiline:
                for candidate in _multiline_matches(self._rules_by_id[rule_id], block):
                    yield replace(candidate, line_index=inside[0], column=0, detector="rule:context")

    # -- filtering -----------------------------------------------------------------------------------

    def _filter(
        self, candidates: Iterable[Candidate], path: str, texts: Sequence[str]
    ) -> tuple[list[Candidate], list[Candidate]]:
        """Candidates that are findings, and apart from them those a ``leakguard:allow`` comment
        accepts; each verdict is computed once per line or secret."""
        kept: list[Candidate] = []
        allowed: list[Candidate] = []
        allowed_lines: dict[int, bool] = {}
        verdicts: dict[tuple[str, str], bool] = {}
        for candidate in candidates:
            key = (candidate.rule_id, candidate.secret)
            if key not in verdicts:
                verdicts[key] = self._accepts(candidate, path)
            if not verdicts[key]:
                continue
            index = candidate.line_index
            if index not in allowed_lines:
                allowed_lines[index] = has_inline_allow(texts[index])
            (allowed if allowed_lines[index] else kept).append(candidate)
        return kept, allowed

    def _accepts(self, candidate: Candidate, path: str) -> bool:
        rule = self._rules_by_id.get(candidate.rule_id)
        if rule is not None and not _rule_accepts(rule, candidate.secret, path):
            return False
        return not (
            is_placeholder(candidate.secret) or self.ruleset.allowlist.allows_secret(candidate.secret)
        )

    @staticmethod
    def _to_finding(candidate: Candidate, fragment: Fragment) -> Finding:
        end_line, end_column = region_end(candidate, fragment.lines)
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
            end_line=end_line,
            end_column=end_column,
        )


@dataclass(frozen=True)
class _Routes:
    """Keyword routing for a set of rules: the keyword-line pattern, the per-line keyword set, the
    keywords by set position, and the rules each keyword triggers."""

    line_re: Any
    keyword_set: Any
    keywords: list[str]
    keyword_rules: Mapping[str, list[Rule]]

    @classmethod
    def build(cls, keyword_rules: dict[str, list[Rule]]) -> _Routes:
        """Routes for exactly these keywords."""
        keywords = list(keyword_rules)
        alternation = b"|".join(re2.escape(k.encode()) for k in sorted(keywords, key=len, reverse=True))
        line_re = re2.compile(b"(?i)(?:" + alternation + b")[^\n]*", re2_options())
        return cls(line_re, _keyword_set(keywords), keywords, keyword_rules)


class _LazyTexts(Sequence[str]):
    """The texts of a :class:`FileLines`, split on the first line asked for."""

    __slots__ = ("_lines",)

    def __init__(self, lines: FileLines) -> None:
        self._lines = lines

    def __len__(self) -> int:
        return len(self._lines)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        return self._lines.texts[index]


def _split_located(
    blob: bytes, located: Sequence[tuple[int, int]] | None
) -> tuple[list[tuple[int, int]] | None, list[int] | None]:
    """The gate's located ends (``Answer.located``) for the derived stage (its trigger's parts,
    as they are), and the lines the plugins' filter (the part after them) matched on; both None when
    the gate did not answer, so each pass walks the blob itself."""
    if located is None:
        return None, None
    parts = len(TRIGGER_PARTS)
    trigger = [end for end in located if end[1] < parts]
    if len(trigger) == len(located):
        return trigger, []
    return trigger, located_lines(blob, [end for end in located if end[1] >= parts])[0]


def _keyword_set(keywords: Sequence[str]) -> Any:
    """An RE2 set answering, in one call, which of ``keywords`` a line holds (overlaps included)."""
    keyword_set = re2.Set.SearchSet(re2_options())
    for keyword in keywords:
        keyword_set.Add(b"(?i)" + re2.escape(keyword.encode()))
    keyword_set.Compile()
    return keyword_set


def _words_re(words: Iterable[str]) -> Any:
    """A bytes pattern finding lines that hold any of ``words`` (case-insensitive, longest first)."""
    alternation = b"|".join(re2.escape(w.encode()) for w in sorted(words, key=len, reverse=True))
    return re2.compile(b"(?i)(?:" + alternation + b")[^\n]*", re2_options())


def _rule_set(rules: Sequence[Rule]) -> Any:
    """An RE2 set saying, in one pass over a fragment, which of ``rules`` match anywhere in it."""
    if not rules:
        return None
    rule_set = re2.Set.SearchSet(re2_options())
    for rule in rules:
        rule_set.Add(rule.pattern.encode())
    rule_set.Compile()
    return rule_set


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


def _named_away(rule: Rule, match: Any) -> bool:
    """Whether ``match`` is assigned to a name its rule's allowlist says holds no credential."""
    if not rule.allowlist.names:
        return False
    return rule.allowlist.allows_name(match.group(0)[: match.start(rule.secret_group) - match.start()])


def _line_matches(rule: Rule, index: int, line: str, start: int, end: int) -> Iterator[Candidate]:
    segment = line if (start, end) == (0, len(line)) else line[start:end]
    for match in rule.regex.finditer(segment):
        secret = match.group(rule.secret_group)
        if secret and not _named_away(rule, match):
            yield _candidate(rule, index, start + match.start(rule.secret_group), secret)


def _path_rule_matches(rule: Rule, texts: Sequence[str], blob_text: str) -> Iterator[Candidate]:
    """Every match of a rule for the fragment's path: on every line (or the joined lines, for a
    multi-line rule), with no keyword to look for first."""
    if rule.multiline:
        yield from _multiline_matches(rule, blob_text)
        return
    for index, line in enumerate(texts):
        yield from _line_matches(rule, index, line, 0, len(line))


def _multiline_matches(rule: Rule, blob_text: str) -> Iterator[Candidate]:
    """Matches of ``rule`` anywhere in the fragment's joined lines; line numbers counted incrementally."""
    index, counted_to, line_start = 0, 0, 0
    for match in rule.regex.finditer(blob_text):
        secret = match.group(rule.secret_group)
        if not secret or _named_away(rule, match):
            continue
        start = match.start(rule.secret_group)
        newlines = blob_text.count("\n", counted_to, start)
        if newlines:
            index += newlines
            line_start = blob_text.rfind("\n", counted_to, start) + 1
        counted_to = start
        yield _candidate(rule, index, start - line_start, secret)


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

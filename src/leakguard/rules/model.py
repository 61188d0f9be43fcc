"""The compiled, validated form of the rules file: what the engine runs.

Raw JSON becomes these types only through :mod:`leakguard.rules.loader`, which validates and compiles
everything once, so the engine's hot loop never re-checks a rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import re2

from leakguard.rules.stopwords import Stopwords

SEVERITIES = ("critical", "high", "medium", "low")
MODES = ("enforce", "monitor")
#: Where a rule's examples are scanned unless the rule names a path of its own.
EXAMPLE_PATH = "example.txt"


def re2_options() -> Any:
    """RE2 options for every leakguard regex: errors are raised, not printed to stderr."""
    options = re2.Options()
    options.log_errors = False
    options.max_mem = 64 << 20
    return options


def matches_path(patterns: tuple[Any, ...], path: str) -> bool:
    """Whether one of ``patterns`` (compiled RE2) matches ``path``, read as its bytes (a path that is
    not valid UTF-8 keeps its bytes through ``surrogateescape``)."""
    if not patterns:
        return False
    encoded = path.encode("utf-8", "surrogateescape")
    return any(pattern.search(encoded) for pattern in patterns)


@dataclass(frozen=True)
class Allowlist:
    """What is never reported: matching paths, secrets matching a regex, placeholder stopwords, and
    (a rule's own) names: what a match holds before its secret.

    A stopword matches the whole value or a word of it, never any substring (see
    :mod:`leakguard.rules.stopwords`). ``names`` serve the rules that fire on a name alone
    (``DATADOG_TOKEN = ...``): the names that hold no credential (``NextToken``, ``cache_key``) are
    listed, since RE2 cannot say "any word but these" in the rule's own regex.
    """

    paths: tuple[Any, ...] = ()
    regexes: tuple[Any, ...] = ()
    names: tuple[Any, ...] = ()
    stopwords: tuple[str, ...] = ()
    camel_case_stopwords: bool = False
    _stopwords: Stopwords = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_stopwords", Stopwords(self.stopwords, camel_case=self.camel_case_stopwords)
        )

    def allows_path(self, path: str) -> bool:
        """True when ``path`` is allowlisted, so nothing in it is reported."""
        return matches_path(self.paths, path)

    def allows_secret(self, secret: str) -> bool:
        """True when ``secret`` is an accepted value (a known example, a stopword, a regex match)."""
        if self._stopwords and self._stopwords.allows(secret):
            return True
        return any(pattern.search(secret) for pattern in self.regexes)

    def allows_name(self, name: str) -> bool:
        """True when ``name``, what a match holds before its secret, is one that holds no credential."""
        return any(pattern.search(name) for pattern in self.names)


@dataclass(frozen=True)
class Rule:
    """One detection rule. ``secret_group`` is the regex group holding the secret (0: whole match)."""

    id: str
    description: str
    pattern: str
    regex: Any = field(repr=False, compare=False)
    secret_group: int
    keywords: tuple[str, ...]
    severity: str
    mode: str = "enforce"
    entropy: float | None = None
    multiline: bool = False
    keywordless: bool = False
    allowlist: Allowlist = field(default_factory=Allowlist)
    examples_match: tuple[str, ...] = ()
    examples_nomatch: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    #: Compiled RE2 patterns of the paths the rule alone applies to (none: every path).
    paths: tuple[Any, ...] = ()
    #: Where the examples are scanned (a path ``paths`` matches, for a rule that has them).
    example_path: str = EXAMPLE_PATH

    def applies_to(self, path: str) -> bool:
        """Whether the rule runs on the file at ``path``: every file, unless it names its paths."""
        return not self.paths or matches_path(self.paths, path)


@dataclass(frozen=True)
class DetectorSettings:
    """Settings of one detect-secrets plugin family running beside the rules."""

    enabled: bool = True
    severity: str = "medium"
    mode: str = "enforce"


@dataclass(frozen=True)
class RuleSet:
    """Every rule of a rules file plus its global allowlist and plugin settings."""

    rules: tuple[Rule, ...]
    allowlist: Allowlist = field(default_factory=Allowlist)
    high_entropy: DetectorSettings = field(default_factory=DetectorSettings)
    keyword: DetectorSettings = field(default_factory=DetectorSettings)
    source: str = "<memory>"

    def by_id(self, rule_id: str) -> Rule:
        """The rule named ``rule_id``; KeyError when there is none."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

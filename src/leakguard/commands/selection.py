"""What a ``leakguard scan`` run reports: rules by id, a minimum severity, excluded paths.

Selection narrows a scan; it is not acceptance. Nothing here reaches the bot: a developer who excludes
a rule locally is still scanned by the inspector with every rule.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from leakguard.errors import ConfigError
from leakguard.findings import Finding
from leakguard.rules.model import SEVERITIES, RuleSet
from leakguard.scan import Item
from leakguard.sources.base import CommitInfo

#: Ids of the detect-secrets plugin families' findings, selectable like rule ids.
PLUGIN_IDS = ("high-entropy-base64", "high-entropy-hex", "secret-keyword")


def split_ids(values: Sequence[str] | None) -> frozenset[str]:
    """``--enable-rule a,b --enable-rule c`` → ``{a, b, c}``."""
    return frozenset(part.strip() for value in values or () for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class Selection:
    """The command line's narrowing of a scan."""

    enable: frozenset[str] = frozenset()
    disable: frozenset[str] = frozenset()
    min_severity: str | None = None
    exclude: tuple[str, ...] = ()

    def check(self, ruleset: RuleSet) -> None:
        """Refuse ids no rule has (a typo would otherwise select nothing, silently)."""
        unknown = sorted((self.enable | self.disable) - {rule.id for rule in ruleset.rules} - set(PLUGIN_IDS))
        if unknown:
            raise ConfigError(f"unknown rule id: {unknown[0]} (see `leakguard rules list`)")
        if self.min_severity is not None and self.min_severity not in SEVERITIES:
            raise ConfigError(f"--min-severity must be one of {', '.join(SEVERITIES)}")

    def narrow(self, ruleset: RuleSet) -> RuleSet:
        """The rule set without the rules this selection leaves out (they need not even run)."""
        rules = tuple(
            rule
            for rule in ruleset.rules
            if (not self.enable or rule.id in self.enable) and rule.id not in self.disable
        )
        return replace(ruleset, rules=rules)

    def keeps(self, finding: Finding) -> bool:
        """True when ``finding`` is one this run reports."""
        if self.enable and finding.rule_id not in self.enable:
            return False
        if finding.rule_id in self.disable:
            return False
        if self.min_severity is not None:
            return SEVERITIES.index(finding.severity) <= SEVERITIES.index(self.min_severity)
        return True

    def excludes(self, path: str) -> bool:
        """True when ``path`` (repository-relative) matches an ``--exclude-path`` glob or lies under one."""
        return any(
            fnmatch.fnmatchcase(path, glob) or fnmatch.fnmatchcase(path, glob.rstrip("/") + "/*")
            for glob in self.exclude
        )

    def items(self, items: Iterable[Item]) -> Iterator[Item]:
        """``items`` without the files an exclude glob names."""
        for item in items:
            if isinstance(item, CommitInfo) or not self.excludes(item.path):
                yield item

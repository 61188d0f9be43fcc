"""A raw hit before filtering: the only place a secret exists in clear, and only inside the engine."""

from __future__ import annotations

from dataclasses import dataclass

#: Priority of a hit when hits overlap on a line: the most specific detector wins.
PRIORITY_PROVIDER_RULE = 0
PRIORITY_GENERIC_RULE = 1
PRIORITY_PLUGIN = 2


@dataclass(frozen=True, slots=True)
class Candidate:
    """A secret one detector matched at ``line_index`` (0-based in the fragment), ``column`` (0-based)."""

    rule_id: str
    description: str
    severity: str
    mode: str
    detector: str
    priority: int
    line_index: int
    column: int
    secret: str

    @property
    def end(self) -> int:
        """Column just past the secret."""
        return self.column + len(self.secret)

"""A raw hit before filtering: the only place a secret exists in clear, and only inside the engine."""

from __future__ import annotations

from collections.abc import Sequence
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


def region_end(candidate: Candidate, lines: Sequence[tuple[int, str]]) -> tuple[int, int]:
    """Where the secret ends in the fragment: its last line number and the 1-based column just past it.

    Reports point at the whole secret (SARIF's ``endLine``/``endColumn``), so code-scanning dashboards
    highlight it. The span is checked against the lines themselves: a hit whose text is not at its
    column (a value decoded from base64, a private key read from the file's unchanged context) is
    spanned to the end of its line instead of guessing.
    """
    number, text = lines[candidate.line_index]
    parts = candidate.secret.split("\n")
    first = parts[0]
    if text[candidate.column : candidate.column + len(first)] != first:
        return number, len(text) + 1
    if len(parts) == 1:
        return number, candidate.column + len(first) + 1
    last_index = candidate.line_index + len(parts) - 1
    if last_index < len(lines) and all(
        lines[candidate.line_index + offset][1].startswith(part) for offset, part in enumerate(parts[1:], 1)
    ):
        return lines[last_index][0], len(parts[-1]) + 1
    return number, len(text) + 1

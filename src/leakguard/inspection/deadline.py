"""How long the inspector may still scan before its invocation would be cut off.

Lambda kills a function at its timeout without a word: a push whose scan would not finish must stop
while there is still time to tell the admins so, never run into the wall. The scan checks the deadline
before each commit; what it had not scanned is recorded as nothing, so a later inspection scans it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: Time kept back for what follows a stopped scan: the alert, the metric, the idempotency record.
DEFAULT_RESERVE_SECONDS = 30.0


class OutOfTime(Exception):
    """The scan stopped at the deadline; ``commits`` were scanned whole before it."""

    def __init__(self, commits: int) -> None:
        super().__init__(f"stopped after {commits} commit(s)")
        self.commits = commits


@dataclass
class Deadline:
    """``remaining_ms`` is Lambda's ``context.get_remaining_time_in_millis``."""

    remaining_ms: Callable[[], int]
    reserve_seconds: float = DEFAULT_RESERVE_SECONDS
    started: float = field(default_factory=time.monotonic)

    def expired(self) -> bool:
        """Whether the time left is within the reserve."""
        return self.remaining_ms() / 1000.0 <= self.reserve_seconds

    @classmethod
    def never(cls) -> Deadline:
        """No deadline (the CLI, tests of other things)."""
        return cls(remaining_ms=lambda: 2**62, reserve_seconds=0.0)

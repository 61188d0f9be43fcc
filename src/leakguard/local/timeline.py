"""A readable timeline of what the local bot does, and the checks that make the demo a smoke test."""

from __future__ import annotations

import sys
import textwrap
import time
from dataclasses import dataclass, field
from typing import TextIO


@dataclass
class Timeline:
    """Prints steps, events and blocks of text with the time since the start."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    started: float = field(default_factory=time.monotonic)
    failures: list[str] = field(default_factory=list)
    passed: int = 0

    def _at(self) -> str:
        return f"[{time.monotonic() - self.started:6.1f}s]"

    def step(self, title: str) -> None:
        """A new step of the story."""
        self.out.write(f"\n{self._at()} == {title}\n")
        self.out.flush()

    def event(self, who: str, text: str) -> None:
        """Something one component did."""
        self.out.write(f"{self._at()}    {who:<10} {text}\n")
        self.out.flush()

    def block(self, text: str, *, indent: int = 14) -> None:
        """A multi-line text (an email, a command), indented under the timeline."""
        self.out.write(textwrap.indent(text.rstrip("\n"), " " * indent) + "\n")
        self.out.flush()

    def check(self, ok: bool, what: str) -> bool:
        """Record an expectation of the demo; a failed one makes it exit non-zero."""
        mark = "ok " if ok else "FAIL"
        self.out.write(f"{self._at()}    [{mark}] {what}\n")
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)
        return ok

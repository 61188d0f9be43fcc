"""The allowlist file (``.leakguardignore``) for accepted false positives.

One entry a line: a finding's fingerprint (as printed by ``leakguard scan``), or ``path:GLOB`` for files
never to report. ``#`` starts a comment. Fingerprints hash the location, not the secret, so the file
can be committed safely.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from leakguard.errors import ConfigError
from leakguard.findings import Finding

IGNORE_FILE_NAME = ".leakguardignore"


@dataclass(frozen=True)
class IgnoreList:
    """Fingerprints and path globs whose findings are accepted."""

    fingerprints: frozenset[str] = frozenset()
    path_globs: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: str | Path) -> IgnoreList:
        """Read an ignore file; a missing file is a configuration error (the caller named it)."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read ignore file {path}: {exc.strerror or exc}") from exc
        fingerprints, globs = set(), []
        for raw in text.splitlines():
            entry = raw.split("#", 1)[0].strip()
            if entry.startswith("path:"):
                globs.append(entry[5:].strip())
            elif entry:
                fingerprints.add(entry)
        return cls(frozenset(fingerprints), tuple(globs))

    def ignores(self, finding: Finding) -> bool:
        """True when ``finding`` was accepted by fingerprint or path."""
        return finding.fingerprint in self.fingerprints or any(
            fnmatch.fnmatchcase(finding.path, glob) for glob in self.path_globs
        )

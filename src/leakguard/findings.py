"""The one currency of leakguard: a :class:`Finding` never holds the secret it is about.

Redaction and fingerprinting happen in :meth:`Finding.create`, the only way the engine makes a finding,
so nothing downstream (reports, events, emails, logs) can see the secret in clear.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

from leakguard.detect.entropy import shannon_entropy

#: Secrets with less entropy than this (bits per character), or shorter than this, reveal nothing.
_REVEAL_MIN_ENTROPY = 3.0
_REVEAL_MIN_LENGTH = 16
_MASK = "*" * 8


def redact(secret: str) -> str:
    """Return a form of ``secret`` safe to show to people.

    Random tokens keep a short prefix (at most 4 characters and a quarter of the secret), which is
    usually the provider's public prefix (``AKIA``, ``ghp_``) and helps an admin tell which credential to
    rotate. Short, low-entropy or spaced secrets (passwords, passphrases) keep nothing. The mask has a
    fixed width so the length of the secret is not revealed either.
    """
    if (
        len(secret) < _REVEAL_MIN_LENGTH
        or any(ch.isspace() for ch in secret)
        or shannon_entropy(secret) < _REVEAL_MIN_ENTROPY
    ):
        return _MASK
    return secret[: min(4, len(secret) // 4)] + _MASK


def fingerprint(rule_id: str, path: str, line: int, commit: str | None) -> str:
    """A stable identifier of a finding's location that reveals nothing about the secret.

    It hashes where the secret is, never what it is: a digest of a low-entropy password could be
    brute-forced back to the password. The same commit, file, line and rule always give the same
    fingerprint, which is what allowlist (``.leakguardignore``) entries and de-duplication need.
    """
    material = "\x00".join(("leakguard/v1", rule_id, commit or "", path, str(line)))
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Finding:
    """A credential found in one line of one file (of one commit, when scanning history)."""

    rule_id: str
    description: str
    severity: str
    mode: str
    path: str
    line: int
    column: int
    redacted: str
    fingerprint: str
    entropy: float
    commit: str | None = None
    author: str | None = None
    detector: str = "rule"

    @classmethod
    def create(
        cls,
        *,
        secret: str,
        rule_id: str,
        description: str,
        severity: str,
        mode: str,
        path: str,
        line: int,
        column: int,
        commit: str | None = None,
        author: str | None = None,
        detector: str = "rule",
    ) -> Finding:
        """Make a finding from a raw match; the secret is redacted here and not kept."""
        return cls(
            rule_id=rule_id,
            description=description,
            severity=severity,
            mode=mode,
            path=path,
            line=line,
            column=column,
            redacted=redact(secret),
            fingerprint=fingerprint(rule_id, path, line, commit),
            entropy=round(shannon_entropy(secret), 2),
            commit=commit,
            author=author,
            detector=detector,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (the secret was never part of it)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file the engine did not scan, and why: skipped files are reported, never silently dropped."""

    path: str
    reason: str
    commit: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return asdict(self)

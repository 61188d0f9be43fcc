"""The one currency of leakguard: a :class:`Finding` never holds the secret it is about.

Redaction and fingerprinting happen in :meth:`Finding.create`, the only way the engine makes a finding,
so nothing downstream (reports, events, emails, logs) can see the secret in clear. The fingerprint is a
keyed hash of the secret and its path (:mod:`leakguard.fingerprints`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from leakguard.detect.entropy import shannon_entropy
from leakguard.fingerprints import fingerprint

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
    #: Where the match is: ``file`` content, a ``path``, a ``commit-message`` or a ``tag-message``
    #: (see :mod:`leakguard.sources.base`); set by the scan from the fragment it came from.
    source: str = "file"
    #: Where the secret ends: its last line and the 1-based column just past it (0: not known). Any
    #: source position says how long the secret is, as the repository itself does; the redacted form
    #: shown in emails keeps its fixed width.
    end_line: int = 0
    end_column: int = 0

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
        end_line: int = 0,
        end_column: int = 0,
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
            fingerprint=fingerprint(path, secret),
            entropy=round(shannon_entropy(secret), 2),
            commit=commit,
            author=author,
            detector=detector,
            end_line=end_line,
            end_column=end_column,
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


#: How a developer accepted a finding inside the repository: a ``leakguard:allow`` comment on the line,
#: or an entry (fingerprint or ``path:`` glob) in ``.leakguardignore``.
AcceptedVia = Literal["inline", "ignore-file"]


@dataclass(frozen=True, slots=True)
class AcceptedFinding:
    """A finding a developer accepted in the repository: a bypass, honoured but never silent.

    ``reason`` is the developer's words (after the marker, or the ignore entry's comment), already
    free of the secret; ``entry`` the ignore-file entry that matched; ``accepted_in``/``accepted_by``
    the commit that added the acceptance and its author, when known.
    """

    finding: Finding
    via: AcceptedVia
    reason: str = ""
    entry: str | None = None
    accepted_in: str | None = None
    accepted_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form: the finding's fields plus how it was accepted."""
        return {
            "finding": self.finding.to_dict(),
            "via": self.via,
            "reason": self.reason,
            "entry": self.entry,
            "acceptedIn": self.accepted_in,
            "acceptedBy": self.accepted_by,
        }

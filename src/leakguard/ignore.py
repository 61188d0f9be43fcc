"""The in-repository allowlist file (``.leakguardignore``): findings a developer accepted.

One entry a line: a finding's fingerprint (as ``leakguard scan`` prints it), or ``path:GLOB`` for files
never to report. ``#`` starts a comment; the comment on an entry's line, or else the comment lines
right above it, is the entry's reason, shown to admins in the bypass notice. Fingerprints are keyed
hashes (:mod:`leakguard.fingerprints`), so the file can be committed safely. ``scan --write-ignore``
writes the file, with a ``# leakguard-key: ID`` line naming the key its fingerprints were made with.

Entries from before keyed fingerprints (a hash of rule, commit, path and line) still match the same
findings they always did; :attr:`IgnoreList.legacy_matches` counts them for a migration notice.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from leakguard.errors import ConfigError
from leakguard.findings import Finding
from leakguard.fingerprints import FingerprintKey, location_fingerprint

IGNORE_FILE_NAME = ".leakguardignore"
#: Larger ignore files are refused: nobody accepts a million findings, and the bot reads it from git.
MAX_IGNORE_FILE_BYTES = 1 << 20
MAX_REASON_CHARS = 200
_FINGERPRINT = re.compile(r"^[0-9a-f]{32}$")
_KEY_LINE = re.compile(r"^#\s*leakguard-key:\s*([0-9a-f]{8})\s*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class IgnoreEntry:
    """One accepting line: a fingerprint or a path glob, its reason and line number."""

    value: str
    kind: str  # "fingerprint" or "path"
    reason: str
    line: int


@dataclass(frozen=True)
class IgnoreMatch:
    """Why a finding is accepted: the entry, and whether it matched the old location-based way."""

    entry: IgnoreEntry
    legacy: bool = False


@dataclass
class IgnoreList:
    """Fingerprints and path globs whose findings are accepted, read from one ignore file."""

    entries: list[IgnoreEntry] = field(default_factory=list)
    key_id: str | None = None
    source: str = IGNORE_FILE_NAME
    problems: list[str] = field(default_factory=list)
    legacy_matches: int = 0

    def __post_init__(self) -> None:
        self._fingerprints = {e.value: e for e in self.entries if e.kind == "fingerprint"}
        self._globs = [e for e in self.entries if e.kind == "path"]

    @classmethod
    def load(cls, path: str | Path) -> IgnoreList:
        """Read an ignore file from disk; one-line error when it cannot be read."""
        target = Path(path)
        try:
            if target.stat().st_size > MAX_IGNORE_FILE_BYTES:
                raise ConfigError(f"ignore file {path} is larger than {MAX_IGNORE_FILE_BYTES} bytes")
            data = target.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read ignore file {path}: {exc.strerror or exc}") from exc
        return cls.parse(data.decode("utf-8", "replace"), source=str(path))

    @classmethod
    def parse(cls, text: str, *, source: str = IGNORE_FILE_NAME) -> IgnoreList:
        """Parse ignore-file text. Bad lines are reported in ``problems``, never fatal: the file
        comes from a developer's commit and must not stop a scan."""
        entries: list[IgnoreEntry] = []
        problems: list[str] = []
        key_id = None
        comments: list[str] = []
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            key_line = _KEY_LINE.match(line)
            if key_line:
                key_id = key_line.group(1)
                continue
            value, _, comment = line.partition("#")
            value, comment = value.strip(), _clean(comment)
            if not value:
                comments = [*comments, comment] if comment and raw.lstrip().startswith("#") else []
                continue
            reason = comment or " ".join(c for c in comments if c)
            comments = []
            if value.startswith("path:"):
                glob = value[5:].strip()
                if glob:
                    entries.append(IgnoreEntry(glob, "path", _clip(reason), number))
                else:
                    problems.append(f"{source}:{number}: empty path: entry")
            elif _FINGERPRINT.match(value.lower()):
                entries.append(IgnoreEntry(value.lower(), "fingerprint", _clip(reason), number))
            else:
                problems.append(f"{source}:{number}: not a fingerprint or path: entry")
        return cls(entries=entries, key_id=key_id, source=source, problems=problems)

    def match(self, finding: Finding) -> IgnoreMatch | None:
        """The entry accepting ``finding`` (keyed fingerprint, path glob, or an old location entry)."""
        entry = self._fingerprints.get(finding.fingerprint)
        if entry is not None:
            return IgnoreMatch(entry)
        for glob in self._globs:
            if fnmatch.fnmatchcase(finding.path, glob.value):
                return IgnoreMatch(glob)
        legacy = self._fingerprints.get(
            location_fingerprint(finding.rule_id, finding.path, finding.line, finding.commit)
        )
        if legacy is not None:
            self.legacy_matches += 1
            return IgnoreMatch(legacy, legacy=True)
        return None

    def ignores(self, finding: Finding) -> bool:
        """True when ``finding`` was accepted by fingerprint or path."""
        return self.match(finding) is not None

    def notices(self, key: FingerprintKey) -> list[str]:
        """What a person should know about this file: bad lines, old entries, another key's entries."""
        notes = list(self.problems)
        if self.key_id and self.key_id != key.key_id:
            notes.append(
                f"{self.source}: its fingerprints were made with key {self.key_id}, the active key is "
                f"{key.key_id} ({key.source}): they will not match; see `leakguard key show`"
            )
        if self.legacy_matches:
            notes.append(
                f"{self.source}: {self.legacy_matches} finding(s) accepted by old location-based entries, "
                "which stop matching when a line moves; rewrite them with `leakguard scan --write-ignore`"
            )
        return notes


def render_additions(findings: list[Finding], existing: str, key: FingerprintKey) -> str:
    """``existing`` ignore-file text plus an entry per finding it does not hold yet.

    Keeps every existing line (people's comments and globs); states the key id once; one line per
    distinct fingerprint, commented with rule and path so a reviewer sees what is being accepted.
    """
    present = {e.value for e in IgnoreList.parse(existing).entries if e.kind == "fingerprint"}
    lines = existing.splitlines()
    if not any(_KEY_LINE.match(line.strip()) for line in lines):
        lines.insert(0, f"# leakguard-key: {key.key_id}")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    added = False
    for finding in findings:
        if finding.fingerprint in present:
            continue
        present.add(finding.fingerprint)
        if not added:
            lines.append(f"# added by leakguard scan --write-ignore on {stamp}: review before committing")
            added = True
        lines.append(f"{finding.fingerprint}  # {finding.rule_id} in {finding.path}")
    return "\n".join(lines) + "\n"


def _clean(comment: str) -> str:
    return _CONTROL.sub(" ", comment).strip()


def _clip(reason: str) -> str:
    return reason if len(reason) <= MAX_REASON_CHARS else reason[: MAX_REASON_CHARS - 1] + "…"

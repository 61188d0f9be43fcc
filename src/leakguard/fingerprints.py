"""Keyed fingerprints: which secret, where it lives, without revealing the secret.

A fingerprint is ``HMAC-SHA256(deployment key, path + secret)``, cut to 32 hex digits. It names the
secret *in its file* (the repository-relative path), never its line, commit or the way it was scanned,
so ``--staged``, ``--range``, a directory scan, any working directory and a moved line all give the
same value. A plain digest of the secret could be brute-forced back to a weak password from a SARIF
upload, a ticket or an email; with a key it cannot, unless one also holds the key, and those who hold
it (the inspector, reset and the developers of the watched repositories) can read the repository
anyway. See ``docs/admin.md`` ("Fingerprints and the deployment key").

The key is process-wide configuration, set once at cold start or CLI start with :func:`use_key`
(the engine makes findings without knowing where the key came from). Until then an ephemeral random
key is used: safe (nothing recoverable) but only stable within the process.

The old location-based fingerprint (rule, commit, path, line) is kept as
:func:`location_fingerprint` so ``.leakguardignore`` files written before keyed fingerprints keep
matching, with a migration notice.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field

from leakguard.errors import ConfigError

logger = logging.getLogger(__name__)

#: Shortest key accepted: 128 bits of a random hex or base64 string.
MIN_KEY_CHARS = 16
_DOMAIN = b"leakguard/fingerprint/v2\x00"
_KEY_ID_DOMAIN = b"leakguard/key-id/v1"


@dataclass(frozen=True)
class FingerprintKey:
    """A fingerprint key and where it came from (``source`` is shown to people, the key never)."""

    material: bytes = field(repr=False)
    source: str = "configured"
    #: False for a key generated on this machine: its fingerprints mean nothing to the bot.
    shared: bool = True

    @classmethod
    def from_text(cls, text: str, *, source: str, shared: bool = True) -> FingerprintKey:
        """A key from its text form (what Secrets Manager, an env var or a key file holds)."""
        value = text.strip()
        if len(value) < MIN_KEY_CHARS:
            raise ConfigError(
                f"fingerprint key from {source} is too short: at least {MIN_KEY_CHARS} characters"
            )
        return cls(value.encode("utf-8"), source=source, shared=shared)

    @classmethod
    def generate(cls, *, source: str = "ephemeral", shared: bool = False) -> FingerprintKey:
        """A new random key (64 hex digits)."""
        return cls(secrets.token_hex(32).encode("ascii"), source=source, shared=shared)

    @property
    def key_id(self) -> str:
        """Eight hex digits naming the key (an HMAC of a constant: says nothing about the key)."""
        return hmac.new(self.material, _KEY_ID_DOMAIN, hashlib.sha256).hexdigest()[:8]

    def fingerprint(self, path: str, secret: str) -> str:
        """The fingerprint of ``secret`` in the file ``path`` (repository-relative, ``/``-separated)."""
        message = _DOMAIN + _encode(normalise_path(path)) + b"\x00" + _encode(secret)
        return hmac.new(self.material, message, hashlib.sha256).hexdigest()[:32]


_active: FingerprintKey | None = None


def use_key(key: FingerprintKey) -> None:
    """Make ``key`` the one every finding of this process is fingerprinted with."""
    global _active
    _active = key


def active_key() -> FingerprintKey:
    """The configured key; an ephemeral random one (logged once) when none was configured."""
    global _active
    if _active is None:
        logger.info("no fingerprint key configured: using an ephemeral one (fingerprints not stable)")
        _active = FingerprintKey.generate()
    return _active


def fingerprint(path: str, secret: str) -> str:
    """The fingerprint of ``secret`` at ``path`` under the active key."""
    return active_key().fingerprint(path, secret)


def location_fingerprint(rule_id: str, path: str, line: int, commit: str | None) -> str:
    """The pre-v2 fingerprint (rule, commit, path, line): only to recognise old ignore-file entries."""
    material = "\x00".join(("leakguard/v1", rule_id, commit or "", path, str(line)))
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def normalise_path(path: str) -> str:
    """``./a//b\\c`` → ``a/b/c``: the one spelling of a repository-relative path."""
    parts = [part for part in path.replace("\\", "/").split("/") if part not in ("", ".")]
    return "/".join(parts)


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")

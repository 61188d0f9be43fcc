"""Remembering which rules documents passed schema validation, so a CLI start-up can skip jsonschema.

Validating ``regex.json`` against its schema needs jsonschema, whose import alone costs ``leakguard
scan`` about 0.2 s of a start-up that should take 0.3. The same document validates the same way
every time, so a digest of it (with the schema and this version of leakguard) is recorded once it
passed, and a later load of an identical document skips the validator. Anything else, a changed
rule, schema or version, is validated again. Compiling the rules (RE2) still happens on every load.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Protocol


class ValidatedRules(Protocol):
    """Where digests of documents that passed validation are kept."""

    def seen(self, digest: str) -> bool: ...

    def remember(self, digest: str) -> None: ...


def digest(raw: Any, schema: Any, version: str) -> str:
    """A digest of a parsed rules document, its schema and the leakguard version validating it."""
    text = json.dumps([version, schema, raw], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class MarkDirectory:
    """One empty file per validated digest in ``directory`` (created private on first use)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def seen(self, digest: str) -> bool:
        """True when a document with this digest passed validation before."""
        return (self.directory / digest).is_file()

    def remember(self, digest: str) -> None:
        """Record a document that passed; a cache that cannot be written is just not used."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            marker = self.directory / digest
            descriptor = os.open(marker, os.O_WRONLY | os.O_CREAT, 0o600)
            os.close(descriptor)
        except OSError:
            pass

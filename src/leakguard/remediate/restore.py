"""Restore: bring an incident's quarantined commits back into a local clone, under refs of their own.

Nothing is checked out or merged: the commits land under ``refs/leakguard/restored/<incident>/`` and
the admin decides what to do with them (usually: cherry-pick the work without the credential).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from leakguard.aws.storage import ObjectStore
from leakguard.errors import ConfigError
from leakguard.events.codecommit import validate_repository_name
from leakguard.git import Git
from leakguard.remediate.incident import quarantine_key
from leakguard.remediate.quarantine import BUNDLE_REF_PREFIX

_INCIDENT = re.compile(r"^[0-9a-f]{32}$")
RESTORED_PREFIX = "refs/leakguard/restored/"


@dataclass(frozen=True)
class RestoreResult:
    """The refs the bundle was fetched into."""

    incident_id: str
    key: str
    refs: list[str]


def validate_incident_id(incident_id: str) -> str:
    """Incident ids are 32 lower-case hex characters (see ``incident_id()``)."""
    if not _INCIDENT.match(incident_id or ""):
        raise ConfigError(f"invalid incident id {incident_id!r}: expected 32 hexadecimal characters")
    return incident_id


class Restorer:
    """Downloads, verifies and fetches a quarantine bundle."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def find(self, bucket: str, incident_id: str, repository: str | None) -> str:
        """The bundle's key; searched across repositories when ``repository`` is not given."""
        if repository:
            return quarantine_key(validate_repository_name(repository), incident_id)
        keys = self.store.find_key(bucket, "quarantine/", f"/{incident_id}.bundle")
        if len(keys) != 1:
            raise ConfigError(
                f"{'no' if not keys else 'more than one'} quarantine bundle for incident {incident_id} "
                f"in bucket {bucket}; pass --repository"
            )
        return keys[0]

    def restore(
        self, incident_id: str, *, repo_dir: Path, bucket: str, repository: str | None
    ) -> RestoreResult:
        """Fetch the bundle's refs into ``repo_dir`` under ``refs/leakguard/restored/<incident>/``."""
        validate_incident_id(incident_id)
        git = Git(repo_dir)
        git.text(["rev-parse", "--git-dir"])  # a clear GitError when repo_dir is no repository
        key = self.find(bucket, incident_id, repository)
        target = f"{RESTORED_PREFIX}{incident_id}/"
        with tempfile.TemporaryDirectory(prefix="leakguard-restore-") as tmp:
            bundle = Path(tmp) / f"{incident_id}.bundle"
            self.store.download_file(bucket, key, bundle)
            git.run(["bundle", "verify", "--quiet", str(bundle)])
            git.run(["fetch", "--quiet", "--no-tags", "--", str(bundle), f"+{BUNDLE_REF_PREFIX}*:{target}*"])
        refs = git.text(["for-each-ref", "--format=%(refname)", target]).split()
        return RestoreResult(incident_id=incident_id, key=key, refs=refs)

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
from leakguard.git import Git, validate_ref_name
from leakguard.remediate.incident import quarantine_prefix
from leakguard.remediate.quarantine import bundle_header

_INCIDENT = re.compile(r"^[0-9a-f]{32}$")
RESTORED_PREFIX = "refs/leakguard/restored/"


@dataclass(frozen=True)
class RestoreResult:
    """The refs the bundles were fetched into; ``key`` is the incident's quarantine prefix."""

    incident_id: str
    key: str
    refs: list[str]


def validate_incident_id(incident_id: str) -> str:
    """Incident ids are 32 lower-case hex characters (see ``incident_id()``)."""
    if not _INCIDENT.match(incident_id or ""):
        raise ConfigError(f"invalid incident id {incident_id!r}: expected 32 hexadecimal characters")
    return incident_id


class Restorer:
    """Downloads, verifies and fetches the quarantine bundles of an incident."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def find(self, bucket: str, incident_id: str, repository: str | None) -> list[str]:
        """The incident's bundle keys (one per reset plan); searched across repositories if needed."""
        prefix = (
            quarantine_prefix(validate_repository_name(repository), incident_id)
            if repository
            else "quarantine/"
        )
        keys = sorted(k for k in self.store.find_key(bucket, prefix, ".bundle") if f"/{incident_id}/" in k)
        repositories = {k.split("/")[1] for k in keys}
        if not keys or len(repositories) > 1:
            raise ConfigError(
                f"{'no' if not keys else 'more than one repository has a'} quarantine bundle for incident "
                f"{incident_id} in bucket {bucket}; pass --repository"
            )
        return keys

    def restore(
        self, incident_id: str, *, repo_dir: Path, bucket: str, repository: str | None
    ) -> RestoreResult:
        """Fetch every bundle's heads into ``repo_dir`` as ``refs/leakguard/restored/<incident>/<commit>``.

        A bundle names the refs it was taken from; each head is restored under its own object id, so
        heads of several bundles (a reset retried after a concurrent push) never collide.
        """
        validate_incident_id(incident_id)
        git = Git(repo_dir)
        git.text(["rev-parse", "--git-dir"])  # a clear GitError when repo_dir is no repository
        keys = self.find(bucket, incident_id, repository)
        target = f"{RESTORED_PREFIX}{incident_id}/"
        with tempfile.TemporaryDirectory(prefix="leakguard-restore-") as tmp:
            for number, key in enumerate(keys):
                bundle = Path(tmp) / f"{number}.bundle"
                self.store.download_file(bucket, key, bundle)
                git.run(["bundle", "verify", "--quiet", str(bundle)])
                heads, _ = bundle_header(bundle)
                refspecs = [f"+{validate_ref_name(n)}:{target}{sha}" for n, sha in sorted(heads.items())]
                git.run(["fetch", "--quiet", "--no-tags", "--", str(bundle), *refspecs])
        refs = git.text(["for-each-ref", "--format=%(refname)", target]).split()
        return RestoreResult(incident_id=incident_id, key=keys[0].rsplit("/", 1)[0] + "/", refs=refs)

"""Quarantine: the commits a reset removes, saved as a git bundle (and a manifest) in S3 first.

Nothing is removed from a ref before its commits are safely stored: the bundle is uploaded, and only
then does reset push. ``leakguard restore`` brings the bundle back into a clone.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from leakguard.aws.storage import ObjectStore
from leakguard.git import Git, validate_commit_id
from leakguard.inspection.commits import list_commits
from leakguard.remediate.incident import quarantine_key

#: The bundle names each quarantined head ``refs/quarantine/<commit>``; restore maps these refs.
BUNDLE_REF_PREFIX = "refs/quarantine/"


@dataclass(frozen=True)
class Quarantined:
    """Where the bundle went and what it holds."""

    bucket: str
    key: str
    commits: list[str]

    @property
    def url(self) -> str:
        """``s3://`` address for messages."""
        return f"s3://{self.bucket}/{self.key}"


def quarantine(
    git: Git,
    store: ObjectStore,
    *,
    bucket: str,
    repository: str,
    incident_id: str,
    full_ref: str,
    heads: Sequence[str],
    exclude: Sequence[str],
) -> Quarantined:
    """Bundle every commit reachable from ``heads`` but not from ``exclude``, upload it with a manifest.

    ``exclude`` is the reset target, or for a deleted ref the tips of the other refs: the bundle then
    needs only commits any clone of the repository has, and holds exactly what leaves the repository.

    Each head becomes a ref of the bundle, so a retry after a concurrent push quarantines the commits of
    the head seen first as well as those of the new one.
    """
    refs = [f"{BUNDLE_REF_PREFIX}{validate_commit_id(h)}" for h in dict.fromkeys(heads)]
    for ref, head in zip(refs, dict.fromkeys(heads), strict=True):
        git.run(["update-ref", ref, head])
    negative = ["--not", *(validate_commit_id(c) for c in exclude)] if exclude else []
    commits = list_commits(git, [*(h for h in dict.fromkeys(heads)), *negative])
    key = quarantine_key(repository, incident_id)
    with tempfile.TemporaryDirectory(prefix="leakguard-bundle-") as tmp:
        bundle = Path(tmp) / "quarantine.bundle"
        git.run(["bundle", "create", "--quiet", str(bundle), *refs, *negative])
        store.upload_file(bucket, key, bundle)
    manifest: dict[str, Any] = {
        "incidentId": incident_id,
        "repository": repository,
        "reference": full_ref,
        "heads": list(dict.fromkeys(heads)),
        "excluded": list(exclude),
        "commits": commits,
        "bundleKey": key,
        "bundleRefs": refs,
        "createdAt": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    store.put_json(bucket, key.removesuffix(".bundle") + ".json", manifest)
    for ref in refs:
        git.run(["update-ref", "-d", ref])
    return Quarantined(bucket=bucket, key=key, commits=commits)
